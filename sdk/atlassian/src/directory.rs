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
//!
//! A large site's memberships take more requests than one call may make
//! (200 000 accounts: about 12 000 member pages), so a stream reads them
//! across calls: [`Memberships::prepare`] reads at most
//! [`MEMBER_PAGES_PER_CALL`] pages and, until the directory is whole,
//! answers an empty page whose cursor (`~<call>:<the stream's cursor>`)
//! brings the stream back to where it was.

use crate::GroupRef;
use crate::accounts::User;
use roster_sdk::{Error, License, Page, ProductRef, Result};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::ops::ControlFlow;
use std::rc::Rc;

/// Member pages one stream call reads at most: with 8 in flight and a
/// fifth of a second each upstream, about 25 s, well inside a call's
/// deadline and request limit.
pub const MEMBER_PAGES_PER_CALL: usize = 1_000;

/// What a site's API tells of its groups: the reads a [`Directory`] is
/// made of.
pub trait GroupSource {
    /// Every group of the site.
    fn groups(&self) -> Result<Vec<GroupRef>>;

    /// Ids of the groups whose members administer the product or the site
    /// (their licences say `admin`).
    fn admin_group_ids(&self) -> Result<Vec<String>>;

    /// A read of several groups' members in progress (for an API of
    /// counted listings, [`Listings`](crate::paging::Listings)).
    type MemberRead;

    /// Starts reading the members of each of `groups` (inactive ones
    /// included); sends nothing yet.
    fn start_members(&self, groups: &[GroupRef]) -> Result<Self::MemberRead>;

    /// Reads at most `budget` pages of `read`, handing each to `take` with
    /// the index of its group as it arrives; true once every page is read.
    /// A page that fails is read again by the next call.
    fn read_members(
        &self,
        read: &mut Self::MemberRead,
        budget: usize,
        take: impl FnMut(usize, Vec<User>),
    ) -> Result<bool>;

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
    /// groups it accepts (the directory is then not complete), in one go.
    pub fn read<S: GroupSource>(
        source: &S,
        granting: Option<&dyn Fn(&GroupRef) -> bool>,
    ) -> Result<Self> {
        let mut reading = DirectoryRead::<S::MemberRead>::start(source, granting)?;
        reading.step(source, usize::MAX)?;
        Ok(reading.directory)
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

    /// Whether `account_id` is in some group read.
    pub fn contains(&self, account_id: &str) -> bool {
        self.index.contains_key(account_id)
    }

    /// The licences of `product` that the `granting` groups give: each
    /// member once, via the first admin group among them, else the first
    /// granting group, in the order of `granting`; role `admin` through an
    /// admin group, else `user`.
    pub fn licences(&self, product: &ProductRef, granting: &[GroupRef]) -> Vec<License> {
        let granting = self.positions(granting);
        self.members
            .iter()
            .filter_map(|member| {
                self.licence(
                    product,
                    &granting,
                    &member.account_id,
                    member.seated,
                    &member.groups,
                )
            })
            .collect()
    }

    /// The licence of `product` an account that no group read lists holds
    /// through its groups `member_of`, chosen as [`licences`](Directory::licences)
    /// chooses; `seated` says whether it is billable. For accounts a
    /// listing leaves out (Confluence's suspended users), whose groups come
    /// from elsewhere.
    pub fn licence_through(
        &self,
        product: &ProductRef,
        granting: &[GroupRef],
        account_id: &str,
        seated: bool,
        member_of: &[GroupRef],
    ) -> Option<License> {
        let mut groups = self.positions(member_of);
        groups.sort_unstable();
        self.licence(
            product,
            &self.positions(granting),
            account_id,
            seated,
            &groups,
        )
    }

    /// The indexes of `groups` among the directory's groups, in the order
    /// of `groups`; those it does not have are left out.
    fn positions(&self, groups: &[GroupRef]) -> Vec<usize> {
        groups
            .iter()
            .filter_map(|g| self.groups.iter().position(|d| d.id == g.id))
            .collect()
    }

    /// The licence an account in the groups at `groups` holds through the
    /// groups at `granting`, if any.
    fn licence(
        &self,
        product: &ProductRef,
        granting: &[usize],
        account_id: &str,
        seated: bool,
        groups: &[usize],
    ) -> Option<License> {
        let held = || granting.iter().filter(|g| groups.contains(g));
        let via = held().find(|&&g| self.admin[g]).or_else(|| held().next())?;
        Some(License {
            account_id: account_id.to_owned(),
            product: product.clone(),
            role: Some(if self.admin[*via] { "admin" } else { "user" }.into()),
            billable: seated,
            via_group: Some(self.groups[*via].name.clone()),
        })
    }
}

/// A [`Directory`] being read, a bounded number of requests at a time,
/// through a source whose reads in progress are `R`.
#[derive(Debug)]
pub struct DirectoryRead<R> {
    directory: Directory,
    members: R,
    /// The group of each group read.
    read: Vec<usize>,
}

impl<R> DirectoryRead<R> {
    /// Starts reading the memberships of every group, or with `granting`
    /// only of those it accepts: reads the groups, no member yet.
    pub fn start(
        source: &impl GroupSource<MemberRead = R>,
        granting: Option<&dyn Fn(&GroupRef) -> bool>,
    ) -> Result<Self> {
        let groups = source.groups()?;
        let admin_ids = source.admin_group_ids()?;
        let admin = groups.iter().map(|g| admin_ids.contains(&g.id)).collect();
        let read: Vec<usize> = (0..groups.len())
            .filter(|&g| granting.is_none_or(|granting| granting(&groups[g])))
            .collect();
        let listed: Vec<GroupRef> = read.iter().map(|&g| groups[g].clone()).collect();
        Ok(DirectoryRead {
            members: source.start_members(&listed)?,
            directory: Directory::new(groups, admin, granting.is_none()),
            read,
        })
    }

    /// Reads at most `budget` member pages; true once every page is read.
    /// An account is seated when it is active and a person's. A failed
    /// page is read again by the next step.
    pub fn step(
        &mut self,
        source: &impl GroupSource<MemberRead = R>,
        budget: usize,
    ) -> Result<bool> {
        let (directory, read) = (&mut self.directory, &self.read);
        // Pages are folded in as they arrive, so that a large site's
        // memberships are never held twice.
        source.read_members(&mut self.members, budget, |i, users| {
            for user in users {
                directory.add(&user.account_id, user.active && user.is_person(), read[i]);
            }
        })
    }
}

/// What a session holds of the directory.
#[derive(Debug)]
enum Kept<R> {
    Nothing,
    Reading(DirectoryRead<R>),
    Read(Rc<Directory>),
}

/// A session's [`Directory`]: read on first use and kept until
/// [`clear`](Memberships::clear)ed (after a change). A read of the
/// product-granting groups only serves licences until accounts need every
/// group. Once listing members is refused (403), accounts read each user's
/// groups instead, for the rest of the session.
#[derive(Debug)]
pub struct Memberships<R> {
    kept: RefCell<Kept<R>>,
    refused: Cell<bool>,
}

impl<R> Default for Memberships<R> {
    fn default() -> Self {
        Memberships {
            kept: RefCell::new(Kept::Nothing),
            refused: Cell::new(false),
        }
    }
}

impl<R> Memberships<R> {
    /// Nothing read yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Gets a stream call ready for the directory it needs (every group,
    /// or with `granting` those it accepts): reads at most
    /// [`MEMBER_PAGES_PER_CALL`] member pages of it. Continues with the
    /// stream's own cursor once the directory is read (or listing members
    /// is refused, for a complete one: accounts then read each user's
    /// groups); until then breaks with the empty page the call answers,
    /// whose cursor comes back here.
    pub fn prepare<T>(
        &self,
        source: &impl GroupSource<MemberRead = R>,
        cursor: Option<&str>,
        granting: Option<&dyn Fn(&GroupRef) -> bool>,
    ) -> Result<ControlFlow<Page<T>, Option<String>>> {
        self.prepare_within(source, cursor, granting, MEMBER_PAGES_PER_CALL)
    }

    /// [`prepare`](Memberships::prepare), reading at most `budget` pages.
    fn prepare_within<T>(
        &self,
        source: &impl GroupSource<MemberRead = R>,
        cursor: Option<&str>,
        granting: Option<&dyn Fn(&GroupRef) -> bool>,
        budget: usize,
    ) -> Result<ControlFlow<Page<T>, Option<String>>> {
        let (call, own) = match cursor.and_then(|c| c.strip_prefix('~')) {
            Some(staged) => {
                let (call, own) = staged.split_once(':').unwrap_or((staged, ""));
                let call: u64 = call.parse().map_err(|_| {
                    Error::Internal(format!("cursor `~{staged}` is not a directory read's"))
                })?;
                (call, (!own.is_empty()).then(|| own.to_owned()))
            }
            None => (0, cursor.map(str::to_owned)),
        };
        if self.refused.get() && granting.is_none() {
            return Ok(ControlFlow::Continue(own));
        }
        let ready = match self.read_within(source, granting, budget) {
            Err(Error::Forbidden(_)) if granting.is_none() => {
                self.refused.set(true);
                true
            }
            other => other?.is_some(),
        };
        if ready {
            return Ok(ControlFlow::Continue(own));
        }
        let next = format!("~{}:{}", call + 1, own.as_deref().unwrap_or_default());
        Ok(ControlFlow::Break(Page::new(Vec::new(), Some(next))))
    }

    /// Reads at most `budget` member pages of the directory needed (every
    /// group, or with `granting` those it accepts); the directory once it
    /// is kept whole. A complete directory serves both needs.
    fn read_within(
        &self,
        source: &impl GroupSource<MemberRead = R>,
        granting: Option<&dyn Fn(&GroupRef) -> bool>,
        budget: usize,
    ) -> Result<Option<Rc<Directory>>> {
        let mut kept = self.kept.borrow_mut();
        let serves = |complete: bool| complete || granting.is_some();
        let mut reading = match std::mem::replace(&mut *kept, Kept::Nothing) {
            Kept::Read(directory) if serves(directory.is_complete()) => {
                *kept = Kept::Read(directory.clone());
                return Ok(Some(directory));
            }
            Kept::Reading(reading) if serves(reading.directory.is_complete()) => reading,
            other => match DirectoryRead::start(source, granting) {
                Ok(reading) => reading,
                Err(e) => {
                    *kept = other;
                    return Err(e);
                }
            },
        };
        match reading.step(source, budget) {
            Ok(true) => {
                let directory = Rc::new(reading.directory);
                *kept = Kept::Read(directory.clone());
                Ok(Some(directory))
            }
            other => {
                // What was read stays, for the next call to go on from.
                *kept = Kept::Reading(reading);
                other.map(|_| None)
            }
        }
    }

    /// A read to its end, which `read_within` with no budget always is.
    fn whole(read: Option<Rc<Directory>>) -> Result<Rc<Directory>> {
        read.ok_or_else(|| Error::Internal("the directory read stopped before its end".into()))
    }

    /// The whole directory, or none once listing members is refused (for
    /// the rest of the session).
    pub fn directory(
        &self,
        source: &impl GroupSource<MemberRead = R>,
    ) -> Result<Option<Rc<Directory>>> {
        if self.refused.get() {
            return Ok(None);
        }
        match self.complete(source) {
            Ok(directory) => Ok(Some(directory)),
            Err(Error::Forbidden(_)) => {
                self.refused.set(true);
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    /// The names of the groups of each of `users`: from the whole
    /// directory, or once listing members is refused, one request per user.
    /// Reads nothing for no users.
    pub fn group_names(
        &self,
        source: &impl GroupSource<MemberRead = R>,
        users: &[User],
    ) -> Result<Vec<Vec<String>>> {
        if users.is_empty() {
            return Ok(Vec::new());
        }
        if let Some(directory) = self.directory(source)? {
            return Ok(users
                .iter()
                .map(|u| directory.group_names(&u.account_id))
                .collect());
        }
        Ok(source
            .groups_of_each(users)?
            .into_iter()
            .map(|groups| groups.into_iter().map(|g| g.name).collect())
            .collect())
    }

    /// The whole directory, read to its end unless a complete one is kept.
    pub fn complete(&self, source: &impl GroupSource<MemberRead = R>) -> Result<Rc<Directory>> {
        Self::whole(self.read_within(source, None, usize::MAX)?)
    }

    /// A directory with at least the members of the groups `granting`
    /// accepts: the one kept, else a read of those groups only, to its end.
    pub fn granting(
        &self,
        source: &impl GroupSource<MemberRead = R>,
        granting: impl Fn(&GroupRef) -> bool,
    ) -> Result<Rc<Directory>> {
        Self::whole(self.read_within(source, Some(&granting), usize::MAX)?)
    }

    /// Forgets the directory kept, after a change to memberships.
    pub fn clear(&self) {
        *self.kept.borrow_mut() = Kept::Nothing;
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

        type MemberRead = (Vec<GroupRef>, usize);

        fn start_members(&self, groups: &[GroupRef]) -> Result<Self::MemberRead> {
            Ok((groups.to_vec(), 0))
        }

        /// One page per group.
        fn read_members(
            &self,
            (groups, next): &mut Self::MemberRead,
            budget: usize,
            mut take: impl FnMut(usize, Vec<User>),
        ) -> Result<bool> {
            if self.refuse {
                return Err(Error::Forbidden("Administer Jira".into()));
            }
            let end = groups.len().min(next.saturating_add(budget));
            for (i, g) in groups.iter().enumerate().take(end).skip(*next) {
                self.member_reads.set(self.member_reads.get() + 1);
                let users = match g.id.as_str() {
                    "users" => vec![user("ana", true), user("bo", false)],
                    "admins" => vec![user("cy", true)],
                    _ => vec![user("ana", true)],
                };
                take(i, users);
            }
            *next = end;
            Ok(end == groups.len())
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

    /// Drives `prepare` the way a sync does, one page of budget a call;
    /// returns the cursors answered until the stream's own.
    fn staged_cursors(
        memberships: &Memberships<(Vec<GroupRef>, usize)>,
        source: &Site,
        mut cursor: Option<String>,
        granting: Option<&dyn Fn(&GroupRef) -> bool>,
    ) -> (Vec<String>, Option<String>) {
        let mut answered = Vec::new();
        loop {
            match memberships
                .prepare_within::<License>(source, cursor.as_deref(), granting, 1)
                .unwrap()
            {
                ControlFlow::Continue(own) => return (answered, own),
                ControlFlow::Break(page) => {
                    assert!(page.items.is_empty());
                    cursor = page.next_cursor;
                    answered.push(cursor.clone().unwrap());
                }
            }
        }
    }

    #[test]
    fn a_directory_is_read_across_calls_and_the_stream_resumes_at_its_cursor() {
        let source = site(false);
        let memberships = Memberships::new();
        let (answered, own) = staged_cursors(&memberships, &source, Some("300".into()), None);
        assert_eq!(answered, ["~1:300", "~2:300"], "three groups, one a call");
        assert_eq!(own.as_deref(), Some("300"));
        assert_eq!(source.member_reads.get(), 3);
        assert!(memberships.complete(&source).unwrap().is_complete());
        assert_eq!(source.member_reads.get(), 3, "kept");
        // A fresh session at a staged cursor reads again, with new cursors.
        let fresh = Memberships::new();
        let (answered, own) = staged_cursors(&fresh, &source, Some("~2:300".into()), None);
        assert_eq!(answered, ["~3:300", "~4:300"]);
        assert_eq!(own.as_deref(), Some("300"));
        // From the start of a stream, and for the granting groups only.
        let granting = |g: &GroupRef| g.id != "design";
        let licences = Memberships::new();
        let (answered, own) = staged_cursors(&licences, &source, None, Some(&granting));
        assert_eq!((answered, own), (vec!["~1:".to_owned()], None));
        let bad = Memberships::new().prepare_within::<License>(&source, Some("~x:1"), None, 1);
        assert!(matches!(bad, Err(Error::Internal(_))), "{bad:?}");
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
