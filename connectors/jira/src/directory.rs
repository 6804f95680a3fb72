//! The site's group memberships, read group by group: every group from
//! `group/bulk`, then each group's members from `group/member` (inactive
//! users included). One member page holds up to 50 memberships, so the
//! whole site costs about one request per 50 memberships, where reading
//! each user's groups costs one request per user. Licences need only the
//! groups that grant an application role, so a read can stop at those.

use crate::api::{ApplicationRole, GroupRef, Jira, User};
use roster_sdk::License;
use roster_sdk::Result;
use std::collections::HashMap;

/// One account that is in at least one group: what licences need of it.
pub struct Member {
    pub account_id: String,
    /// Whether it takes a paid seat when it holds a product: a person's
    /// account that can sign in.
    pub seated: bool,
    /// Indexes into [`Directory::groups`], in group order.
    pub groups: Vec<usize>,
}

/// Who is in which group, at the time it was read.
pub struct Directory {
    /// Every group of the site.
    pub groups: Vec<GroupRef>,
    /// Whether each group (same index) administers Jira or the site.
    pub admin: Vec<bool>,
    /// Every account in some group read, in the order first read.
    pub members: Vec<Member>,
    /// Whether every group's members were read, not only the role groups'.
    pub complete: bool,
    index: HashMap<String, usize>,
}

impl Directory {
    /// Reads the memberships of every group, or with `roles` only of the
    /// groups that grant one of them; needs *Administer Jira*.
    pub fn read(jira: &Jira, roles: Option<&[ApplicationRole]>) -> Result<Self> {
        let groups = jira.groups()?;
        let admin_ids = jira.admin_group_ids()?;
        let admin = groups
            .iter()
            .map(|g| admin_ids.contains(&g.group_id))
            .collect();
        let mut directory = Directory {
            groups: Vec::new(),
            admin,
            members: Vec::new(),
            complete: roles.is_none(),
            index: HashMap::new(),
        };
        let read: Vec<usize> = (0..groups.len())
            .filter(|&g| {
                roles.is_none_or(|roles| roles.iter().any(|r| r.grants_via(&groups[g].group_id)))
            })
            .collect();
        let listed: Vec<GroupRef> = read.iter().map(|&g| groups[g].clone()).collect();
        // Pages are folded in as they arrive, so that a large site's
        // memberships are never held twice.
        jira.members(&listed, |i, users| {
            for user in users {
                directory.add(user, read[i]);
            }
        })?;
        directory.groups = groups;
        Ok(directory)
    }

    fn add(&mut self, user: User, group: usize) {
        match self.index.get(&user.account_id) {
            Some(&i) => {
                let groups = &mut self.members[i].groups;
                if let Err(at) = groups.binary_search(&group) {
                    groups.insert(at, group);
                }
            }
            None => {
                self.index
                    .insert(user.account_id.clone(), self.members.len());
                self.members.push(Member {
                    seated: user.active && user.is_person(),
                    account_id: user.account_id,
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
                    account_id: member.account_id.clone(),
                    product_key: role.key.clone(),
                    role: Some(if self.admin[*via] { "admin" } else { "user" }.into()),
                    billable: member.seated,
                    via_group: Some(self.groups[*via].name.clone()),
                })
            })
            .collect()
    }
}
