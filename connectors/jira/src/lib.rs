//! Jira Cloud: users, application roles (seats), groups and provisioning,
//! through the REST API v3 with an admin's email and API token.
//!
//! Jira has no last-active data; usage comes from the Atlassian
//! organization admin connector and is joined on the Atlassian account ids
//! this connector reports.
//!
//! Group memberships, which give both the accounts' groups and the
//! licences, are read group by group (`group/member`, 50 memberships a
//! request) rather than user by user, once per session, spread across
//! stream calls on a large site. Without *Administer Jira*, which that
//! listing needs, accounts fall back to one `user/groups` request per user.

mod api;

use api::{ADMINISTER, BROWSE_USERS, Client, SITE_ADMIN};
use roster_atlassian::accounts::User;
use roster_atlassian::directory::GroupSource;
use roster_atlassian::directory::Memberships;
use roster_atlassian::errors::needs;
use roster_atlassian::site::{self, Config, Permission};
use roster_atlassian::{GroupRef, access, products};
use roster_sdk::OutcomeStatus;
use roster_sdk::paging::Offset;
use roster_sdk::prelude::*;
use std::ops::ControlFlow;

/// Users per `users/search` page.
const PAGE_SIZE: u32 = 100;

/// A session against one Jira site.
struct Jira {
    api: Client,
    /// The administrator the token belongs to.
    email: String,
    /// The site's memberships, read once per session (and again after a
    /// provisioning change), or each user's groups when the token's user
    /// may not list group members.
    memberships: Memberships<<Client as GroupSource>::MemberRead>,
}

impl Connector for Jira {
    type Config = Config;

    fn manifest() -> Manifest {
        site::hosts(Manifest::new("jira", "Jira", env!("CARGO_PKG_VERSION")))
            .description(
                "Users, application roles with their seats, and group-based access of a Jira \
                 Cloud site; invites, grants and revokes product access, removes users.",
            )
            .streams([Stream::Accounts, Stream::Products, Stream::Licenses])
            .actions([
                ActionKind::Invite,
                ActionKind::Grant,
                ActionKind::Revoke,
                ActionKind::Remove,
            ])
            .products(products::JIRA)
    }

    fn open(config: Config) -> Result<Self> {
        Ok(Jira {
            api: Client::new(&config)?,
            email: config.email,
            memberships: Memberships::new(),
        })
    }

    fn check(&self) -> Result<CheckReport> {
        let cloud_id = self.api.instances.cloud_id()?;
        let me = self.api.myself()?;
        let held = self.api.permissions()?;
        let site_admin = held.contains("SYSTEM_ADMIN");
        let administer = site_admin || held.contains("ADMINISTER");
        let warnings = site::lacking(&[
            Permission {
                held: held.contains("USER_PICKER"),
                name: BROWSE_USERS,
                needed_for: "listing users and groups; grant it in Jira settings > System > \
                             Global permissions",
            },
            Permission {
                held: administer,
                name: ADMINISTER,
                needed_for: "seats, licences and invitations; grant it in Jira settings > \
                             System > Global permissions",
            },
            Permission {
                held: site_admin,
                name: SITE_ADMIN,
                needed_for: "granting, revoking and removing; add the user to `site-admins` \
                             at admin.atlassian.com",
            },
        ])?;
        let mut report = CheckReport::all_of(&Self::manifest());
        report.principal = Some(site::principal(&me, &self.email, &cloud_id));
        if !administer {
            report.keep_streams(|s| s == Stream::Accounts);
            report.keep_actions(|a| a != ActionKind::Invite);
        }
        if !site_admin {
            report.keep_actions(|a| a == ActionKind::Invite);
        }
        report.warnings = warnings;
        Ok(report)
    }

    fn accounts(&self, cursor: Option<String>) -> Result<Page<Account>> {
        let cursor = match self
            .memberships
            .prepare(&self.api, cursor.as_deref(), None)?
        {
            ControlFlow::Continue(cursor) => cursor,
            ControlFlow::Break(reading) => return Ok(reading),
        };
        let (users, next) = self.api.users_page(cursor.as_deref(), PAGE_SIZE)?;
        let groups = self.memberships.group_names(&self.api, &users)?;
        let items = users
            .iter()
            .zip(groups)
            .map(|(u, g)| account(u, g))
            .collect();
        Ok(Page::new(items, next))
    }

    fn products(&self) -> Result<Vec<Product>> {
        let plans = self.api.plans()?;
        self.api
            .roles(true)?
            .into_iter()
            .map(|role| {
                let mut p = self.api.instances.product(&role.key, &role.name)?;
                if !role.has_unlimited_seats {
                    p.seats_total = role.number_of_seats;
                }
                p.seats_used = role.seats_used();
                p.plan = plans.get(&role.key).cloned();
                p.granting_groups = role.granting().names();
                Ok(p)
            })
            .collect()
    }

    /// One page per application role: the members of the role's groups.
    fn licenses(&self, cursor: Option<String>) -> Result<Page<License>> {
        let roles = self.api.roles(false)?;
        let granting = |g: &GroupRef| roles.iter().any(|r| r.granting().via(&g.id));
        let cursor =
            match self
                .memberships
                .prepare(&self.api, cursor.as_deref(), Some(&granting))?
            {
                ControlFlow::Continue(cursor) => cursor,
                ControlFlow::Break(reading) => return Ok(reading),
            };
        let at = Offset::from_cursor(cursor.as_deref())?;
        let Some(role) = usize::try_from(at.0).ok().and_then(|i| roles.get(i)) else {
            return Ok(Page::last(Vec::new()));
        };
        let instance = self.api.instances.reference(&role.key)?;
        let directory = self.memberships.granting(&self.api, granting)?;
        let items = directory.licences(&instance, role.granting().groups);
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
            self.memberships.clear();
        }
        Ok(outcome)
    }
}

impl Jira {
    fn invite(&self, invitation: Invitation, ctx: &mut Provisioning) -> Result<Outcome> {
        let email = invitation.email;
        let roles = invitation
            .products
            .iter()
            .map(|product| access::GroupAccess::product(&self.api, product))
            .collect::<Result<Vec<_>>>()?;
        let keys: Vec<String> = roles.iter().map(|r| r.key.clone()).collect();
        let products = keys.join(", ");
        let Some(user) = self.api.find_by_email(&email)? else {
            let invited = || Ok(self.api.find_by_email(&email)?.is_some());
            let created = ctx
                .write_verified(self.api.create_user(&email, &keys)?, invited)
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
        let detail = self.api.user(&user.account_id)?;
        for role in &roles {
            access::grant_product(&self.api, ctx, &user.account_id, &detail.groups.items, role)?;
        }
        Ok(ctx.finish(
            Some(user.account_id),
            format!("{email} already has a Jira account: make sure it holds {products}"),
        ))
    }

    /// Adds the account to the group, or to the role's first default group
    /// unless one of the role's groups already grants it.
    fn grant(&self, change: AccessChange, ctx: &mut Provisioning) -> Result<Outcome> {
        let detail = self.api.user(&change.account_id)?;
        let (account_id, member_of) = (&change.account_id, &detail.groups.items);
        let summary = access::grant(&self.api, ctx, account_id, member_of, &change.target)?;
        Ok(ctx.finish(Some(change.account_id), summary))
    }

    /// Takes the account out of the group, or out of every group of the
    /// role that grants the product, so that it no longer holds it.
    fn revoke(&self, change: AccessChange, ctx: &mut Provisioning) -> Result<Outcome> {
        let detail = self.api.user(&change.account_id)?;
        let (account_id, member_of) = (&change.account_id, &detail.groups.items);
        let summary = access::revoke(&self.api, ctx, account_id, member_of, &change.target)?;
        Ok(ctx.finish(Some(change.account_id), summary))
    }

    /// Removes the account from Jira's user base. One already removed
    /// (inactive, in no group that grants a Jira product) is unchanged.
    fn remove(&self, account_id: String, ctx: &mut Provisioning) -> Result<Outcome> {
        let detail = self.api.user(&account_id)?;
        let roles = self.api.roles(false)?;
        let in_jira = detail.user.active
            || roles
                .iter()
                .any(|r| r.granting().held_by(&detail.groups.items));
        if in_jira {
            let gone = || match self.api.user(&account_id) {
                Err(Error::NotFound(_)) => Ok(true),
                other => other.map(|d| !d.user.active && d.groups.items.is_empty()),
            };
            ctx.write_verified(self.api.delete_user(&account_id)?, gone)
                .map_err(needs(SITE_ADMIN, "removing a user from Jira"))?;
        }
        Ok(ctx.finish(
            Some(account_id.clone()),
            format!("remove {account_id} from Jira"),
        ))
    }
}

/// The account a Jira user in `groups` is, with the site user's kind,
/// email and name. Jira's `active: false` covers a suspended account, a
/// deactivated one and one removed from Jira alike, so such an account's
/// status is unknown (the organization admin connector knows it), with
/// Jira's own word kept as the `active` attribute.
fn account(user: &User, groups: Vec<String>) -> Account {
    let status = if user.active {
        AccountStatus::Active
    } else {
        AccountStatus::Unknown
    };
    let mut account = Account {
        groups,
        ..user.account(status)
    };
    account
        .attributes
        .push(("active".into(), user.active.to_string()));
    account
}

roster_sdk::export_connector!(Jira);
