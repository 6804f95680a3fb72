//! Jira Cloud: users, application roles (seats), groups and provisioning,
//! through the REST API v3 with an admin's email and API token.
//!
//! Jira has no last-active data; usage comes from the Atlassian
//! organization admin connector and is joined on the Atlassian account ids
//! this connector reports.
//!
//! Group memberships, which give both the accounts' groups and the
//! licences, are read group by group (`group/member`, 50 memberships a
//! request) rather than user by user, once per session. Without
//! *Administer Jira*, which that listing needs, accounts fall back to one
//! `user/groups` request per user.

mod api;
mod directory;

use api::{ADMINISTER, ApplicationRole, BROWSE_USERS, Jira, SITE_ADMIN, User, UserDetail, needs};
use directory::Directory;
use roster_sdk::OutcomeStatus;
use roster_sdk::paging::Offset;
use roster_sdk::prelude::*;
use schemars::JsonSchema;
use serde::Deserialize;
use std::cell::{Cell, RefCell};
use std::rc::Rc;

/// Users per `users/search` page.
const PAGE_SIZE: u32 = 100;

/// How to reach a Jira Cloud site.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Config {
    /// The site's subdomain: `acme` for acme.atlassian.net.
    site: String,
    /// Email address of the Jira administrator whose API token this is.
    email: String,
    /// API token of that administrator, created at id.atlassian.com >
    /// Security > Create and manage API tokens (a classic, unscoped token).
    #[allow(
        dead_code,
        reason = "the host attaches it; the connector never sees it"
    )]
    api_token: Secret,
    /// Where to send requests instead of https://{site}.atlassian.net (a
    /// proxy, or a simulator). Leave out for Atlassian Cloud.
    #[serde(default)]
    base_url: Option<String>,
}

/// A session against one Jira site.
struct Connector {
    jira: Jira,
    /// The administrator the token belongs to.
    email: String,
    /// The site's memberships, read once per session (and again after a
    /// provisioning change).
    directory: RefCell<Option<Rc<Directory>>>,
    /// Set when the token's user may not list group members: accounts then
    /// read each user's groups one by one.
    per_user_groups: Cell<bool>,
}

impl roster_sdk::Connector for Connector {
    type Config = Config;

    fn manifest() -> Manifest {
        Manifest::new("jira", "Jira", env!("CARGO_PKG_VERSION"))
            .description(
                "Users, application roles with their seats, and group-based access of a Jira \
                 Cloud site; invites, grants and revokes product access, removes users.",
            )
            .host("https://{site}.atlassian.net")
            .host("{base_url}")
            .credential(
                Credential::basic("site-admin", "email", "api_token")
                    .to("https://{site}.atlassian.net")
                    .to("{base_url}"),
            )
            .streams([Stream::Accounts, Stream::Products, Stream::Licenses])
            .actions([
                ActionKind::Invite,
                ActionKind::Grant,
                ActionKind::Revoke,
                ActionKind::Remove,
            ])
            .products([
                "jira-software",
                "jira-servicedesk",
                "jira-core",
                "jira-product-discovery",
            ])
    }

    fn open(config: Config) -> Result<Self> {
        let site = site_url("site", &config.site, "https://{}.atlassian.net")?;
        let base = match &config.base_url {
            Some(url) => base_url("base_url", url)?,
            None => site,
        };
        Ok(Connector {
            jira: Jira::new(base),
            email: config.email,
            directory: RefCell::new(None),
            per_user_groups: Cell::new(false),
        })
    }

    fn check(&self) -> Result<CheckReport> {
        let tenant = self.jira.tenant_info()?;
        let me = self.jira.myself()?;
        let granted = self.jira.permissions()?;
        let missing: Vec<(&str, &str)> = [
            (
                !granted.browse_users,
                BROWSE_USERS,
                "listing users and groups; grant it in Jira settings > System > Global permissions",
            ),
            (
                !granted.administer,
                ADMINISTER,
                "seats, licences and invitations; grant it in Jira settings > System > Global \
                 permissions",
            ),
            (
                !granted.site_admin,
                SITE_ADMIN,
                "granting, revoking and removing; add the user to `site-admins` at \
                 admin.atlassian.com",
            ),
        ]
        .into_iter()
        .filter(|(lacking, ..)| *lacking)
        .map(|(_, permission, what)| (permission, what))
        .collect();
        let explain = |(permission, what): &(&str, &str)| {
            format!("the token's user lacks {permission}, needed for {what}")
        };
        if !granted.browse_users {
            let all: Vec<String> = missing.iter().map(explain).collect();
            return Err(Error::Forbidden(all.join("; ")));
        }
        let mut report = CheckReport::all_of(&Self::manifest());
        report.principal = Some(format!(
            "{} ({}) on site {}",
            me.email_address.unwrap_or_else(|| self.email.clone()),
            me.account_id,
            tenant.cloud_id
        ));
        if !granted.administer {
            report
                .capabilities
                .streams
                .retain(|s| *s == Stream::Accounts);
            report
                .capabilities
                .actions
                .retain(|a| *a != ActionKind::Invite);
        }
        if !granted.site_admin {
            report
                .capabilities
                .actions
                .retain(|a| *a == ActionKind::Invite);
        }
        report.warnings = missing.iter().map(explain).collect();
        Ok(report)
    }

    fn accounts(&self, cursor: Option<String>) -> Result<Page<Account>> {
        let (users, next) = self.jira.users_page(cursor.as_deref(), PAGE_SIZE)?;
        if users.is_empty() {
            return Ok(Page::new(Vec::new(), next));
        }
        let groups: Vec<Vec<String>> = match self.directory_if_allowed()? {
            Some(directory) => users
                .iter()
                .map(|u| directory.group_names(&u.account_id))
                .collect(),
            None => self
                .jira
                .groups_of_each(&users)?
                .into_iter()
                .map(|groups| groups.into_iter().map(|g| g.name).collect())
                .collect(),
        };
        let items = users
            .iter()
            .zip(groups)
            .map(|(user, groups)| {
                let mut account = account(user);
                account.groups = groups;
                account
            })
            .collect();
        Ok(Page::new(items, next))
    }

    fn products(&self) -> Result<Vec<Product>> {
        let plans = self.jira.plans()?;
        Ok(self
            .jira
            .roles(true)?
            .into_iter()
            .map(|role| {
                let mut p = Product::new(&role.key, &role.name);
                if !role.has_unlimited_seats {
                    p.seats_total = role.number_of_seats;
                }
                p.seats_used = role.seats_used();
                p.plan = plans.get(&role.key).cloned();
                p.granting_groups = role.granting_groups();
                p
            })
            .collect())
    }

    /// One page per application role: the members of the role's groups.
    fn licenses(&self, cursor: Option<String>) -> Result<Page<License>> {
        let roles = self.jira.roles(false)?;
        let at = Offset::from_cursor(cursor.as_deref())?;
        let Some(role) = usize::try_from(at.0).ok().and_then(|i| roles.get(i)) else {
            return Ok(Page::last(Vec::new()));
        };
        let items = self.role_directory()?.licences(role);
        Ok(Page::new(items, at.next_until_total(1, roles.len() as u64)))
    }

    fn provision(&self, action: Action, ctx: &mut Provisioning) -> Result<Outcome> {
        let outcome = match action {
            Action::Invite(invitation) => self.invite(invitation, ctx),
            Action::Grant(change) => self.grant(change, ctx),
            Action::Revoke(change) => self.revoke(change, ctx),
            Action::Remove(account_id) => self.remove(account_id, ctx),
            other => Err(Error::unsupported(format_args!(
                "Jira cannot {:?} users; use the Atlassian organization admin connector",
                other.kind()
            ))),
        }?;
        if outcome.status == OutcomeStatus::Applied {
            self.directory.take();
        }
        Ok(outcome)
    }
}

impl Connector {
    /// The site's memberships, read on first use.
    fn directory(&self) -> Result<Rc<Directory>> {
        self.read_directory(false)
    }

    /// The memberships of the groups granting application roles (all of
    /// them if already read).
    fn role_directory(&self) -> Result<Rc<Directory>> {
        self.read_directory(true)
    }

    fn read_directory(&self, role_groups_only: bool) -> Result<Rc<Directory>> {
        if let Some(directory) = &*self.directory.borrow()
            && (directory.complete || role_groups_only)
        {
            return Ok(directory.clone());
        }
        let roles = if role_groups_only {
            Some(self.jira.roles(false)?)
        } else {
            None
        };
        let directory = Rc::new(Directory::read(&self.jira, roles.as_deref())?);
        *self.directory.borrow_mut() = Some(directory.clone());
        Ok(directory)
    }

    /// The memberships, or none when the token's user may not list group
    /// members (then each user's groups are read one by one).
    fn directory_if_allowed(&self) -> Result<Option<Rc<Directory>>> {
        if self.per_user_groups.get() {
            return Ok(None);
        }
        match self.directory() {
            Ok(directory) => Ok(Some(directory)),
            Err(Error::Forbidden(_)) => {
                self.per_user_groups.set(true);
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    fn invite(&self, invitation: Invitation, ctx: &mut Provisioning) -> Result<Outcome> {
        let email = invitation.email;
        let roles = invitation
            .products
            .iter()
            .map(|key| self.jira.role(key))
            .collect::<Result<Vec<_>>>()?;
        let products = invitation.products.join(", ");
        let Some(user) = self.jira.find_by_email(&email)? else {
            let created = ctx
                .write(self.jira.create_user(&email, &invitation.products)?)
                .map_err(needs(ADMINISTER, "inviting a user"))?;
            let account_id = created
                .map(|r| r.json::<User>())
                .transpose()?
                .map(|u| u.account_id);
            return Ok(ctx.finish(
                account_id,
                format!("invite {email} to Jira with {products}"),
            ));
        };
        let detail = self.jira.user(&user.account_id)?;
        for role in &roles {
            self.grant_role(&detail, role, ctx)?;
        }
        Ok(ctx.finish(
            Some(user.account_id),
            format!("{email} already has a Jira account: make sure it holds {products}"),
        ))
    }

    fn grant(&self, change: AccessChange, ctx: &mut Provisioning) -> Result<Outcome> {
        let detail = self.jira.user(&change.account_id)?;
        let summary = match &change.target {
            AccessTarget::Product(key) => {
                self.grant_role(&detail, &self.jira.role(key)?, ctx)?;
                format!("grant {key} to {}", change.account_id)
            }
            AccessTarget::Group(target) => {
                let group = self.jira.group(target)?;
                if !detail.groups.items.iter().any(|g| g.is(&group.group_id)) {
                    ctx.write(
                        self.jira
                            .add_to_group(&group.group_id, &change.account_id)?,
                    )
                    .map_err(needs(SITE_ADMIN, "adding a user to a group"))?;
                }
                format!("add {} to group {}", change.account_id, group.name)
            }
        };
        Ok(ctx.finish(Some(change.account_id), summary))
    }

    /// Adds the account to the role's first default group unless one of the
    /// role's groups already grants it.
    fn grant_role(
        &self,
        detail: &UserDetail,
        role: &ApplicationRole,
        ctx: &mut Provisioning,
    ) -> Result<()> {
        if detail
            .groups
            .items
            .iter()
            .any(|g| role.grants_via(&g.group_id))
        {
            return Ok(());
        }
        let group = role.default_groups_details.first().ok_or_else(|| {
            Error::unsupported(format_args!(
                "application role `{}` has no default group to grant it with",
                role.key
            ))
        })?;
        ctx.write(
            self.jira
                .add_to_group(&group.group_id, &detail.user.account_id)?,
        )
        .map_err(needs(SITE_ADMIN, "adding a user to a group"))?;
        Ok(())
    }

    /// Takes the account out of the group, or out of every group of the
    /// role that grants the product, so that it no longer holds it.
    fn revoke(&self, change: AccessChange, ctx: &mut Provisioning) -> Result<Outcome> {
        let detail = self.jira.user(&change.account_id)?;
        let (from, summary) = match &change.target {
            AccessTarget::Product(key) => {
                let role = self.jira.role(key)?;
                let from: Vec<_> = detail
                    .groups
                    .items
                    .iter()
                    .filter(|g| role.grants_via(&g.group_id))
                    .cloned()
                    .collect();
                let names: Vec<&str> = from.iter().map(|g| g.name.as_str()).collect();
                let summary = format!(
                    "revoke {key} from {} (groups: {})",
                    change.account_id,
                    names.join(", ")
                );
                (from, summary)
            }
            AccessTarget::Group(target) => {
                let group = self.jira.group(target)?;
                let summary = format!("remove {} from group {}", change.account_id, group.name);
                let member = detail.groups.items.iter().any(|g| g.is(&group.group_id));
                (if member { vec![group] } else { Vec::new() }, summary)
            }
        };
        for group in from {
            ctx.write(
                self.jira
                    .remove_from_group(&group.group_id, &change.account_id)?,
            )
            .map_err(needs(SITE_ADMIN, "removing a user from a group"))?;
        }
        Ok(ctx.finish(Some(change.account_id), summary))
    }

    /// Removes the account from Jira's user base. One already removed
    /// (inactive, in no group that grants a Jira product) is unchanged.
    fn remove(&self, account_id: String, ctx: &mut Provisioning) -> Result<Outcome> {
        let detail = self.jira.user(&account_id)?;
        let roles = self.jira.roles(false)?;
        let in_jira = detail.user.active
            || detail
                .groups
                .items
                .iter()
                .any(|g| roles.iter().any(|r| r.grants_via(&g.group_id)));
        if in_jira {
            ctx.write(self.jira.delete_user(&account_id)?)
                .map_err(needs(SITE_ADMIN, "removing a user from Jira"))?;
        }
        Ok(ctx.finish(
            Some(account_id.clone()),
            format!("remove {account_id} from Jira"),
        ))
    }
}

/// The account a Jira user is: kind from `accountType`, active or not,
/// the email when the profile shows it.
fn account(user: &User) -> Account {
    let kind = match user.account_type.as_str() {
        "atlassian" => AccountKind::Human,
        "app" => AccountKind::App,
        "customer" => AccountKind::Customer,
        _ => AccountKind::Unknown,
    };
    let status = if user.active {
        AccountStatus::Active
    } else {
        AccountStatus::Deactivated
    };
    let mut account = Account::new(&user.account_id, status, kind);
    account.email = user.email_address.clone().filter(|e| !e.is_empty());
    account.display_name = user.display_name.clone();
    account.attributes = vec![("accountType".into(), user.account_type.clone())];
    account
}

roster_sdk::export_connector!(Connector);
