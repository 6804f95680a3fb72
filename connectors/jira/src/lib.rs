//! Jira Cloud: users, application roles (seats), groups and provisioning,
//! through the REST API v3 with an admin's email and API token.
//!
//! Jira has no last-active data; usage comes from the Atlassian
//! organization admin connector and is joined on the Atlassian account ids
//! this connector reports.

mod api;

use api::{ApplicationRole, Jira, User};
use roster_sdk::prelude::*;
use schemars::JsonSchema;
use serde::Deserialize;

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

struct Connector {
    jira: Jira,
    /// The administrator the token belongs to.
    email: String,
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
        })
    }

    fn check(&self) -> Result<CheckReport> {
        self.jira.tenant_info()?;
        let me = self.jira.myself()?;
        let granted = self.jira.permissions()?;
        let mut report = CheckReport::all_of(&Self::manifest());
        report.principal = Some(format!(
            "{} ({})",
            me.email_address.unwrap_or_else(|| self.email.clone()),
            me.account_id
        ));
        if !granted.browse_users {
            return Err(Error::Forbidden(
                "the token's user lacks the global permission `Browse users and groups`, \
                 needed to list users; grant it in Jira settings > System > Global permissions"
                    .into(),
            ));
        }
        if !granted.administer {
            report
                .capabilities
                .streams
                .retain(|s| *s == Stream::Accounts);
            report
                .capabilities
                .actions
                .retain(|a| *a != ActionKind::Invite);
            report.warnings.push(
                "the token's user lacks `Administer Jira`: seats, licences and invitations are \
                 unavailable"
                    .into(),
            );
        }
        if !granted.site_admin {
            report.capabilities.actions.retain(|a| {
                !matches!(
                    a,
                    ActionKind::Grant | ActionKind::Revoke | ActionKind::Remove
                )
            });
            report.warnings.push(
                "the token's user is not a site admin: granting, revoking and removing are \
                 unavailable"
                    .into(),
            );
        }
        Ok(report)
    }

    fn accounts(&self, cursor: Option<String>) -> Result<Page<Account>> {
        let (users, next) = self.jira.users_page(cursor.as_deref(), PAGE_SIZE)?;
        let details = self.jira.details(&users)?;
        let items = users
            .into_iter()
            .zip(details)
            .map(|(user, detail)| {
                let mut account = account(&user);
                account.groups = detail.groups.items.into_iter().map(|g| g.name).collect();
                account
            })
            .collect();
        Ok(Page::new(items, next))
    }

    fn products(&self) -> Result<Vec<Product>> {
        let plans = self.jira.plans()?;
        Ok(self
            .jira
            .roles()?
            .into_iter()
            .map(|role| {
                let mut p = Product::new(&role.key, &role.name);
                if !role.has_unlimited_seats {
                    p.seats_total = role.number_of_seats;
                }
                p.seats_used = role.user_count;
                p.plan = plans.get(&role.key).cloned();
                p.granting_groups = role.group_details.into_iter().map(|g| g.name).collect();
                p
            })
            .collect())
    }

    fn licenses(&self, cursor: Option<String>) -> Result<Page<License>> {
        let roles = self.jira.roles()?;
        let (users, next) = self.jira.users_page(cursor.as_deref(), PAGE_SIZE)?;
        let details = self.jira.details(&users)?;
        let mut items = Vec::new();
        for (user, detail) in users.iter().zip(details) {
            for held in &detail.application_roles.items {
                let via_group = roles
                    .iter()
                    .find(|r| r.key == held.key)
                    .and_then(|role| {
                        detail.groups.items.iter().find(|g| {
                            role.group_details
                                .iter()
                                .any(|rg| rg.group_id == g.group_id)
                        })
                    })
                    .map(|g| g.name.clone());
                items.push(License {
                    account_id: user.account_id.clone(),
                    product_key: held.key.clone(),
                    role: Some("user".into()),
                    billable: user.active && user.account_type == "atlassian",
                    via_group,
                });
            }
        }
        Ok(Page::new(items, next))
    }

    fn provision(&self, action: Action, ctx: &mut Provisioning) -> Result<Outcome> {
        match action {
            Action::Invite(invitation) => self.invite(invitation, ctx),
            Action::Grant(change) => self.grant(change, ctx),
            Action::Revoke(change) => self.revoke(change, ctx),
            Action::Remove(account_id) => self.remove(account_id, ctx),
            other => Err(Error::unsupported(format_args!(
                "Jira cannot {:?} users; use the Atlassian organization admin connector",
                other.kind()
            ))),
        }
    }
}

impl Connector {
    fn invite(&self, invitation: Invitation, ctx: &mut Provisioning) -> Result<Outcome> {
        let email = invitation.email;
        let Some(user) = self.jira.find_by_email(&email)? else {
            ctx.write(self.jira.create_user(&email, &invitation.products)?)?;
            return Ok(ctx.finish(
                None,
                format!("invite {email} to {}", invitation.products.join(", ")),
            ));
        };
        let account_id = user.account_id.clone();
        for product in &invitation.products {
            self.grant_product(&account_id, product, ctx)?;
        }
        Ok(ctx.finish(
            Some(account_id),
            format!("{email} already has a Jira account; grant what it lacks"),
        ))
    }

    fn grant(&self, change: AccessChange, ctx: &mut Provisioning) -> Result<Outcome> {
        self.jira.user(&change.account_id)?;
        let summary = match &change.target {
            AccessTarget::Product(key) => {
                self.grant_product(&change.account_id, key, ctx)?;
                format!("grant {key} to {}", change.account_id)
            }
            AccessTarget::Group(group_id) => {
                let groups = self.jira.user_groups(&change.account_id)?;
                if !groups.iter().any(|g| &g.group_id == group_id) {
                    ctx.write(self.jira.add_to_group(group_id, &change.account_id)?)?;
                }
                format!("add {} to group {group_id}", change.account_id)
            }
        };
        Ok(ctx.finish(Some(change.account_id), summary))
    }

    /// Adds the account to the role's first default group unless one of the
    /// role's groups already grants it.
    fn grant_product(&self, account_id: &str, key: &str, ctx: &mut Provisioning) -> Result<()> {
        let role = self.role(key)?;
        let groups = self.jira.user_groups(account_id)?;
        if groups.iter().any(|g| role.grants_via(&g.group_id)) {
            return Ok(());
        }
        let group = role.default_groups_details.first().ok_or_else(|| {
            Error::unsupported(format_args!(
                "application role `{key}` has no default group to grant it with"
            ))
        })?;
        ctx.write(self.jira.add_to_group(&group.group_id, account_id)?)?;
        Ok(())
    }

    fn revoke(&self, change: AccessChange, ctx: &mut Provisioning) -> Result<Outcome> {
        self.jira.user(&change.account_id)?;
        let groups = self.jira.user_groups(&change.account_id)?;
        let summary = match &change.target {
            AccessTarget::Product(key) => {
                let role = self.role(key)?;
                for group in groups.iter().filter(|g| role.grants_via(&g.group_id)) {
                    ctx.write(
                        self.jira
                            .remove_from_group(&group.group_id, &change.account_id)?,
                    )?;
                }
                format!("revoke {key} from {}", change.account_id)
            }
            AccessTarget::Group(group_id) => {
                if groups.iter().any(|g| &g.group_id == group_id) {
                    ctx.write(self.jira.remove_from_group(group_id, &change.account_id)?)?;
                }
                format!("remove {} from group {group_id}", change.account_id)
            }
        };
        Ok(ctx.finish(Some(change.account_id), summary))
    }

    fn remove(&self, account_id: String, ctx: &mut Provisioning) -> Result<Outcome> {
        self.jira.user(&account_id)?;
        ctx.write(self.jira.delete_user(&account_id)?)?;
        Ok(ctx.finish(
            Some(account_id.clone()),
            format!("remove {account_id} from Jira"),
        ))
    }

    fn role(&self, key: &str) -> Result<ApplicationRole> {
        self.jira
            .roles()?
            .into_iter()
            .find(|r| r.key == key)
            .ok_or_else(|| Error::NotFound(format!("Jira has no application role `{key}`")))
    }
}

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
