//! Jira REST v3: the requests this connector makes and the shapes it reads.

use roster_sdk::http::{Request, send_all};
use roster_sdk::paging::Offset;
use roster_sdk::{Error, Result, Url};
use serde::Deserialize;
use serde_json::json;
use std::cell::RefCell;
use std::collections::HashMap;

/// The manifest credential every request carries.
const AUTH: &str = "site-admin";

/// A Jira site.
pub struct Jira {
    base: Url,
    roles: RefCell<Option<Vec<ApplicationRole>>>,
}

/// `GET /_edge/tenant_info`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TenantInfo {
    /// The site's cloud id.
    #[allow(dead_code, reason = "read to prove the site exists")]
    pub cloud_id: String,
}

/// A user as `users/search` and `myself` return it.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub account_id: String,
    #[serde(default)]
    pub account_type: String,
    #[serde(default)]
    pub email_address: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub active: bool,
}

/// A user with `expand=groups,applicationRoles`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserDetail {
    #[serde(default)]
    pub groups: Items<GroupRef>,
    #[serde(default)]
    pub application_roles: Items<RoleRef>,
}

/// `{"size": n, "items": [...]}`.
#[derive(Deserialize)]
pub struct Items<T> {
    #[serde(default = "Vec::new")]
    pub items: Vec<T>,
}

impl<T> Default for Items<T> {
    fn default() -> Self {
        Items { items: Vec::new() }
    }
}

/// A group reference.
#[derive(Deserialize, Clone)]
#[serde(rename_all = "camelCase")]
pub struct GroupRef {
    pub name: String,
    #[serde(default)]
    pub group_id: String,
}

/// An application role reference.
#[derive(Deserialize)]
pub struct RoleRef {
    pub key: String,
}

/// `GET /rest/api/3/applicationrole` items.
#[derive(Deserialize, Clone)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationRole {
    pub key: String,
    pub name: String,
    #[serde(default)]
    pub group_details: Vec<GroupRef>,
    #[serde(default)]
    pub default_groups_details: Vec<GroupRef>,
    #[serde(default)]
    pub number_of_seats: Option<u32>,
    #[serde(default)]
    pub user_count: Option<u32>,
    #[serde(default)]
    pub has_unlimited_seats: bool,
}

impl ApplicationRole {
    /// Whether membership of this group grants the role.
    pub fn grants_via(&self, group_id: &str) -> bool {
        self.group_details.iter().any(|g| g.group_id == group_id)
    }
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

impl Jira {
    pub fn new(base: Url) -> Self {
        Jira {
            base,
            roles: RefCell::new(None),
        }
    }

    fn url(&self, path: &str) -> Result<Url> {
        Ok(self.base.join(path)?)
    }

    fn get(&self, path: &str) -> Result<Request> {
        Ok(Request::get(self.url(path)?).auth(AUTH))
    }

    pub fn tenant_info(&self) -> Result<TenantInfo> {
        Request::get(self.url("_edge/tenant_info")?)
            .fetch_json()
            .map_err(|e| match e {
                Error::NotFound(_) => Error::config(
                    "site",
                    format_args!("{} is not a Jira Cloud site", self.base),
                ),
                other => other,
            })
    }

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
            .fetch_json()?;
        let next = start.next_until_empty(users.len());
        Ok((users, next))
    }

    /// Groups and application roles of each user, fetched as one batch.
    pub fn details(&self, users: &[User]) -> Result<Vec<UserDetail>> {
        let requests = users
            .iter()
            .map(|u| self.user_request(&u.account_id))
            .collect::<Result<Vec<_>>>()?;
        send_all(&requests)
            .into_iter()
            .map(|r| r?.error_for_status()?.json())
            .collect()
    }

    fn user_request(&self, account_id: &str) -> Result<Request> {
        Ok(self.get("rest/api/3/user")?.query([
            ("accountId", account_id),
            ("expand", "groups,applicationRoles"),
        ]))
    }

    /// One user with groups and roles; not found is an error naming the id.
    pub fn user(&self, account_id: &str) -> Result<UserDetail> {
        self.user_request(account_id)?
            .fetch_json()
            .map_err(|e| match e {
                Error::NotFound(_) => {
                    Error::NotFound(format!("Jira has no user with account id `{account_id}`"))
                }
                other => other,
            })
    }

    pub fn user_groups(&self, account_id: &str) -> Result<Vec<GroupRef>> {
        self.get("rest/api/3/user/groups")?
            .query([("accountId", account_id)])
            .fetch_json()
    }

    /// The application roles, fetched once per session.
    pub fn roles(&self) -> Result<Vec<ApplicationRole>> {
        if let Some(roles) = &*self.roles.borrow() {
            return Ok(roles.clone());
        }
        let roles: Vec<ApplicationRole> = self.get("rest/api/3/applicationrole")?.fetch_json()?;
        *self.roles.borrow_mut() = Some(roles.clone());
        Ok(roles)
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

    /// The user with exactly this email, if Jira shows one.
    pub fn find_by_email(&self, email: &str) -> Result<Option<User>> {
        let users: Vec<User> = self
            .get("rest/api/3/user/search")?
            .query([("query", email), ("maxResults", "50")])
            .fetch_json()?;
        Ok(users.into_iter().find(|u| {
            u.email_address
                .as_deref()
                .is_some_and(|e| e.eq_ignore_ascii_case(email))
        }))
    }

    pub fn create_user(&self, email: &str, products: &[String]) -> Result<Request> {
        Ok(Request::post(self.url("rest/api/3/user")?)
            .auth(AUTH)
            .json(&json!({ "emailAddress": email, "products": products })))
    }

    pub fn add_to_group(&self, group_id: &str, account_id: &str) -> Result<Request> {
        Ok(Request::post(self.url("rest/api/3/group/user")?)
            .query([("groupId", group_id)])
            .auth(AUTH)
            .json(&json!({ "accountId": account_id })))
    }

    pub fn remove_from_group(&self, group_id: &str, account_id: &str) -> Result<Request> {
        Ok(Request::delete(self.url("rest/api/3/group/user")?)
            .query([("groupId", group_id), ("accountId", account_id)])
            .auth(AUTH))
    }

    pub fn delete_user(&self, account_id: &str) -> Result<Request> {
        Ok(Request::delete(self.url("rest/api/3/user")?)
            .query([("accountId", account_id)])
            .auth(AUTH))
    }
}
