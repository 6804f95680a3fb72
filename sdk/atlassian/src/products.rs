//! Atlassian's products by Roster's canonical keys.

/// Every product Roster knows by its canonical key, with its name for
/// people: the keys the Atlassian connectors report.
pub const PRODUCTS: [(&str, &str); 9] = [
    ("jira-software", "Jira Software"),
    ("jira-servicedesk", "Jira Service Management"),
    ("confluence", "Confluence"),
    ("trello", "Trello"),
    ("bitbucket", "Bitbucket"),
    ("jira-core", "Jira Work Management"),
    ("jira-product-discovery", "Jira Product Discovery"),
    ("opsgenie", "Opsgenie"),
    ("statuspage", "Statuspage"),
];

/// The products of a Jira site (its application roles), by canonical key.
pub const JIRA: [&str; 4] = [
    "jira-software",
    "jira-servicedesk",
    "jira-core",
    "jira-product-discovery",
];

/// Roster's canonical key for any of the keys Atlassian's APIs use for a
/// product (`jira`, `jira-service-management`, `jpd`, ...), lowercased; a
/// key it does not know is kept as it is, lowercased.
pub fn canonical_key(key: &str) -> String {
    let key = key.trim().to_ascii_lowercase();
    match key.as_str() {
        "jira" | "jira-software" => "jira-software",
        "jira-service-desk"
        | "jira-servicedesk"
        | "jira-service-management"
        | "jira-servicemanagement" => "jira-servicedesk",
        "jira-core" | "jira-work-management" | "jira-business" => "jira-core",
        "jira-product-discovery" | "jpd" => "jira-product-discovery",
        "jira-ops" | "opsgenie" => "opsgenie",
        _ => return key,
    }
    .to_owned()
}

/// A product's name for people, from its canonical key (an unknown key is
/// its own name).
pub fn product_name(key: &str) -> String {
    PRODUCTS
        .iter()
        .find(|(k, _)| *k == key)
        .map_or(key, |(_, name)| name)
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spelling_has_one_key() {
        for (spellings, key) in [
            (
                &["jira", "Jira-Software", " jira-software "][..],
                "jira-software",
            ),
            (
                &[
                    "jira-service-desk",
                    "jira-servicedesk",
                    "jira-service-management",
                    "jira-servicemanagement",
                ],
                "jira-servicedesk",
            ),
            (
                &["jira-core", "jira-work-management", "jira-business"],
                "jira-core",
            ),
            (&["jira-product-discovery", "JPD"], "jira-product-discovery"),
            (&["jira-ops", "opsgenie"], "opsgenie"),
            (&["confluence"], "confluence"),
            (&["Compass"], "compass"),
        ] {
            for s in spellings {
                assert_eq!(canonical_key(s), key, "{s}");
            }
        }
    }

    #[test]
    fn canonical_keys_are_their_own_key_and_have_names() {
        for (key, name) in PRODUCTS {
            assert_eq!(canonical_key(key), key);
            assert_eq!(product_name(key), name);
        }
        assert_eq!(product_name("compass"), "compass");
        for key in JIRA {
            assert!(PRODUCTS.iter().any(|(k, _)| *k == key), "{key}");
        }
    }
}
