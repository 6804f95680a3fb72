//! Groups: how Atlassian's APIs name them, and the default groups that
//! grant each product.

use roster_sdk::json::nullable;
use serde::Deserialize;

/// A group as Atlassian's APIs name it: `{"id","name"}` (the Admin API) or
/// `{"name","groupId"}` (Jira, Confluence; Jira's `groupId` may be null,
/// read as empty).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct GroupRef {
    /// The group's id, what membership changes take.
    #[serde(alias = "groupId", default, deserialize_with = "nullable")]
    pub id: String,
    /// The group's name.
    pub name: String,
}

impl GroupRef {
    /// Whether `target` (an id or a name, as the contract allows) names
    /// this group.
    pub fn is(&self, target: &str) -> bool {
        self.id == target || self.name == target
    }
}

/// The group `target` names (by id or name) among `groups`.
pub fn find<'a>(groups: &'a [GroupRef], target: &str) -> Option<&'a GroupRef> {
    groups.iter().find(|g| g.is(target))
}

/// The names Atlassian gives a product's default group (the group new
/// users of the product join), from its canonical key.
pub fn default_group_names(key: &str) -> Vec<String> {
    match key {
        "jira-servicedesk" => vec![
            "jira-servicemanagement-users".into(),
            "jira-servicedesk-users".into(),
        ],
        "jira-core" => vec![
            "jira-core-users".into(),
            "jira-work-management-users".into(),
        ],
        other => vec![format!("{other}-users")],
    }
}

/// The product's default group among `groups`: one with a default name,
/// else one with a default name and a `-<site>` suffix
/// (`confluence-users-acme`).
pub fn default_group<'a>(groups: &'a [GroupRef], key: &str) -> Option<&'a GroupRef> {
    let names = default_group_names(key);
    groups
        .iter()
        .find(|g| names.contains(&g.name))
        .or_else(|| groups.iter().find(|g| is_default_name(&g.name, key)))
}

/// Whether `name` is one Atlassian gives product `key`'s default group:
/// a default name, or one followed by `-<site>` (the default group of a
/// product's further sites).
pub fn is_default_name(name: &str, key: &str) -> bool {
    default_group_names(key).iter().any(|n| {
        name.strip_prefix(n.as_str())
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('-'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(id: &str, name: &str) -> GroupRef {
        GroupRef {
            id: id.into(),
            name: name.into(),
        }
    }

    #[test]
    fn both_spellings_read() {
        let admin: GroupRef = serde_json::from_str(r#"{"id":"g1","name":"design"}"#).unwrap();
        let jira: GroupRef =
            serde_json::from_str(r#"{"name":"design","groupId":"g1","self":"x"}"#).unwrap();
        assert_eq!(admin, jira);
        let legacy: GroupRef = serde_json::from_str(r#"{"name":"design","groupId":null}"#).unwrap();
        assert_eq!(legacy.id, "");
        assert!(serde_json::from_str::<GroupRef>(r#"{"id":"g1"}"#).is_err());
    }

    #[test]
    fn a_group_is_named_by_id_or_name() {
        let groups = [group("g1", "design"), group("g2", "ops")];
        assert!(groups[0].is("g1") && groups[0].is("design") && !groups[0].is("ops"));
        assert_eq!(find(&groups, "ops"), Some(&groups[1]));
        assert_eq!(find(&groups, "g2"), Some(&groups[1]));
        assert_eq!(find(&groups, "nobody"), None);
    }

    #[test]
    fn default_groups_by_name_then_with_a_site_suffix() {
        assert_eq!(
            default_group_names("jira-servicedesk"),
            ["jira-servicemanagement-users", "jira-servicedesk-users"]
        );
        assert_eq!(default_group_names("confluence"), ["confluence-users"]);
        let groups = [
            group("1", "confluence-users-acme"),
            group("2", "confluence-users"),
            group("3", "jira-servicedesk-users-acme"),
            group("4", "jira-core-usersx"),
        ];
        assert_eq!(
            default_group(&groups, "confluence").map(|g| &*g.id),
            Some("2")
        );
        assert_eq!(
            default_group(&groups[..1], "confluence").map(|g| &*g.id),
            Some("1")
        );
        assert_eq!(
            default_group(&groups, "jira-servicedesk").map(|g| &*g.id),
            Some("3")
        );
        assert_eq!(
            default_group(&groups, "jira-core"),
            None,
            "a suffix starts with `-`"
        );
        assert_eq!(default_group(&groups, "trello"), None);
    }
}
