//! Bitbucket Cloud: one workspace's members with their permissions and
//! last access, its groups, and group-based provisioning, with an
//! Atlassian API token (Basic with the account's email) or a workspace
//! access token (Bearer). App passwords stopped working in July 2026.
//!
//! Every stream reads the workspace's `/permissions` listing, 100
//! memberships a page, and accounts add one request for every group with
//! its members (1.0): a 1 000-member workspace costs about a dozen
//! requests a stream, well inside Bitbucket's 1 000 an hour per user,
//! which the host also holds the upstream to.
//!
//! What Bitbucket does not say:
//! - No listing gives an account's status (only one `users/{id}` request
//!   per member would, which the hourly quota cannot afford): statuses are
//!   `unknown`; the organization admin connector has them.
//! - No email without knowing it first (`q=user.email IN (...)`): none is
//!   reported; people join the other products on account id.
//! - Once the workspace's administration moved to admin.atlassian.com,
//!   memberships lose `last_accessed` (so there is no usage) and groups are
//!   read-only (so there is no provisioning): the organization admin
//!   connector covers both, and the check says so.

mod api;

use api::{ACCESS_TOKEN, API, API_TOKEN, BITBUCKET, BitbucketUser, Client, Membership, Workspace};
use roster_atlassian::access::{self, GroupAccess, GroupWrites};
use roster_sdk::prelude::*;
use roster_sdk::{Secret, base_url};
use schemars::JsonSchema;
use serde::Deserialize;
use std::collections::HashMap;

/// How to reach one Bitbucket Cloud workspace: its slug, and either an
/// Atlassian API token with the account's email, or a workspace access
/// token.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The workspace's slug: `acme` for bitbucket.org/acme (Workspace
    /// settings > Workspace details).
    pub workspace: String,
    /// With `api_token`: the email of the Atlassian account the token
    /// belongs to (a workspace administrator).
    #[serde(default)]
    pub email: Option<String>,
    /// An Atlassian API token with Bitbucket scopes (read workspace, user
    /// and group; write group for provisioning), created at
    /// id.atlassian.com > Security > Create API token with scopes. App
    /// passwords no longer work.
    #[serde(default)]
    pub api_token: Option<Secret>,
    /// Instead of `email` and `api_token`: a workspace access token,
    /// created at Workspace settings > Security > Access tokens.
    #[serde(default)]
    pub access_token: Option<Secret>,
    /// Where to send requests instead of https://api.bitbucket.org (a
    /// proxy, or a simulator). Leave out for Bitbucket Cloud.
    #[serde(default)]
    pub base_url: Option<String>,
    /// The groups whose members hold Bitbucket, by slug or name, the one
    /// grants add people to first. Leave out for the workspace's groups
    /// that give a repository permission, `bitbucket-users` first.
    #[serde(default)]
    pub licensed_groups: Option<Vec<String>>,
}

/// Which credentials a config gives.
fn credential(config: &Config) -> Result<&'static str> {
    match (&config.email, &config.api_token, &config.access_token) {
        (Some(_), Some(_), None) => Ok(API_TOKEN),
        (None, None, Some(_)) => Ok(ACCESS_TOKEN),
        (_, _, Some(_)) => Err(Error::config(
            "access_token",
            "give either `email` and `api_token`, or `access_token`, not both",
        )),
        (None, Some(_), None) => Err(Error::config(
            "email",
            "`api_token` needs the email of the account it belongs to",
        )),
        (Some(_), None, None) => Err(Error::config(
            "api_token",
            "`email` needs an Atlassian API token with Bitbucket scopes",
        )),
        (None, None, None) => Err(Error::config(
            "api_token",
            "give `email` and `api_token` (an Atlassian API token), or `access_token` (a \
             workspace access token)",
        )),
    }
}

/// A session against one Bitbucket workspace.
struct Bitbucket {
    api: Client,
    /// The workspace slug.
    workspace: String,
    /// Who the credentials are, for the check.
    principal: String,
}

impl Connector for Bitbucket {
    type Config = Config;

    fn manifest() -> Manifest {
        Manifest::new("bitbucket", "Bitbucket", env!("CARGO_PKG_VERSION"))
            .description(
                "Members of a Bitbucket Cloud workspace with their permissions and last \
                 access, and its groups; grants and revokes through group membership. \
                 Statuses, emails and (once administration is centralised) last access come \
                 from the Atlassian organization admin connector, joined on account id.",
            )
            .host(API)
            .host("{base_url}")
            .credential(
                Credential::basic(API_TOKEN, "email", "api_token")
                    .to(API)
                    .to("{base_url}"),
            )
            .credential(
                Credential::bearer(ACCESS_TOKEN, "access_token")
                    .to(API)
                    .to("{base_url}"),
            )
            .streams(Stream::ALL)
            .actions([ActionKind::Grant, ActionKind::Revoke])
            .products([BITBUCKET])
    }

    fn open(config: Config) -> Result<Self> {
        let credential = credential(&config)?;
        let workspace = config.workspace.trim().to_owned();
        if workspace.is_empty() || workspace.contains(['/', '?', '#']) {
            return Err(Error::config(
                "workspace",
                format_args!(
                    "`{workspace}` is not a workspace slug: use `acme` for bitbucket.org/acme"
                ),
            ));
        }
        let base = base_url("base_url", config.base_url.as_deref().unwrap_or(API))?;
        let principal = match &config.email {
            Some(email) if credential == API_TOKEN => format!("{email} on workspace {workspace}"),
            _ => format!("the access token of workspace {workspace}"),
        };
        Ok(Bitbucket {
            api: Client::new(base, credential, workspace.clone(), config.licensed_groups),
            workspace,
            principal,
        })
    }

    fn check(&self) -> Result<CheckReport> {
        self.api.workspace()?;
        let centralised = self.api.centralised()?;
        self.api.licensed()?;
        let mut report = CheckReport::all_of(&Self::manifest());
        report.principal = Some(self.principal.clone());
        if centralised {
            report.keep_streams(|s| s != Stream::Usage);
            report.keep_actions(|_| false);
            report.warnings.push(format!(
                "the administration of workspace `{}` moved to admin.atlassian.com: Bitbucket no \
                 longer reports last access, and group membership is managed there; use the \
                 Atlassian organization admin connector for usage and provisioning",
                self.workspace
            ));
        }
        Ok(report)
    }

    /// Every member, with permission, join date and last access.
    fn accounts(&self, cursor: Option<String>) -> Result<Page<Account>> {
        let (members, next) = self.api.permissions_page(cursor.as_deref())?;
        let groups = self.api.groups(false)?;
        let mut by_member: HashMap<&str, Vec<String>> = HashMap::new();
        for group in &groups {
            for user in &group.members {
                by_member
                    .entry(user.account_id.as_deref().unwrap_or(&user.uuid))
                    .or_default()
                    .push(group.name.clone());
            }
        }
        let items = members
            .iter()
            .map(|m| {
                let groups = by_member
                    .get(m.user.id())
                    .or_else(|| by_member.get(m.user.uuid.as_str()))
                    .cloned()
                    .unwrap_or_default();
                account(m, groups)
            })
            .collect();
        Ok(Page::new(items, next))
    }

    fn products(&self) -> Result<Vec<Product>> {
        let Workspace { slug, name } = self.api.workspace()?;
        let licensed = self.api.licensed()?;
        // Bitbucket names no instance the Admin API would: the store places
        // these on the organisation's one Bitbucket workspace.
        let mut product = Product::new(BITBUCKET, None, name.unwrap_or_else(|| slug.clone()));
        product.url = Some(format!("https://bitbucket.org/{slug}"));
        product.granting_groups = self.api.granting(&licensed).names();
        Ok(vec![product])
    }

    /// A seat per member: owners and members take one, collaborators not.
    fn licenses(&self, cursor: Option<String>) -> Result<Page<License>> {
        let (members, next) = self.api.permissions_page(cursor.as_deref())?;
        let items = members
            .iter()
            .map(|m| License {
                account_id: m.user.id().to_owned(),
                product: ProductRef::only(BITBUCKET),
                role: m.permission.clone(),
                billable: m.permission.as_deref() != Some("collaborator"),
                via_group: None,
            })
            .collect();
        Ok(Page::new(items, next))
    }

    /// `last_accessed` of each member that has one, to the microsecond
    /// Bitbucket writes.
    fn usage(&self, cursor: Option<String>) -> Result<Page<Usage>> {
        let (members, next) = self.api.permissions_page(cursor.as_deref())?;
        let items = members
            .iter()
            .filter_map(|m| {
                Some(Usage {
                    account_id: m.user.id().to_owned(),
                    product: Some(ProductRef::only(BITBUCKET)),
                    last_active: Instant::timestamp(m.last_accessed.clone()?),
                })
            })
            .collect();
        Ok(Page::new(items, next))
    }

    fn provision(&self, action: Action, ctx: &mut Provisioning) -> Result<Outcome> {
        let change = match action {
            Action::Grant(change) | Action::Revoke(change) if self.api.centralised()? => {
                return Err(Error::unsupported(format_args!(
                    "group membership of workspace `{}` is managed at admin.atlassian.com: use \
                     the Atlassian organization admin connector ({})",
                    self.workspace, change.account_id
                )));
            }
            Action::Grant(change) => (change, true),
            Action::Revoke(change) => (change, false),
            other => {
                return Err(Error::unsupported(format_args!(
                    "Bitbucket has no API to {:?} workspace members: use the Atlassian \
                     organization admin connector",
                    other.kind()
                )));
            }
        };
        let (change, grant) = change;
        self.api.user(&change.account_id)?;
        let member_of = self.api.groups_of(&change.account_id)?;
        let (id, target) = (&change.account_id, &change.target);
        let summary = if grant {
            access::grant(&self.api, ctx, id, &member_of, target)?
        } else {
            access::revoke(&self.api, ctx, id, &member_of, target)?
        };
        Ok(ctx.finish(Some(change.account_id), summary))
    }
}

/// The account of a member in `groups`: status unknown (Bitbucket's
/// listings do not say), the permission, uuid and handle as attributes.
fn account(membership: &Membership, groups: Vec<String>) -> Account {
    let user: &BitbucketUser = &membership.user;
    let kind = match user.kind.as_str() {
        "user" => AccountKind::Human,
        "app_user" => AccountKind::App,
        _ => AccountKind::Unknown,
    };
    let mut account = Account::new(user.id(), AccountStatus::Unknown, kind);
    account.display_name = user.display_name.clone();
    account.created_at = membership.added_on.clone().map(Instant::timestamp);
    account.last_active = membership.last_accessed.clone().map(Instant::timestamp);
    account.groups = groups;
    account.attributes.push(("uuid".into(), user.uuid.clone()));
    if let Some(permission) = &membership.permission {
        account
            .attributes
            .push(("permission".into(), permission.clone()));
    }
    if let Some(nickname) = &user.nickname {
        account
            .attributes
            .push(("nickname".into(), nickname.clone()));
    }
    account
}

roster_sdk::export_connector!(Bitbucket);
