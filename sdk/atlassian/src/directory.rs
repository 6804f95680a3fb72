//! A site's group memberships, read group by group: every group, then each
//! group's members page by page. One member page holds tens of
//! memberships, so a whole site costs about one request per page of
//! members, where reading each user's groups costs one request per user.
//! Licences need only the groups that grant a product, so a read may stop
//! at those.
//!
//! A site connector (Jira, Confluence) implements [`GroupSource`] with its
//! API's requests; [`Memberships`] keeps a session's [`Directory`] and
//! falls back to each user's groups when listing members is refused.

use crate::GroupRef;
use crate::accounts::User;
use roster_sdk::{Error, License, Memo, ProductRef, Result};
use std::cell::Cell;
use std::collections::HashMap;
use std::rc::Rc;

/// What a site's API tells of its groups: the reads a [`Directory`] is
/// made of.
pub trait GroupSource {
    /// Every group of the site.
    fn groups(&self) -> Result<Vec<GroupRef>>;

    /// Ids of the groups whose members administer the product or the site
    /// (their licences say `admin`).
    fn admin_group_ids(&self) -> Result<Vec<String>>;

    /// The members of each of `groups` (inactive ones included), every
    /// page, handed to `take` with the group's index as each page arrives.
    fn members(&self, groups: &[GroupRef], take: impl FnMut(usize, Vec<User>)) -> Result<()>;

    /// The groups of each of `users`, one request per user: the way that
    /// needs no permission to list members.
    fn groups_of_each(&self, users: &[User]) -> Result<Vec<Vec<GroupRef>>>;
}

/// One account that is in at least one group read: what licences need of
/// it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// The Atlassian account id.
    pub account_id: String,
    /// Whether it takes a paid seat when it holds a product: a person's
    /// account that can sign in.
    pub seated: bool,
    /// Indexes into the directory's groups, ascending.
    pub groups: Vec<usize>,
}

/// Who is in which group, at the time it was read.
#[derive(Debug, Clone)]
pub struct Directory {
    groups: Vec<GroupRef>,
    admin: Vec<bool>,
    members: Vec<Member>,
    complete: bool,
    index: HashMap<String, usize>,
}

impl Directory {
    /// An empty directory of the site's `groups`, with whether each (same
    /// index) administers the product or the site, to which
    /// [`add`](Directory::add) brings members. `complete` says whether every
    /// group's members will be read, not only some.
    pub fn new(groups: Vec<GroupRef>, admin: Vec<bool>, complete: bool) -> Self {
        Directory {
            groups,
            admin,
            members: Vec::new(),
            complete,
            index: HashMap::new(),
        }
    }

    /// Reads the memberships of every group, or with `granting` only of the
    /// groups it accepts (the directory is then not complete). An account
    /// is seated when it is active and a person's.
    pub fn read(
        source: &impl GroupSource,
        granting: Option<&dyn Fn(&GroupRef) -> bool>,
    ) -> Result<Self> {
        let groups = source.groups()?;
        let admin_ids = source.admin_group_ids()?;
        let admin = groups.iter().map(|g| admin_ids.contains(&g.id)).collect();
        let read: Vec<usize> = (0..groups.len())
            .filter(|&g| granting.is_none_or(|granting| granting(&groups[g])))
            .collect();
        let listed: Vec<GroupRef> = read.iter().map(|&g| groups[g].clone()).collect();
        let mut directory = Directory::new(groups, admin, granting.is_none());
        // Pages are folded in as they arrive, so that a large site's
        // memberships are never held twice.
        source.members(&listed, |i, users| {
            for user in users {
                directory.add(&user.account_id, user.active && user.is_person(), read[i]);
            }
        })?;
        Ok(directory)
    }

    /// Records that `account_id` is in the group at index `group`; `seated`
    /// counts when the account is first seen.
    pub fn add(&mut self, account_id: &str, seated: bool, group: usize) {
        match self.index.get(account_id) {
            Some(&i) => {
                let groups = &mut self.members[i].groups;
                if let Err(at) = groups.binary_search(&group) {
                    groups.insert(at, group);
                }
            }
            None => {
                self.index.insert(account_id.to_owned(), self.members.len());
                self.members.push(Member {
                    account_id: account_id.to_owned(),
                    seated,
                    groups: vec![group],
                });
            }
        }
    }

    /// The site's groups.
    pub fn groups(&self) -> &[GroupRef] {
        &self.groups
    }

    /// Every account in some group read, in the order first read.
    pub fn members(&self) -> &[Member] {
        &self.members
    }

    /// Whether every group's members were read, not only some.
    pub fn is_complete(&self) -> bool {
        self.complete
    }

    /// The names of the groups `account_id` is in, in group order.
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

    /// The licences of `product` that the `granting` groups give: each
    /// member once, via the first admin group among them, else the first
    /// granting group, in the order of `granting`; role `admin` through an
    /// admin group, else `user`.
    pub fn licences(&self, product: &ProductRef, granting: &[GroupRef]) -> Vec<License> {
        let position: HashMap<&str, usize> = self
            .groups
            .iter()
            .enumerate()
            .map(|(i, g)| (g.id.as_str(), i))
            .collect();
        let granting: Vec<usize> = granting
            .iter()
            .filter_map(|g| position.get(g.id.as_str()).copied())
            .collect();
        self.members
            .iter()
            .filter_map(|member| {
                let held = || granting.iter().filter(|g| member.groups.contains(g));
                let via = held().find(|&&g| self.admin[g]).or_else(|| held().next())?;
                Some(License {
                    account_id: member.account_id.clone(),
                    product: product.clone(),
                    role: Some(if self.admin[*via] { "admin" } else { "user" }.into()),
                    billable: member.seated,
                    via_group: Some(self.groups[*via].name.clone()),
                })
            })
            .collect()
    }
}

/// A session's [`Directory`]: read on first use and kept until
/// [`clear`](Memberships::clear)ed (after a change). A read of the
/// product-granting groups only serves licences until accounts need every
/// group. Once listing members is refused (403), accounts read each user's
/// groups instead, for the rest of the session.
#[derive(Debug, Default)]
pub struct Memberships {
    kept: Memo<Rc<Directory>>,
    refused: Cell<bool>,
}

impl Memberships {
    /// Nothing read yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// The names of the groups of each of `users`: from the whole
    /// directory, or once listing members is refused, one request per user.
    /// Reads nothing for no users.
    pub fn group_names(
        &self,
        source: &impl GroupSource,
        users: &[User],
    ) -> Result<Vec<Vec<String>>> {
        if users.is_empty() {
            return Ok(Vec::new());
        }
        if !self.refused.get() {
            match self.complete(source) {
                Ok(directory) => {
                    return Ok(users
                        .iter()
                        .map(|u| directory.group_names(&u.account_id))
                        .collect());
                }
                Err(Error::Forbidden(_)) => self.refused.set(true),
                Err(e) => return Err(e),
            }
        }
        Ok(source
            .groups_of_each(users)?
            .into_iter()
            .map(|groups| groups.into_iter().map(|g| g.name).collect())
            .collect())
    }

    /// The whole directory, read unless a complete one is kept.
    pub fn complete(&self, source: &impl GroupSource) -> Result<Rc<Directory>> {
        match self.kept.get() {
            Some(directory) if directory.is_complete() => Ok(directory),
            _ => self
                .kept
                .refresh(|| Ok(Rc::new(Directory::read(source, None)?))),
        }
    }

    /// A directory with at least the members of the groups `granting`
    /// accepts: the one kept, else a read of those groups only.
    pub fn granting(
        &self,
        source: &impl GroupSource,
        granting: impl Fn(&GroupRef) -> bool,
    ) -> Result<Rc<Directory>> {
        self.kept
            .get_or_read(|| Ok(Rc::new(Directory::read(source, Some(&granting))?)))
    }

    /// Forgets the directory kept, after a change to memberships.
    pub fn clear(&self) {
        self.kept.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(id: &str) -> GroupRef {
        GroupRef {
            id: id.into(),
            name: format!("{id}-name"),
        }
    }

    /// `users` (g0), `admins` (g1, an admin group), `design` (g2).
    fn directory() -> Directory {
        let mut d = Directory::new(
            vec![group("users"), group("admins"), group("design")],
            vec![false, true, false],
            true,
        );
        d.add("ana", true, 2);
        d.add("ana", true, 0);
        d.add("bo", false, 0);
        d.add("cy", true, 1);
        d.add("cy", true, 0);
        d.add("ana", true, 0);
        d
    }

    #[test]
    fn members_keep_their_groups_in_group_order_once() {
        let d = directory();
        assert!(d.is_complete());
        assert_eq!(d.groups().len(), 3);
        let ids: Vec<&str> = d.members().iter().map(|m| m.account_id.as_str()).collect();
        assert_eq!(ids, ["ana", "bo", "cy"], "in the order first read");
        assert_eq!(d.members()[0].groups, [0, 2]);
        assert_eq!(d.group_names("ana"), ["users-name", "design-name"]);
        assert_eq!(d.group_names("nobody"), Vec::<String>::new());
    }

    #[test]
    fn licences_come_through_admin_groups_first() {
        let d = directory();
        let jira = ProductRef::on("jira-software", "ari:cloud:jira-software::site/s");
        let granted = d.licences(&jira, &[group("users"), group("admins")]);
        let got: Vec<(&str, Option<&str>, bool, Option<&str>)> = granted
            .iter()
            .map(|l| {
                (
                    l.account_id.as_str(),
                    l.role.as_deref(),
                    l.billable,
                    l.via_group.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("ana", Some("user"), true, Some("users-name")),
                ("bo", Some("user"), false, Some("users-name")),
                ("cy", Some("admin"), true, Some("admins-name")),
            ]
        );
        assert!(
            granted
                .iter()
                .all(|l| l.product.key == jira.key && l.product.instance == jira.instance)
        );
        let x = ProductRef::only("x");
        assert!(d.licences(&x, &[group("design")]).len() == 1);
        assert!(d.licences(&x, &[group("unknown")]).is_empty());
    }

    /// A site of three groups: `admins` administers; `users` has ana and
    /// an inactive bo; `admins` has cy; `design` has ana. Counts what it is
    /// asked, and refuses member listings when told to.
    struct Site {
        refuse: bool,
        member_reads: Cell<usize>,
        per_user_reads: Cell<usize>,
    }

    fn site(refuse: bool) -> Site {
        Site {
            refuse,
            member_reads: Cell::new(0),
            per_user_reads: Cell::new(0),
        }
    }

    fn user(id: &str, active: bool) -> User {
        serde_json::from_value(serde_json::json!({
            "accountId": id, "accountType": "atlassian", "active": active,
        }))
        .unwrap()
    }

    impl GroupSource for Site {
        fn groups(&self) -> Result<Vec<GroupRef>> {
            Ok(vec![group("users"), group("admins"), group("design")])
        }

        fn admin_group_ids(&self) -> Result<Vec<String>> {
            Ok(vec!["admins".into()])
        }

        fn members(
            &self,
            groups: &[GroupRef],
            mut take: impl FnMut(usize, Vec<User>),
        ) -> Result<()> {
            if self.refuse {
                return Err(Error::Forbidden("Administer Jira".into()));
            }
            for (i, g) in groups.iter().enumerate() {
                self.member_reads.set(self.member_reads.get() + 1);
                let users = match g.id.as_str() {
                    "users" => vec![user("ana", true), user("bo", false)],
                    "admins" => vec![user("cy", true)],
                    _ => vec![user("ana", true)],
                };
                take(i, users);
            }
            Ok(())
        }

        fn groups_of_each(&self, users: &[User]) -> Result<Vec<Vec<GroupRef>>> {
            self.per_user_reads
                .set(self.per_user_reads.get() + users.len());
            Ok(users.iter().map(|_| vec![group("design")]).collect())
        }
    }

    #[test]
    fn a_read_of_the_granting_groups_only_serves_licences() {
        let source = site(false);
        let memberships = Memberships::new();
        let granting = memberships.granting(&source, |g| g.id != "design").unwrap();
        assert!(!granting.is_complete());
        assert_eq!(source.member_reads.get(), 2, "users and admins only");
        let jira = ProductRef::only("jira-software");
        let licences = granting.licences(&jira, &[group("users"), group("admins")]);
        let billable: Vec<(&str, bool)> = licences
            .iter()
            .map(|l| (l.account_id.as_str(), l.billable))
            .collect();
        assert_eq!(billable, [("ana", true), ("bo", false), ("cy", true)]);
        // Accounts need every group: read again, completely, and kept.
        let names = memberships
            .group_names(&source, &[user("ana", true)])
            .unwrap();
        assert_eq!(names, [vec!["users-name", "design-name"]]);
        assert_eq!(source.member_reads.get(), 5);
        memberships.granting(&source, |_| true).unwrap();
        memberships.complete(&source).unwrap();
        assert_eq!(
            source.member_reads.get(),
            5,
            "the complete read serves both"
        );
        memberships.clear();
        memberships.complete(&source).unwrap();
        assert_eq!(source.member_reads.get(), 8, "read again after a change");
        assert_eq!(source.per_user_reads.get(), 0);
    }

    #[test]
    fn a_refused_listing_falls_back_to_each_user_s_groups() {
        let source = site(true);
        let memberships = Memberships::new();
        assert_eq!(
            memberships.group_names(&source, &[]).unwrap(),
            Vec::<Vec<String>>::new()
        );
        let users = [user("ana", true), user("bo", true)];
        let names = memberships.group_names(&source, &users).unwrap();
        assert_eq!(names, [vec!["design-name"], vec!["design-name"]]);
        memberships.group_names(&source, &users).unwrap();
        assert_eq!(source.per_user_reads.get(), 4);
        assert!(matches!(
            memberships.granting(&source, |_| true),
            Err(Error::Forbidden(_))
        ));
    }
}
