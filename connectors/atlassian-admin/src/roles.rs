//! Who holds which role on which product instance through the directory's
//! groups.
//!
//! A person's role on a product instance is the strongest of the roles
//! their groups grant there and those assigned to them directly. The
//! groups' grants are read once per session (one request per group), and
//! so is, per instance, the list of its admins (a user search filtered by
//! resource and role). With both, a person whose groups grant them `user`
//! or `admin` needs no request of their own: `admin` is the top rank, and
//! a direct `admin` over a group's `user` shows in the admin list. Only
//! people no group grants a paid role (guests, direct assignments) are
//! asked for their own role assignments.

use roster_atlassian::GroupRef;
use roster_atlassian::admin::Org;
use roster_atlassian::admin::shapes::{Assignment, User};
use roster_atlassian::roles::{short_role, strongest};
use roster_sdk::Result;
use std::collections::{HashMap, HashSet};

/// The strongest role held on `resource` (without the `atlassian/`
/// prefix), and whether a group grants it.
pub fn strongest_role(assigned: &[Assignment], resource: &str) -> (Option<String>, bool) {
    strongest(
        assigned
            .iter()
            .filter(|a| a.resource_id == resource)
            .flat_map(Assignment::roles)
            .map(|(role, group)| (short_role(role), group)),
    )
    .map_or((None, false), |(role, group)| {
        (Some(role.to_owned()), group)
    })
}

/// A role on a product instance, and the group that grants it (none for
/// a direct assignment).
pub struct Held {
    pub role: String,
    pub via_group: Option<String>,
}

/// What the directory's groups grant, and who administers each instance
/// they grant.
pub struct Grants {
    /// For each group id, its grants: (instance ARI, role without prefix).
    by_group: HashMap<String, Vec<(String, String)>>,
    /// For each instance a group grants `user` on, who holds its `admin`
    /// role, by any means.
    admins: HashMap<String, HashSet<String>>,
}

impl Grants {
    /// Reads every group's role assignments, then the admins of each
    /// instance `wanted` keeps that a group grants `user` on.
    pub fn read(org: &Org, wanted: impl Fn(&str) -> bool) -> Result<Self> {
        let groups = org.groups()?;
        let assigned = org.group_role_assignments(&groups)?;
        let by_group: HashMap<String, Vec<(String, String)>> = groups
            .iter()
            .zip(assigned)
            .map(|(g, assignments)| {
                let grants = assignments
                    .iter()
                    .filter(|a| wanted(&a.resource_id))
                    .flat_map(|a| {
                        a.roles()
                            .into_iter()
                            .map(|(role, _)| (a.resource_id.clone(), short_role(role).to_owned()))
                    })
                    .collect();
                (g.id.clone(), grants)
            })
            .collect();
        let mut resources: Vec<&str> = by_group
            .values()
            .flatten()
            .filter(|(_, role)| role == "user")
            .map(|(resource, _)| resource.as_str())
            .collect();
        resources.sort_unstable();
        resources.dedup();
        let mut admins = HashMap::new();
        for resource in resources {
            let holders = org.role_holders(resource, "atlassian/admin")?;
            admins.insert(resource.to_owned(), holders.into_iter().collect());
        }
        Ok(Grants { by_group, admins })
    }

    /// The role `user` holds on `resource` when their groups tell it
    /// exactly; none when only their own role assignments can.
    pub fn held(&self, user: &User, resource: &str) -> Option<Held> {
        let (role, group) = self.strongest_through_groups(user, resource)?;
        match role {
            "admin" => {}
            "user" if self.administers(user, resource) => {
                return Some(Held {
                    role: "admin".to_owned(),
                    via_group: None,
                });
            }
            "user" => {}
            _ => return None,
        }
        Some(Held {
            role: role.to_owned(),
            via_group: Some(group.name.clone()),
        })
    }

    /// Every instance a group grants a role on.
    pub fn resources(&self) -> impl Iterator<Item = &str> {
        self.by_group.values().flatten().map(|(r, _)| r.as_str())
    }

    /// The group that grants `user` their strongest role on `resource`.
    pub fn granting_group(&self, user: &User, resource: &str) -> Option<String> {
        self.strongest_through_groups(user, resource)
            .map(|(_, g)| g.name.clone())
    }

    /// The groups that grant any role on an instance `wanted` keeps, in
    /// the order of `groups`.
    pub fn granting<'g>(
        &self,
        groups: &'g [GroupRef],
        wanted: impl Fn(&str) -> bool,
    ) -> Vec<&'g GroupRef> {
        groups
            .iter()
            .filter(|g| {
                self.by_group
                    .get(&g.id)
                    .is_some_and(|grants| grants.iter().any(|(r, _)| wanted(r)))
            })
            .collect()
    }

    fn strongest_through_groups<'u>(
        &'u self,
        user: &'u User,
        resource: &str,
    ) -> Option<(&'u str, &'u GroupRef)> {
        strongest(user.groups.iter().flat_map(|g| {
            self.by_group
                .get(&g.id)
                .into_iter()
                .flatten()
                .filter(move |(r, _)| r == resource)
                .map(move |(_, role)| (role.as_str(), g))
        }))
    }

    fn administers(&self, user: &User, resource: &str) -> bool {
        self.admins
            .get(resource)
            .is_some_and(|a| a.contains(&user.account_id))
    }
}
