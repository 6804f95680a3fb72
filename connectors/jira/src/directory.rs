//! The site's group memberships, read group by group: every group from
//! `group/bulk`, then each group's members from `group/member` (inactive
//! users included). One member page holds up to 50 memberships, so the
//! whole site costs about one request per 50 memberships, where reading
//! each user's groups costs one request per user.

use crate::api::{ApplicationRole, GroupRef, Jira, User};
use roster_sdk::License;
use roster_sdk::Result;
use std::collections::HashMap;

/// One account that is in at least one group.
pub struct Member {
    /// The account as the member listing shows it.
    pub user: User,
    /// Indexes into [`Directory::groups`], in group order.
    pub groups: Vec<usize>,
}

/// Who is in which group, at the time it was read.
pub struct Directory {
    /// Every group of the site.
    pub groups: Vec<GroupRef>,
    /// Whether each group (same index) administers Jira or the site.
    pub admin: Vec<bool>,
    /// Every account in some group, in the order first listed.
    pub members: Vec<Member>,
    index: HashMap<String, usize>,
}

impl Directory {
    /// Reads the memberships of every group; needs *Administer Jira*.
    pub fn read(jira: &Jira) -> Result<Self> {
        let groups = jira.groups()?;
        let listings = jira.members(&groups)?;
        let admin_ids = jira.admin_group_ids()?;
        let admin = groups
            .iter()
            .map(|g| admin_ids.contains(&g.group_id))
            .collect();
        let mut directory = Directory {
            groups,
            admin,
            members: Vec::new(),
            index: HashMap::new(),
        };
        for (g, users) in listings.into_iter().enumerate() {
            for user in users {
                directory.add(user, g);
            }
        }
        Ok(directory)
    }

    fn add(&mut self, user: User, group: usize) {
        match self.index.get(&user.account_id) {
            Some(&i) => {
                let groups = &mut self.members[i].groups;
                if !groups.contains(&group) {
                    groups.push(group);
                }
            }
            None => {
                self.index
                    .insert(user.account_id.clone(), self.members.len());
                self.members.push(Member {
                    user,
                    groups: vec![group],
                });
            }
        }
    }

    /// The names of the groups `account_id` is in.
    pub fn group_names(&self, account_id: &str) -> Vec<String> {
        self.index
            .get(account_id)
            .map(|&i| {
                self.members[i]
                    .groups
                    .iter()
                    .map(|&g| self.groups[g].name.clone())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Licences `role`'s groups give: each member once, via the first
    /// admin group that grants the role, else the first granting group, in
    /// the role's order.
    pub fn licences(&self, role: &ApplicationRole) -> Vec<License> {
        let position: HashMap<&str, usize> = self
            .groups
            .iter()
            .enumerate()
            .map(|(i, g)| (g.group_id.as_str(), i))
            .collect();
        let granting: Vec<usize> = role
            .group_details
            .iter()
            .filter_map(|g| position.get(g.group_id.as_str()).copied())
            .collect();
        self.members
            .iter()
            .filter_map(|member| {
                let held = || granting.iter().filter(|g| member.groups.contains(g));
                let via = held().find(|&&g| self.admin[g]).or_else(|| held().next())?;
                Some(License {
                    account_id: member.user.account_id.clone(),
                    product_key: role.key.clone(),
                    role: Some(if self.admin[*via] { "admin" } else { "user" }.into()),
                    billable: member.user.active && member.user.is_person(),
                    via_group: Some(self.groups[*via].name.clone()),
                })
            })
            .collect()
    }
}
