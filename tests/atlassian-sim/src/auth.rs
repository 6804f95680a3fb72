//! The credentials the simulator accepts, and reading them from requests.

use crate::rng::Rng;
use axum::http::HeaderMap;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// Every credential and identifier a connector needs to reach the
/// simulated organisation. Printed by the binary; read by tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The organisation id.
    pub org_id: String,
    /// An organisation API key without scopes: the Admin API and the
    /// user-management API.
    pub org_api_key: String,
    /// An organisation API key created with scopes: the Admin API accepts
    /// it, the user-management API answers 403 naming `manage:org`.
    pub scoped_org_api_key: String,
    /// The SCIM directory id.
    pub directory_id: String,
    /// The SCIM directory's API key.
    pub scim_api_key: String,
    /// The site subdomain.
    pub site: String,
    /// Email of the site admin.
    pub admin_email: String,
    /// The site admin's API token (Jira, Confluence).
    pub admin_api_token: String,
    /// Email of an ordinary user (Browse users and groups, nothing more).
    pub user_email: String,
    /// That user's API token.
    pub user_api_token: String,
    /// Trello API key.
    pub trello_key: String,
    /// Trello token (of the site admin).
    pub trello_token: String,
    /// Trello workspace (organization) id.
    pub trello_workspace: String,
    /// Trello enterprise id (unknown to Trello when the workspace belongs
    /// to no enterprise, see `Org::trello_enterprise`).
    pub trello_enterprise: String,
    /// Bitbucket workspace slug.
    pub bitbucket_workspace: String,
    /// Bitbucket API token of the site admin (Basic with `admin_email`).
    pub bitbucket_api_token: String,
    /// A Bitbucket workspace access token (Bearer): acts as the workspace,
    /// with admin rights on it.
    pub bitbucket_access_token: String,
}

impl Credentials {
    /// Credentials for an organisation, derived from the seed.
    pub(crate) fn new(seed: u64, org: &crate::model::Org) -> Self {
        let mut rng = Rng::new(seed ^ 0x6b65_7973);
        let email = |i: usize| org.people[i].email.clone().unwrap_or_default();
        Credentials {
            org_id: org.id.clone(),
            org_api_key: format!("ATCTT3xFfGN0{}", rng.hex(40)),
            scoped_org_api_key: format!("ATCTT3xFfGS0{}", rng.hex(40)),
            directory_id: org.directory_id.clone(),
            scim_api_key: format!("scim-{}", rng.hex(40)),
            site: org.site.clone(),
            admin_email: email(org.admin),
            admin_api_token: format!("ATATT3xFfGF0{}", rng.hex(48)),
            user_email: email(org.user),
            user_api_token: format!("ATATT3xFfGF0{}", rng.hex(48)),
            trello_key: rng.hex(32),
            trello_token: format!("ATTA{}", rng.hex(60)),
            trello_workspace: org.trello_workspace_id.clone(),
            trello_enterprise: org.trello_enterprise_id.clone(),
            bitbucket_workspace: org.bitbucket_workspace.clone(),
            bitbucket_api_token: format!("ATBB{}", rng.hex(40)),
            bitbucket_access_token: format!("ATCTT3xFfGN0{}", rng.hex(44)),
        }
    }
}

/// The token of an `Authorization: Bearer` header.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get("authorization")?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

/// The user name and password of an `Authorization: Basic` header.
pub fn basic(headers: &HeaderMap) -> Option<(String, String)> {
    let encoded = headers
        .get("authorization")?
        .to_str()
        .ok()?
        .strip_prefix("Basic ")?;
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (user, password) = decoded.split_once(':')?;
    Some((user.to_owned(), password.to_owned()))
}
