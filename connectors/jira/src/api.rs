//! Jira REST v3: the requests this connector makes, the shapes it reads,
//! and what a refusal of each means for the operator.

use roster_sdk::http::{Request, Response, send_all};
use roster_sdk::paging::Offset;
use roster_sdk::{Error, Result, Url};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::json;
use std::cell::RefCell;
use std::collections::HashMap;

/// The manifest credential every authenticated request carries.
const AUTH: &str = "site-admin";

/// Most items a `PageBean` page of groups or members holds in Jira Cloud;
/// asked for explicitly, and followed from the answer's own `maxResults`.
const BEAN_PAGE: u32 = 50;

/// A Jira site.
pub struct Jira {
    base: Url,
    roles: RefCell<Option<Vec<ApplicationRole>>>,
    groups: RefCell<Option<Vec<GroupRef>>>,
}

/// `GET /_edge/tenant_info`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TenantInfo {
    /// The site's cloud id.
    pub cloud_id: String,
}

/// A user as `users/search`, `myself`, `user` and group member listings
/// return it.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    /// The Atlassian account id.
    pub account_id: String,
    /// `atlassian`, `app`, `customer` or `unknown`.
    #[serde(default)]
    pub account_type: String,
    /// Absent or empty when the profile hides it.
    #[serde(default)]
    pub email_address: Option<String>,
    /// The name Jira shows.
    #[serde(default)]
    pub display_name: Option<String>,
    /// False for users who cannot sign in or were removed from Jira.
    #[serde(default)]
    pub active: bool,
}

impl User {
    /// Whether this is a person's account (not an app or a portal
    /// customer): only those take paid seats.
    pub fn is_person(&self) -> bool {
        self.account_type == "atlassian"
    }
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
#[derive(Deserialize)]
pub struct Items<T> {
    /// The items (empty unless expanded).
    #[serde(default = "Vec::new")]
    pub items: Vec<T>,
}

impl<T> Default for Items<T> {
    fn default() -> Self {
        Items { items: Vec::new() }
    }
}

/// A group: name and id.
#[derive(Deserialize, Clone, Debug)]
#[serde(rename_all = "camelCase")]
pub struct GroupRef {
    /// The group's name.
    pub name: String,
    /// The group's id (what membership changes take).
    #[serde(default)]
    pub group_id: String,
}

impl GroupRef {
    /// Whether `target` (an id or a name, as the contract allows) names
    /// this group.
    pub fn is(&self, target: &str) -> bool {
        self.group_id == target || self.name == target
    }
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
    /// Whether membership of the group with this id grants the role.
    pub fn grants_via(&self, group_id: &str) -> bool {
        self.group_details.iter().any(|g| g.group_id == group_id)
    }

    /// Seats in use: the role's count, else what the seats left imply.
    pub fn seats_used(&self) -> Option<u32> {
        self.user_count.or_else(|| {
            let total = i64::from(self.number_of_seats?);
            u32::try_from(total - self.remaining_seats?).ok()
        })
    }

    /// The granting groups, default groups first.
    pub fn granting_groups(&self) -> Vec<String> {
        let default = |g: &GroupRef| {
            self.default_groups_details
                .iter()
                .any(|d| d.group_id == g.group_id)
        };
        let (mut first, rest): (Vec<&GroupRef>, Vec<&GroupRef>) =
            self.group_details.iter().partition(|g| default(g));
        first.extend(rest);
        first.into_iter().map(|g| g.name.clone()).collect()
    }
}

/// Jira's `PageBean`: offset paging with a total.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PageBean<T> {
    #[serde(default)]
    start_at: u64,
    #[serde(default)]
    max_results: u64,
    #[serde(default)]
    total: u64,
    #[serde(default = "Vec::new")]
    values: Vec<T>,
}

/// The global permissions the connector needs.
pub struct Granted {
    /// `USER_PICKER`: Browse users and groups.
    pub browse_users: bool,
    /// `ADMINISTER`: Administer Jira.
    pub administer: bool,
    /// `SYSTEM_ADMIN`: held by site admins.
    pub site_admin: bool,
}

/// The name of the global permission every read needs.
pub const BROWSE_USERS: &str = "the global permission `Browse users and groups`";
/// The name of the global permission seats and memberships need.
pub const ADMINISTER: &str = "the global permission `Administer Jira`";
/// What membership changes and removals need.
pub const SITE_ADMIN: &str = "site administration (membership of the `site-admins` group)";

/// Names the permission behind a 403: `what` needs `permission`.
pub fn needs(permission: &str, what: &str) -> impl FnOnce(Error) -> Error {
    move |e| match e {
        Error::Forbidden(upstream) => Error::Forbidden(format!(
            "{what} needs {permission}, which the token's user lacks ({upstream})"
        )),
        other => other,
    }
}

impl Jira {
    /// A client of the site at `base`.
    pub fn new(base: Url) -> Self {
        Jira {
            base,
            roles: RefCell::new(None),
            groups: RefCell::new(None),
        }
    }

    fn url(&self, path: &str) -> Result<Url> {
        Ok(self.base.join(path)?)
    }

    fn get(&self, path: &str) -> Result<Request> {
        Ok(Request::get(self.url(path)?).auth(AUTH))
    }

    /// The site's cloud id; a host that is no Jira site is a config error.
    pub fn tenant_info(&self) -> Result<TenantInfo> {
        Request::get(self.url("_edge/tenant_info")?)
            .fetch_json()
            .map_err(|e| match e {
                Error::NotFound(_) | Error::InvalidResponse(_) => Error::config(
                    "site",
                    format_args!("{} is not a Jira Cloud site", self.base),
                ),
                other => other,
            })
    }

    /// The token's user; a refusal names what to fix.
    pub fn myself(&self) -> Result<User> {
        self.get("rest/api/3/myself")?
            .fetch_json()
            .map_err(|e| match e {
                Error::Unauthorized(_) => Error::Unauthorized(format!(
                    "Jira at {} rejected the email and API token: check `email`, and create a new \
                     token at id.atlassian.com > Security > API tokens",
                    self.base
                )),
                other => other,
            })
    }

    /// Which of the needed global permissions the token's user holds.
    pub fn permissions(&self) -> Result<Granted> {
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
        let has = |k: &str| p.permissions.get(k).is_some_and(|p| p.have_permission);
        Ok(Granted {
            browse_users: has("USER_PICKER"),
            administer: has("ADMINISTER") || has("SYSTEM_ADMIN"),
            site_admin: has("SYSTEM_ADMIN"),
        })
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

    /// The groups of each user, fetched as one batch (one request per
    /// user: the way without *Administer Jira*).
    pub fn groups_of_each(&self, users: &[User]) -> Result<Vec<Vec<GroupRef>>> {
        let requests = users
            .iter()
            .map(|u| {
                Ok(self
                    .get("rest/api/3/user/groups")?
                    .query([("accountId", &u.account_id)]))
            })
            .collect::<Result<Vec<_>>>()?;
        send_all(&requests)
            .into_iter()
            .map(|r| {
                r?.error_for_status()
                    .map_err(needs(BROWSE_USERS, "reading a user's groups"))?
                    .json()
            })
            .collect()
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
        if !fresh && let Some(roles) = &*self.roles.borrow() {
            return Ok(roles.clone());
        }
        let roles: Vec<ApplicationRole> = self
            .get("rest/api/3/applicationrole")?
            .fetch_json()
            .map_err(needs(ADMINISTER, "reading application roles and seats"))?;
        *self.roles.borrow_mut() = Some(roles.clone());
        Ok(roles)
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

    /// Every group of the site, fetched once per session.
    pub fn groups(&self) -> Result<Vec<GroupRef>> {
        if let Some(groups) = &*self.groups.borrow() {
            return Ok(groups.clone());
        }
        let groups = self.group_bulk(None)?;
        *self.groups.borrow_mut() = Some(groups.clone());
        Ok(groups)
    }

    /// The group `target` names (an id or a name), or not found.
    pub fn group(&self, target: &str) -> Result<GroupRef> {
        self.groups()?
            .into_iter()
            .find(|g| g.is(target))
            .ok_or_else(|| Error::NotFound(format!("Jira has no group `{target}`")))
    }

    /// Ids of the groups that administer Jira or the site: their members
    /// hold a product as admins.
    pub fn admin_group_ids(&self) -> Result<Vec<String>> {
        let mut ids = Vec::new();
        for access in ["site-admin", "admin"] {
            ids.extend(
                self.group_bulk(Some(access))?
                    .into_iter()
                    .map(|g| g.group_id),
            );
        }
        Ok(ids)
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
        each_page(std::slice::from_ref(&request), |_, page| all.extend(page))
            .map_err(needs(BROWSE_USERS, "listing groups"))?;
        Ok(all)
    }

    /// The members of each group (inactive ones included), every page,
    /// handed to `take` with the group's index as each page arrives.
    pub fn members(&self, groups: &[GroupRef], take: impl FnMut(usize, Vec<User>)) -> Result<()> {
        let requests = groups
            .iter()
            .map(|g| {
                Ok(self.get("rest/api/3/group/member")?.query([
                    ("groupId", g.group_id.as_str()),
                    ("includeInactiveUsers", "true"),
                    ("maxResults", &BEAN_PAGE.to_string()),
                ]))
            })
            .collect::<Result<Vec<_>>>()?;
        each_page(&requests, take).map_err(needs(ADMINISTER, "listing group members"))
    }

    /// The user with exactly this email, if Jira shows one.
    pub fn find_by_email(&self, email: &str) -> Result<Option<User>> {
        let users: Vec<User> = self
            .get("rest/api/3/user/search")?
            .query([("query", email), ("maxResults", "50")])
            .fetch_json()
            .map_err(needs(BROWSE_USERS, "searching users"))?;
        Ok(users.into_iter().find(|u| {
            u.email_address
                .as_deref()
                .is_some_and(|e| e.eq_ignore_ascii_case(email))
        }))
    }

    /// `POST /rest/api/3/user`: invite `email` with `products`.
    pub fn create_user(&self, email: &str, products: &[String]) -> Result<Request> {
        Ok(Request::post(self.url("rest/api/3/user")?)
            .auth(AUTH)
            .json(&json!({ "emailAddress": email, "products": products })))
    }

    /// `POST /rest/api/3/group/user`: add an account to a group.
    pub fn add_to_group(&self, group_id: &str, account_id: &str) -> Result<Request> {
        Ok(Request::post(self.url("rest/api/3/group/user")?)
            .query([("groupId", group_id)])
            .auth(AUTH)
            .json(&json!({ "accountId": account_id })))
    }

    /// `DELETE /rest/api/3/group/user`: take an account out of a group.
    pub fn remove_from_group(&self, group_id: &str, account_id: &str) -> Result<Request> {
        Ok(Request::delete(self.url("rest/api/3/group/user")?)
            .query([("groupId", group_id), ("accountId", account_id)])
            .auth(AUTH))
    }

    /// `DELETE /rest/api/3/user`: remove an account from Jira's user base.
    pub fn delete_user(&self, account_id: &str) -> Result<Request> {
        Ok(Request::delete(self.url("rest/api/3/user")?)
            .query([("accountId", account_id)])
            .auth(AUTH))
    }
}

/// Every page of several `PageBean` listings: the first pages together,
/// then, from the totals they report, all the others in batches. Hands
/// each page's values to `take` with the index of its listing, first pages
/// in request order, then the others listing by listing.
fn each_page<T: DeserializeOwned>(
    firsts: &[Request],
    mut take: impl FnMut(usize, Vec<T>),
) -> Result<()> {
    let mut rest = Vec::new();
    let mut owners = Vec::new();
    for (i, answer) in send_all(firsts).into_iter().enumerate() {
        let page: PageBean<T> = decode(answer)?;
        let step = page.max_results.max(page.values.len() as u64).max(1);
        let mut start = page.start_at + step;
        while start < page.total {
            rest.push(firsts[i].clone().query([("startAt", start.to_string())]));
            owners.push(i);
            start += step;
        }
        take(i, page.values);
    }
    // In batches, each decoded before the next is sent, so that a large
    // site's answers never sit in memory all at once.
    for (requests, owners) in rest
        .chunks(FOLLOWING_PAGES_PER_BATCH)
        .zip(owners.chunks(FOLLOWING_PAGES_PER_BATCH))
    {
        for (answer, &owner) in send_all(requests).into_iter().zip(owners) {
            let page: PageBean<T> = decode(answer)?;
            take(owner, page.values);
        }
    }
    Ok(())
}

/// Pages of a listing fetched per batch after the first pages: enough to
/// keep the host's concurrency busy, few enough that the answers of one
/// batch stay around a megabyte.
const FOLLOWING_PAGES_PER_BATCH: usize = 64;

/// A 2xx JSON answer of a batch, or the error it means.
fn decode<T: DeserializeOwned>(answer: Result<Response, roster_sdk::http::HttpError>) -> Result<T> {
    answer?.error_for_status()?.json()
}
