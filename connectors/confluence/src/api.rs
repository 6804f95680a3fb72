//! Confluence Cloud's REST API: v1 (`/wiki/rest/api`) for users, groups
//! and memberships, v2 (`/wiki/api/v2`) for invitations. The requests this
//! connector makes, the shapes it reads, and what a refusal of each means
//! for the operator.

use roster_atlassian::access::{Granting, GroupAccess, GroupWrites, LicensedGroups};
use roster_atlassian::accounts::User;
use roster_atlassian::directory::GroupSource;
use roster_atlassian::errors::needs;
use roster_atlassian::paging::{Listings, StartPage};
use roster_atlassian::{GroupRef, Rest, groups, site};
use roster_sdk::batch::fan_out;
use roster_sdk::http::{Method, Request};
use roster_sdk::paging::{Offset, every_item};
use roster_sdk::{Error, Memo, ProductRef, Result};
use serde::Deserialize;
use serde_json::json;
use std::cell::RefCell;
use std::collections::HashSet;

/// The product key of Confluence.
pub const CONFLUENCE: &str = "confluence";

/// Most groups or members a v1 page holds; asking for more is a 400.
const GROUP_PAGE: u32 = 200;

/// Users asked for per user-search page (the server may cap it lower).
const SEARCH_PAGE: u32 = 200;

/// The permission every read needs.
pub const CAN_USE: &str = "the Confluence global permission `Can use`";
/// What membership changes and invitations need.
pub const SITE_ADMIN: &str =
    "site administration (membership of a group with site-admin access, such as `site-admins`)";

/// Who a user search lists (`sitePermissionTypeFilter`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Search {
    /// `none`: users who hold a Confluence licence.
    Licensed,
    /// `externalCollaborator`: guests.
    Guests,
}

impl Search {
    fn filter(self) -> &'static str {
        match self {
            Search::Licensed => "none",
            Search::Guests => "externalCollaborator",
        }
    }
}

/// A Confluence user with `expand=operations`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Person {
    /// The site user (Confluence sends no `active`: see
    /// [`Person::site_user`]).
    #[serde(flatten)]
    pub user: User,
    /// What the user may do; empty for one who cannot use Confluence.
    #[serde(default)]
    pub operations: Vec<Operation>,
    /// Whether the user is a guest.
    #[serde(default)]
    pub is_external_collaborator: bool,
}

/// One of a user's `operations`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Operation {
    /// `use`, `administer`, ...
    pub operation: String,
    /// `application`, ...
    pub target_type: String,
}

impl Person {
    /// Whether the user may use Confluence (the `use` operation on the
    /// application): can sign in and holds access.
    pub fn can_use(&self) -> bool {
        self.operations
            .iter()
            .any(|o| o.operation == "use" && o.target_type == "application")
    }

    /// The site user, active when it may use Confluence, so that a
    /// directory seats it when it is a person's.
    pub fn site_user(&self) -> User {
        User {
            active: self.can_use(),
            ..self.user.clone()
        }
    }
}

/// One user search hit.
#[derive(Deserialize)]
struct Hit {
    user: Person,
}

/// A person a group member listing returned, as the accounts stream needs
/// them (kept compact: a large site's listings are held whole).
#[derive(Debug, Clone)]
pub struct Member {
    /// The site user, `active` when it may use Confluence.
    pub user: User,
    /// Whether the user is a guest.
    pub guest: bool,
}

/// The people the group member listings returned, each once: the only
/// record of accounts that no user search finds (those without Confluence
/// access in some group).
#[derive(Default)]
struct Listed {
    people: Vec<Member>,
    seen: HashSet<String>,
    /// Whether `people` is in account id order, which pages of it follow
    /// so that a later session pages it the same way, whatever order the
    /// member pages arrived in.
    sorted: bool,
}

/// A Confluence site's REST API, with what a session reads once.
pub struct Client {
    rest: Rest,
    groups: Memo<Vec<GroupRef>>,
    admin_groups: Memo<Vec<String>>,
    licensed: Memo<LicensedGroups>,
    /// The groups the config names as granting Confluence, if it does.
    licensed_names: Option<Vec<String>>,
    listed: RefCell<Listed>,
    /// The site's Confluence instance.
    pub instances: site::Instances,
}

impl Client {
    /// A client of the site `config` reaches; `licensed_names` are the
    /// groups the config says grant Confluence, none for the site's own.
    pub fn new(config: &site::Config, licensed_names: Option<Vec<String>>) -> Result<Self> {
        Ok(Client {
            rest: Rest::new(config.base()?, site::CREDENTIAL),
            groups: Memo::new(),
            admin_groups: Memo::new(),
            licensed: Memo::new(),
            licensed_names,
            listed: RefCell::default(),
            instances: site::Instances::new(config, "Confluence")?,
        })
    }

    fn get(&self, path: &str) -> Result<Request> {
        self.rest.at(Method::Get, path)
    }

    /// A write: Confluence refuses one without `X-Atlassian-Token:
    /// no-check` as a possible cross-site request forgery.
    fn write(&self, method: Method, path: &str) -> Result<Request> {
        Ok(self
            .rest
            .at(method, path)?
            .header("X-Atlassian-Token", "no-check"))
    }

    /// The token's user with its operations; a refusal names what to fix.
    pub fn current_user(&self) -> Result<Person> {
        self.get("wiki/rest/api/user/current")?
            .query([("expand", "operations")])
            .fetch_json()
            .map_err(site::token_refused(self.rest.base(), "Confluence"))
    }

    /// The groups of the site with access `access` (`user`, `admin`,
    /// `site-admin`), or every group.
    fn group_listing(&self, access: Option<&str>) -> Result<Vec<GroupRef>> {
        let mut request = self
            .get("wiki/rest/api/group")?
            .query([("limit", GROUP_PAGE.to_string())]);
        if let Some(access) = access {
            request = request.query([("accessType", access)]);
        }
        every_item::<StartPage<GroupRef>>(request).map_err(needs(CAN_USE, "listing groups"))
    }

    /// The groups that grant Confluence: those the config names, else
    /// those the site gives Confluence access (`user`) or administration
    /// (`admin`). A grant joins the first named group, or the site's
    /// default group (`confluence-users`), else its first `user` group.
    pub fn licensed(&self) -> Result<LicensedGroups> {
        self.licensed.get_or_read(|| match &self.licensed_names {
            Some(names) => LicensedGroups::named(
                &self.groups()?,
                names,
                "Confluence administration > Groups shows them",
            ),
            None => {
                let mut groups = self.group_listing(Some("user"))?;
                for admin in self.group_listing(Some("admin"))? {
                    if !groups.iter().any(|g| g.id == admin.id) {
                        groups.push(admin);
                    }
                }
                Ok(LicensedGroups::reported(groups, CONFLUENCE))
            }
        })
    }

    /// The ids of the groups with site-admin access.
    pub fn site_admin_group_ids(&self) -> Result<Vec<String>> {
        let groups = self.group_listing(Some("site-admin"))?;
        Ok(groups.into_iter().map(|g| g.id).collect())
    }

    /// One page of the user search `search` from `cursor` (a position):
    /// the users and the next cursor, none after the last page. Only the
    /// answer's next link ends the search, not a short page.
    pub fn search_page(
        &self,
        search: Search,
        cursor: Option<&str>,
    ) -> Result<(Vec<Person>, Option<String>)> {
        let start = Offset::from_cursor(cursor)?;
        let page: StartPage<Hit> = self
            .get("wiki/rest/api/search/user")?
            .query([
                ("cql", "type=user"),
                ("sitePermissionTypeFilter", search.filter()),
                ("expand", "operations"),
            ])
            .query([
                ("start", start.0.to_string()),
                ("limit", SEARCH_PAGE.to_string()),
            ])
            .fetch_json()
            .map_err(needs(CAN_USE, "searching users"))?;
        let next = page.next_start().map(|at| at.to_string());
        Ok((page.results.into_iter().map(|h| h.user).collect(), next))
    }

    /// The groups `account_id` is in; not found is an error naming it.
    pub fn member_of(&self, account_id: &str) -> Result<Vec<GroupRef>> {
        every_item::<StartPage<GroupRef>>(self.member_of_request(account_id)?).map_err(
            |e| match e {
                Error::NotFound(_) => Error::NotFound(format!(
                    "Confluence has no user with account id `{account_id}`"
                )),
                other => needs(CAN_USE, "reading a user's groups")(other),
            },
        )
    }

    fn member_of_request(&self, account_id: &str) -> Result<Request> {
        Ok(self.get("wiki/rest/api/user/memberof")?.query([
            ("accountId", account_id),
            ("limit", &GROUP_PAGE.to_string()),
        ]))
    }

    /// The people the group member listings returned, in account id
    /// order, from position `from`, at most `count`; and how many there
    /// are.
    pub fn listed(&self, from: usize, count: usize) -> (Vec<Member>, usize) {
        let mut listed = self.listed.borrow_mut();
        if !listed.sorted {
            listed
                .people
                .sort_unstable_by(|a, b| a.user.account_id.cmp(&b.user.account_id));
            listed.sorted = true;
        }
        let people = listed.people.iter().skip(from).take(count).cloned();
        (people.collect(), listed.people.len())
    }

    /// Forgets what the member listings returned, after a change.
    pub fn forget_listed(&self) {
        *self.listed.borrow_mut() = Listed::default();
    }

    /// Whether `email` lacks access to Confluence
    /// (`check-access-by-email`, which only reads).
    pub fn lacks_access(&self, email: &str) -> Result<bool> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Access {
            #[serde(default)]
            emails_without_access: Vec<String>,
            #[serde(default)]
            invalid_emails: Vec<String>,
        }
        let access: Access = self
            .rest
            .at(Method::Post, CHECK_ACCESS)?
            .json(&json!({ "emails": [email] }))
            .fetch_json()
            .map_err(needs(CAN_USE, "checking who has access"))?;
        if access
            .invalid_emails
            .iter()
            .any(|e| e.eq_ignore_ascii_case(email))
        {
            return Err(Error::NotFound(format!(
                "Confluence does not take `{email}` as an email address"
            )));
        }
        Ok(access
            .emails_without_access
            .iter()
            .any(|e| e.eq_ignore_ascii_case(email)))
    }

    /// `POST /wiki/api/v2/user/access/invite-by-email`.
    pub fn invite(&self, email: &str) -> Result<Request> {
        Ok(self
            .write(Method::Post, "wiki/api/v2/user/access/invite-by-email")?
            .json(&json!({ "emails": [email] })))
    }
}

/// The v2 access check, relative to the base: a `POST` that only reads.
pub const CHECK_ACCESS: &str = "wiki/api/v2/user/access/check-access-by-email";

/// The site's groups and memberships, as a directory reads them.
impl GroupSource for Client {
    /// Every group of the site, fetched once per session.
    fn groups(&self) -> Result<Vec<GroupRef>> {
        self.groups.get_or_read(|| self.group_listing(None))
    }

    /// The groups that administer Confluence or the site.
    fn admin_group_ids(&self) -> Result<Vec<String>> {
        self.admin_groups.get_or_read(|| {
            let mut ids = self.site_admin_group_ids()?;
            ids.extend(self.group_listing(Some("admin"))?.into_iter().map(|g| g.id));
            Ok(ids)
        })
    }

    type MemberRead = Listings<StartPage<Person>>;

    /// `membersByGroupId` of each group, 200 a page, counted so that the
    /// pages after the first go out together. Confluence leaves suspended
    /// members out.
    fn start_members(&self, groups: &[GroupRef]) -> Result<Self::MemberRead> {
        let requests = groups
            .iter()
            .map(|g| {
                let url = self.rest.path_url([
                    "wiki",
                    "rest",
                    "api",
                    "group",
                    &g.id,
                    "membersByGroupId",
                ])?;
                Ok(self.rest.get(url).query([
                    ("limit", GROUP_PAGE.to_string().as_str()),
                    ("expand", "operations"),
                    ("shouldReturnTotalSize", "true"),
                ]))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Listings::new(requests))
    }

    /// Reads member pages, keeping each person listed for the accounts
    /// stream, and hands on their site users.
    fn read_members(
        &self,
        read: &mut Self::MemberRead,
        budget: usize,
        mut take: impl FnMut(usize, Vec<User>),
    ) -> Result<bool> {
        read.read(budget, |group, people: Vec<Person>| {
            let users: Vec<User> = people.iter().map(Person::site_user).collect();
            let mut listed = self.listed.borrow_mut();
            for (person, user) in people.iter().zip(&users) {
                if listed.seen.insert(user.account_id.clone()) {
                    listed.people.push(Member {
                        user: user.clone(),
                        guest: person.is_external_collaborator,
                    });
                    listed.sorted = false;
                }
            }
            take(group, users);
        })
        .map_err(needs(CAN_USE, "listing group members"))?;
        Ok(read.is_done())
    }

    /// The groups of each user, one request per user.
    fn groups_of_each(&self, users: &[User]) -> Result<Vec<Vec<GroupRef>>> {
        let requests = users
            .iter()
            .map(|u| self.member_of_request(&u.account_id))
            .collect::<Result<Vec<_>>>()?;
        fan_out::<StartPage<GroupRef>>(&requests, |i| format!("account `{}`", users[i].account_id))
            .map_err(needs(CAN_USE, "reading a user's groups"))
    }
}

/// Membership changes, which need site administration.
impl GroupWrites for Client {
    const WRITES_NEED: Option<&'static str> = Some(SITE_ADMIN);

    /// `POST /wiki/rest/api/group/userByGroupId` (201).
    fn add_member(&self, group: &GroupRef, account_id: &str) -> Result<Request> {
        let request = self.write(Method::Post, "wiki/rest/api/group/userByGroupId")?;
        Ok(request
            .query([("groupId", &group.id)])
            .json(&json!({ "accountId": account_id })))
    }

    /// `DELETE /wiki/rest/api/group/userByGroupId` (204).
    fn remove_member(&self, group: &GroupRef, account_id: &str) -> Result<Request> {
        let request = self.write(Method::Delete, "wiki/rest/api/group/userByGroupId")?;
        Ok(request.query([("groupId", group.id.as_str()), ("accountId", account_id)]))
    }

    fn groups_of(&self, account_id: &str) -> Result<Vec<GroupRef>> {
        self.member_of(account_id)
    }
}

/// Confluence is one product, granted through its licensed groups.
impl GroupAccess for Client {
    const PRODUCT: &'static str = "product";
    type Product = LicensedGroups;

    /// The group `target` names (an id or a name), or not found.
    fn group(&self, target: &str) -> Result<GroupRef> {
        groups::find(&self.groups()?, target)
            .cloned()
            .ok_or_else(|| Error::NotFound(format!("Confluence has no group `{target}`")))
    }

    /// Confluence on this site, or not found.
    fn product(&self, product: &ProductRef) -> Result<LicensedGroups> {
        if product.key != CONFLUENCE {
            return Err(Error::NotFound(format!(
                "a Confluence site grants `{CONFLUENCE}` only, not `{}`",
                product.key
            )));
        }
        self.instances.serves(product)?;
        self.licensed()
    }

    fn granting<'p>(&self, licensed: &'p LicensedGroups) -> Granting<'p> {
        licensed.granting(CONFLUENCE)
    }
}
