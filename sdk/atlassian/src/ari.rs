//! Atlassian resource identifiers of product instances
//! (`ari:cloud:jira-software::site/<cloud id>`) and cloud ids.

use crate::products::canonical_key;

/// The canonical product key of an instance ARI
/// (`ari:cloud:jira-software::site/<cloud id>` → `jira-software`); none
/// for what is not an instance ARI.
pub fn resource_key(ari: &str) -> Option<String> {
    let (product, _) = ari.strip_prefix("ari:cloud:")?.split_once("::")?;
    Some(canonical_key(product))
}

/// The ARI of product `key`'s instance on the site with cloud id `cloud_id`:
/// what the Admin API names it by, and so the instance every Atlassian
/// connector reports it as.
pub fn site_ari(key: &str, cloud_id: &str) -> String {
    format!("ari:cloud:{key}::site/{}", cloud_id.to_ascii_lowercase())
}

/// The cloud id of the site an instance ARI is on, if it is on one.
pub fn site_of(ari: &str) -> Option<&str> {
    ari.split_once("::site/").map(|(_, cloud_id)| cloud_id)
}

/// Whether the instance `ari` is on the site with cloud id `site`
/// (compared without case). An ARI not tied to a site (a Trello or
/// Bitbucket workspace) is on every site, and with no site every ARI is
/// kept.
pub fn on_site(ari: &str, site: Option<&str>) -> bool {
    match (site, site_of(ari)) {
        (Some(site), Some(cloud_id)) => cloud_id.eq_ignore_ascii_case(site),
        _ => true,
    }
}

/// Whether a value has the shape of a site's cloud id (a UUID).
pub fn is_cloud_id(value: &str) -> bool {
    value.len() == 36
        && value.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SITE: &str = "4f2b6c1e-93a0-4d5e-8b7c-0a1b2c3d4e5f";

    #[test]
    fn site_aris_name_their_site() {
        let ari = site_ari("jira-software", &SITE.to_uppercase());
        assert_eq!(ari, format!("ari:cloud:jira-software::site/{SITE}"));
        assert_eq!(site_of(&ari), Some(SITE));
        assert_eq!(site_of("ari:cloud:trello::workspace/7"), None);
    }

    #[test]
    fn product_keys_of_instance_aris() {
        let ari = format!("ari:cloud:jira-servicedesk::site/{SITE}");
        assert_eq!(resource_key(&ari).as_deref(), Some("jira-servicedesk"));
        assert_eq!(
            resource_key("ari:cloud:jira-core::site/1").as_deref(),
            Some("jira-core")
        );
        assert_eq!(
            resource_key("ari:cloud:trello::workspace/7").as_deref(),
            Some("trello")
        );
        for not_one in [
            "",
            "jira-software",
            "ari:cloud:jira-software",
            "urn:x::site/1",
        ] {
            assert_eq!(resource_key(not_one), None, "{not_one}");
        }
    }

    #[test]
    fn site_filter() {
        let here = format!("ari:cloud:confluence::site/{SITE}");
        let there = "ari:cloud:confluence::site/00000000-0000-4000-8000-000000000000";
        let workspace = "ari:cloud:bitbucket::workspace/acme";
        let upper = SITE.to_ascii_uppercase();
        assert!(on_site(&here, Some(SITE)));
        assert!(on_site(&here, Some(&upper)));
        assert!(!on_site(there, Some(SITE)));
        assert!(on_site(workspace, Some(SITE)));
        assert!(on_site(there, None));
    }

    #[test]
    fn cloud_ids_are_uuids() {
        assert!(is_cloud_id(SITE));
        assert!(is_cloud_id(&SITE.to_ascii_uppercase()));
        for bad in [
            "acme",
            "",
            "4f2b6c1e93a04d5e8b7c0a1b2c3d4e5f",
            "4f2b6c1e-93a0-4d5e-8b7c-0a1b2c3d4e5g",
        ] {
            assert!(!is_cloud_id(bad), "{bad}");
        }
    }
}
