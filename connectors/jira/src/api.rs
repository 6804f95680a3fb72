//! Jira REST v3: the requests this connector makes, the shapes it reads,
//! and what a refusal of each means for the operator.

use roster_atlassian::access::{Granting, GroupAccess, GroupWrites};
use roster_atlassian::accounts::User;
use roster_atlassian::directory::GroupSource;
use roster_atlassian::errors::needs;
use roster_atlassian::paging::{Listings, PageBean, each_page};
use roster_atlassian::{GroupRef, Rest, groups, site};
use roster_sdk::batch::fan_out;
use roster_sdk::http::{Method, Request};
use roster_sdk::paging::Offset;
use roster_sdk::{Error, Memo, ProductRef, Result};
use serde::Deserialize;
use serde_json::json;
use std::collections::{HashMap, HashSet};

/// Most items a `PageBean` page of groups or members holds in Jira Cloud;
/// asked for explicitly, and followed from the answer's own `maxResults`.
const BEAN_PAGE: u32 = 50;

/// The name of the global permission every read needs.
pub const BROWSE_USERS: &str = "the global permission `Browse users and groups`";
/// The name of the global permission seats and memberships need.
pub const ADMINISTER: &str = "the global permission `Administer Jira`";
/// What membership changes and removals need.
pub const SITE_ADMIN: &str = "site administration (membership of the `site-admins` group)";

/// A Jira site's REST API, with what a session reads once.
pub struct Client {
    rest: Rest,
    roles: Memo<Vec<ApplicationRole>>,
    groups: Memo<Vec<GroupRef>>,
    /// The site's instances of its application roles.
    pub instances: site::Instances,
}

/// A user with `expand=groups`.
#[derive(Deserialize)]
pub struct UserDetail {
    /// The user.
    #[serde(flatten)]
    pub user: User,
    /// The groups the user is in.
    #[serde(default)]
    pub groups: Items<GroupRef>,
}

/// `{"size": n, "items": [...]}`.
#[derive(Deserialize, Default)]
pub struct Items<T> {
    /// The items (empty unless expanded).
    #[serde(default = "Vec::new")]
    pub items: Vec<T>,
}

/// `GET /rest/api/3/applicationrole` items.
#[derive(Deserialize, Clone)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationRole {
    /// The application key (`jira-software`).
    pub key: String,
    /// The product's name.
    pub name: String,
    /// Every group whose members hold the role.
    #[serde(default)]
    pub group_details: Vec<GroupRef>,
    /// The groups new users get, which is how the role is granted.
    #[serde(default)]
    pub default_groups_details: Vec<GroupRef>,
    /// Seats bought.
    #[serde(default)]
    pub number_of_seats: Option<u32>,
    /// Seats left.
    #[serde(default)]
    pub remaining_seats: Option<i64>,
    /// Seats in use.
    #[serde(default)]
    pub user_count: Option<u32>,
    /// No seat limit.
    #[serde(default)]
    pub has_unlimited_seats: bool,
}

impl ApplicationRole {
    /// The groups that grant the role, and those that grant it to
    /// newcomers.
    pub fn granting(&self) -> Granting<'_> {
        Granting {
            key: &self.key,
            groups: &self.group_details,
            defaults: &self.default_groups_details,
        }
    }

    /// Seats in use: the role's count, else what the seats left imply.
    pub fn seats_used(&self) -> Option<u32> {
        self.user_count.or_else(|| {
            let total = i64::from(self.number_of_seats?);
            u32::try_from(total - self.remaining_seats?).ok()
        })
    }
}

impl Client {
    /// A client of the site `config` reaches.
    pub fn new(config: &site::Config) -> Result<Self> {
        Ok(Client {
            rest: Rest::new(config.base()?, site::CREDENTIAL),
            roles: Memo::new(),
            groups: Memo::new(),
            instances: site::Instances::new(config, "Jira")?,
        })
    }

    fn get(&self, path: &str) -> Result<Request> {
        self.rest.at(Method::Get, path)
    }

    /// The token's user; a refusal names what to fix.
    pub fn myself(&self) -> Result<User> {
        self.get("rest/api/3/myself")?
            .fetch_json()
            .map_err(site::token_refused(self.rest.base(), "Jira"))
    }

    /// Which of the global permissions the connector needs the token's user
    /// holds: `USER_PICKER` (Browse users and groups), `ADMINISTER`
    /// (Administer Jira), `SYSTEM_ADMIN` (held by site admins).
    pub fn permissions(&self) -> Result<HashSet<String>> {
        #[derive(Deserialize)]
        struct Permissions {
            permissions: HashMap<String, Permission>,
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Permission {
            have_permission: bool,
        }
        let p: Permissions = self
            .get("rest/api/3/mypermissions")?
            .query([("permissions", "USER_PICKER,ADMINISTER,SYSTEM_ADMIN")])
            .fetch_json()?;
        let held = p.permissions.into_iter().filter(|(_, p)| p.have_permission);
        Ok(held.map(|(key, _)| key).collect())
    }

    /// One page of `users/search` (a bare array; the end is an empty page).
    pub fn users_page(
        &self,
        cursor: Option<&str>,
        size: u32,
    ) -> Result<(Vec<User>, Option<String>)> {
        let start = Offset::from_cursor(cursor)?;
        let users: Vec<User> = self
            .get("rest/api/3/users/search")?
            .query([
                ("startAt", start.0.to_string()),
                ("maxResults", size.to_string()),
            ])
            .fetch_json()
            .map_err(needs(BROWSE_USERS, "listing users"))?;
        let next = start.next_until_empty(users.len());
        Ok((users, next))
    }

    /// One user with their groups; not found is an error naming the id.
    pub fn user(&self, account_id: &str) -> Result<UserDetail> {
        self.get("rest/api/3/user")?
            .query([("accountId", account_id), ("expand", "groups")])
            .fetch_json()
            .map_err(|e| match e {
                Error::NotFound(_) => {
                    Error::NotFound(format!("Jira has no user with account id `{account_id}`"))
                }
                other => needs(BROWSE_USERS, "reading a user")(other),
            })
    }

    /// The application roles, fetched once per session unless `fresh`.
    pub fn roles(&self, fresh: bool) -> Result<Vec<ApplicationRole>> {
        let read = || {
            self.get("rest/api/3/applicationrole")?
                .fetch_json()
                .map_err(needs(ADMINISTER, "reading application roles and seats"))
        };
        if fresh {
            self.roles.refresh(read)
        } else {
            self.roles.get_or_read(read)
        }
    }

    /// The application role `key`, or not found.
    pub fn role(&self, key: &str) -> Result<ApplicationRole> {
        self.roles(false)?
            .into_iter()
            .find(|r| r.key == key)
            .ok_or_else(|| Error::NotFound(format!("Jira has no application role `{key}`")))
    }

    /// Plan per application key, from the instance licence.
    pub fn plans(&self) -> Result<HashMap<String, String>> {
        #[derive(Deserialize)]
        struct License {
            applications: Vec<Application>,
        }
        #[derive(Deserialize)]
        struct Application {
            id: String,
            plan: String,
        }
        let license: License = self.get("rest/api/3/instance/license")?.fetch_json()?;
        Ok(license
            .applications
            .into_iter()
            .map(|a| (a.id, a.plan))
            .collect())
    }

    /// `group/bulk`, optionally by access type, every page.
    fn group_bulk(&self, access_type: Option<&str>) -> Result<Vec<GroupRef>> {
        let mut request = self
            .get("rest/api/3/group/bulk")?
            .query([("maxResults", BEAN_PAGE.to_string())]);
        if let Some(access) = access_type {
            request = request.query([("accessType", access)]);
        }
        let mut all = Vec::new();
        each_page::<PageBean<GroupRef>>(std::slice::from_ref(&request), |_, page| all.extend(page))
            .map_err(needs(BROWSE_USERS, "listing groups"))?;
        Ok(all)
    }

    /// The user with exactly this email, if Jira shows one.
    pub fn find_by_email(&self, email: &str) -> Result<Option<User>> {
        let users: Vec<User> = self
            .get("rest/api/3/user/search")?
            .query([("query", email), ("maxResults", "50")])
            .fetch_json()
            .map_err(needs(BROWSE_USERS, "searching users"))?;
        Ok(users.into_iter().find(|u| u.has_email(email)))
    }

    /// `POST /rest/api/3/user`: invite `email` with `products`.
    pub fn create_user(&self, email: &str, products: &[String]) -> Result<Request> {
        let body = json!({ "emailAddress": email, "products": products });
        Ok(self.rest.at(Method::Post, "rest/api/3/user")?.json(&body))
    }

    /// `DELETE /rest/api/3/user`: remove an account from Jira's user base.
    pub fn delete_user(&self, account_id: &str) -> Result<Request> {
        let request = self.rest.at(Method::Delete, "rest/api/3/user")?;
        Ok(request.query([("accountId", account_id)]))
    }
}

/// The site's groups and memberships, as a directory reads them.
impl GroupSource for Client {
    /// Every group of the site, fetched once per session.
    fn groups(&self) -> Result<Vec<GroupRef>> {
        self.groups.get_or_read(|| self.group_bulk(None))
    }

    /// The groups that administer Jira or the site: their members hold a
    /// product as admins.
    fn admin_group_ids(&self) -> Result<Vec<String>> {
        let mut ids = Vec::new();
        for access in ["site-admin", "admin"] {
            ids.extend(self.group_bulk(Some(access))?.into_iter().map(|g| g.id));
        }
        Ok(ids)
    }

    type MemberRead = Listings<PageBean<User>>;

    /// `group/member` of each group, 50 memberships a page, inactive users
    /// included; needs *Administer Jira*.
    fn start_members(&self, groups: &[GroupRef]) -> Result<Self::MemberRead> {
        let requests = groups
            .iter()
            .map(|g| {
                Ok(self.get("rest/api/3/group/member")?.query([
                    ("groupId", g.id.as_str()),
                    ("includeInactiveUsers", "true"),
                    ("maxResults", &BEAN_PAGE.to_string()),
                ]))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Listings::new(requests))
    }

    fn read_members(
        &self,
        read: &mut Self::MemberRead,
        budget: usize,
        take: impl FnMut(usize, Vec<User>),
    ) -> Result<bool> {
        read.read(budget, take)
            .map_err(needs(ADMINISTER, "listing group members"))?;
        Ok(read.is_done())
    }

    /// The groups of each user, fetched as one batch (one request per
    /// user: the way without *Administer Jira*).
    fn groups_of_each(&self, users: &[User]) -> Result<Vec<Vec<GroupRef>>> {
        let requests = users
            .iter()
            .map(|u| {
                Ok(self
                    .get("rest/api/3/user/groups")?
                    .query([("accountId", &u.account_id)]))
            })
            .collect::<Result<Vec<_>>>()?;
        fan_out::<Vec<GroupRef>>(&requests, |i| format!("account `{}`", users[i].account_id))
            .map_err(needs(BROWSE_USERS, "reading a user's groups"))
    }
}

/// Membership changes, which need site administration.
impl GroupWrites for Client {
    const WRITES_NEED: Option<&'static str> = Some(SITE_ADMIN);

    /// `POST /rest/api/3/group/user`.
    fn add_member(&self, group: &GroupRef, account_id: &str) -> Result<Request> {
        let request = self.rest.at(Method::Post, "rest/api/3/group/user")?;
        Ok(request
            .query([("groupId", &group.id)])
            .json(&json!({ "accountId": account_id })))
    }

    /// `DELETE /rest/api/3/group/user`.
    fn remove_member(&self, group: &GroupRef, account_id: &str) -> Result<Request> {
        let request = self.rest.at(Method::Delete, "rest/api/3/group/user")?;
        Ok(request.query([("groupId", group.id.as_str()), ("accountId", account_id)]))
    }

    fn groups_of(&self, account_id: &str) -> Result<Vec<GroupRef>> {
        Ok(self.user(account_id)?.groups.items)
    }
}

/// Jira's products are application roles, granted through their groups.
impl GroupAccess for Client {
    const PRODUCT: &'static str = "application role";
    type Product = ApplicationRole;

    /// The group `target` names (an id or a name), or not found.
    fn group(&self, target: &str) -> Result<GroupRef> {
        groups::find(&self.groups()?, target)
            .cloned()
            .ok_or_else(|| Error::NotFound(format!("Jira has no group `{target}`")))
    }

    /// The application role of `product`, which must be on this site.
    fn product(&self, product: &ProductRef) -> Result<ApplicationRole> {
        self.instances.serves(product)?;
        self.role(&product.key)
    }

    fn granting<'p>(&self, role: &'p ApplicationRole) -> Granting<'p> {
        role.granting()
    }
}
