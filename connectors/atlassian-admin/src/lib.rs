//! Atlassian organization administration: the organisation-level view of
//! Atlassian Cloud. People of the organisation's directories, product
//! access with roles and seats, last activity per product (the usage
//! source for every other Atlassian connector, joined on the Atlassian
//! account id), and provisioning.
//!
//! Decisions worth knowing:
//! - Accounts, licences and usage page through one listing, the v2 user
//!   search across all directories (`directories/-/users/search`, 100 a
//!   page, `groups` and `productAccess` expanded; usage expands only
//!   `productAccess`).
//! - Roles come from the groups' role assignments, read once per session
//!   with each instance's admin list; only people no group grants a paid
//!   role are asked for their own role assignments (see [`roles`]).
//!   `customer`, `contributor`, `basic` and `guest` roles, and people who
//!   cannot sign in, hold no paid seat. A product's granting groups are
//!   the groups that grant it a role, its default group first.
//! - Usage is timestamp-precise from the search's
//!   `productAccess[].lastActiveTimestamp` when the search carries it;
//!   otherwise it falls back to the v1 last-active dates, one request per
//!   account of the page, at day precision. The search reports the
//!   products a person holds now; the v1 fallback also reports products
//!   they used and no longer hold.
//! - `site` takes a site's cloud id and keeps the product access, licences
//!   and usage of products on that site (ARIs ending in `::site/<cloud
//!   id>`); products not tied to a site (Trello and Bitbucket workspaces)
//!   are kept.
//! - Granting or revoking a product adds to or removes from the product's
//!   default group, found by Atlassian's naming convention
//!   (`confluence-users`, `jira-servicemanagement-users`, optionally with
//!   a `-<site>` suffix). Another group may also grant the product; revoke
//!   says so rather than guessing which.
//! - Suspend and restore use the Admin API's org-wide suspension, which
//!   keeps the account and its groups and frees its seats; it applies to
//!   SCIM-synced people too (SCIM has no suspension, only deactivation,
//!   which the identity provider owns). Restore also reactivates a
//!   deactivated account: through SCIM (`POST /Users` with the person's
//!   `userName`, SCIM's documented reactivation) when `directory_id` and
//!   `scim_api_key` are configured and the person is synced from the
//!   identity provider, otherwise through the user-management API's
//!   `lifecycle/enable` (managed accounts, key without scopes).
//! - Invitations name each product by its instance ARI, learnt from the
//!   product access of people in the directory (the workspace listing is
//!   a `POST`, which dry runs cannot send); reads that must work in dry
//!   runs use the v2 `GET .../users` listing rather than the search.
//! - Remove takes the person out of the directory. An account the
//!   organisation still knows (it keeps last-active dates) but whose
//!   directory membership is gone is `unchanged`; an account it has never
//!   known is not found.

mod api;
mod roles;

use roles::{Grants, strongest_role};
use roster_atlassian::GroupRef;
use roster_atlassian::access;
use roster_atlassian::accounts::account_kind;
use roster_atlassian::admin::shapes::{ProductAccess, User};
use roster_atlassian::admin::{EXPAND_ACTIVITY, EXPAND_ALL, Instance, Org, pick};
use roster_atlassian::ari::{is_cloud_id, on_site};
use roster_atlassian::groups::{self, default_group_names, is_default_name};
use roster_atlassian::products::{PRODUCTS, canonical_key};
use roster_atlassian::roles::paid_role;
use roster_sdk::CredentialFacts;
use roster_sdk::prelude::*;
use roster_sdk::{Memo, both_or_neither, plain_id};
use schemars::JsonSchema;
use serde::Deserialize;
use std::rc::Rc;

/// Where Atlassian's organisation APIs live.
const ATLASSIAN_API: &str = "https://api.atlassian.com";

/// The v2 user search, a read (under `{base_url}`, or the same path under
/// [`ATLASSIAN_API`]).
const USER_SEARCH: &str = "{base_url}/admin/v2/orgs/{org_id}/directories/*/users/search";

/// The v2 workspace listing, a read.
const WORKSPACES: &str = "{base_url}/admin/v2/orgs/{org_id}/workspaces";

/// How to reach an Atlassian organisation.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Config {
    /// The organization id: admin.atlassian.com > Settings > API keys shows
    /// it next to your keys (it is also the id in
    /// admin.atlassian.com/o/<org id>/...).
    org_id: String,
    /// An organization API key, created by an organization admin at
    /// admin.atlassian.com > Settings > API keys > Create API key, *without
    /// scopes* (a key with scopes cannot use the user-management API).
    #[allow(
        dead_code,
        reason = "the host attaches it; the connector never sees it"
    )]
    api_key: Secret,
    /// The SCIM directory id, for reactivating people synced from your
    /// identity provider: admin.atlassian.com > Security > Identity
    /// providers > your directory; the part after `directory/` in its
    /// "Directory base URL". Give it together with `scim_api_key`.
    #[serde(default)]
    directory_id: Option<String>,
    /// The SCIM directory's API key, shown when the directory was set up
    /// (admin.atlassian.com > Security > Identity providers > your
    /// directory > Regenerate API key). Give it together with
    /// `directory_id`.
    #[serde(default)]
    scim_api_key: Option<Secret>,
    /// Limit product access, licences and usage to one site of a
    /// multi-site organization: the site's cloud id, shown by
    /// https://<site>.atlassian.net/_edge/tenant_info. Products not tied to
    /// a site (Trello, Bitbucket) are kept. Leave out for every site.
    #[serde(default)]
    site: Option<String>,
    /// Where to send requests instead of https://api.atlassian.com (a
    /// proxy, or a simulator). Leave out for Atlassian Cloud.
    #[serde(default)]
    base_url: Option<String>,
}

/// A session against one organization.
struct Organization {
    org: Org,
    /// The SCIM directory id, when SCIM is configured.
    scim_directory: Option<String>,
    /// The site's cloud id usage and licences are limited to.
    site: Option<String>,
    /// What the groups grant, read once per session.
    grants: Memo<Rc<Grants>>,
    /// The product instances, read once per session.
    instances: Memo<Vec<Instance>>,
}

impl Connector for Organization {
    type Config = Config;

    fn manifest() -> Manifest {
        Manifest::new(
            "atlassian-admin",
            "Atlassian organization",
            env!("CARGO_PKG_VERSION"),
        )
        .description(
            "People of an Atlassian Cloud organization's directories with their product access, \
             roles and seats, and when each last used each product; invites, grants and revokes \
             product access, suspends, restores and removes people.",
        )
        .host(ATLASSIAN_API)
        .host("{base_url}")
        .credential(
            Credential::bearer(api::ORG, "api_key")
                .to(ATLASSIAN_API)
                .to("{base_url}"),
        )
        .credential(
            Credential::bearer(api::SCIM, "scim_api_key")
                .to(ATLASSIAN_API)
                .to("{base_url}"),
        )
        // The user search and the workspace listing only read.
        .read_only_post(USER_SEARCH)
        .read_only_post(&format!(
            "{ATLASSIAN_API}{}",
            &USER_SEARCH["{base_url}".len()..]
        ))
        .read_only_post(WORKSPACES)
        .read_only_post(&format!(
            "{ATLASSIAN_API}{}",
            &WORKSPACES["{base_url}".len()..]
        ))
        .streams(Stream::ALL)
        .actions(ActionKind::ALL)
        .products(PRODUCTS.map(|(key, _)| key))
    }

    fn open(config: Config) -> Result<Self> {
        let base = base_url(
            "base_url",
            config.base_url.as_deref().unwrap_or(ATLASSIAN_API),
        )?;
        plain_id("org_id", &config.org_id)?;
        let scim = both_or_neither(
            ("directory_id", config.directory_id),
            ("scim_api_key", config.scim_api_key),
        )?;
        let scim_directory = scim.map(|(d, _)| d);
        if let Some(d) = &scim_directory {
            plain_id("directory_id", d)?;
        }
        if let Some(site) = &config.site
            && !is_cloud_id(site)
        {
            return Err(Error::config(
                "site",
                format_args!(
                    "`{site}` is not a cloud id: open https://<site>.atlassian.net/_edge/tenant_info \
                     and copy `cloudId`"
                ),
            ));
        }
        Ok(Organization {
            org: Org::new(base, config.org_id, api::ORG),
            scim_directory,
            site: config.site.map(|s| s.to_ascii_lowercase()),
            grants: Memo::new(),
            instances: Memo::new(),
        })
    }

    fn check(&self) -> Result<CheckReport> {
        let name = self.org.org_name().map_err(|e| match e {
            Error::NotFound(_) => self.unknown_org(),
            other => self.org.read_errors("the organization lookup")(other),
        })?;
        let mut report = CheckReport::all_of(&Self::manifest());
        report.principal = Some(format!("organization {name} ({})", self.org.org_id()));
        let key = self.probe_user_management()?;
        report.warnings.extend(key.blocks.iter().cloned());
        report.credentials.push(key);
        if let Some(directory) = &self.scim_directory {
            self.probe_scim(directory)?;
        }
        Ok(report)
    }

    fn accounts(&self, cursor: Option<String>) -> Result<Page<Account>> {
        let (users, next) = self.org.users_page(cursor.as_deref(), EXPAND_ALL)?;
        let items = users.iter().map(|u| self.account(u)).collect();
        Ok(Page::new(items, next))
    }

    /// Every product instance (workspace), with the groups that grant it,
    /// its default group first.
    fn products(&self) -> Result<Vec<Product>> {
        let groups = self.org.groups()?;
        let grants = self.grants()?;
        Ok(self
            .instances()?
            .iter()
            .map(|instance| {
                let mut p = instance.product();
                let (default, others): (Vec<&GroupRef>, Vec<&GroupRef>) = grants
                    .granting(&groups, |r| r == instance.ari)
                    .into_iter()
                    .partition(|g| is_default_name(&g.name, &instance.key));
                p.granting_groups = default
                    .into_iter()
                    .chain(others)
                    .map(|g| g.name.clone())
                    .collect();
                p
            })
            .collect())
    }

    fn licenses(&self, cursor: Option<String>) -> Result<Page<License>> {
        let (users, next) = self.org.users_page(cursor.as_deref(), EXPAND_ALL)?;
        let grants = self.grants()?;
        let sandboxes = self.sandboxes()?;
        let licence = |user: &User, access: &ProductAccess, role, via_group| {
            let mut l = licence(user, access, role, via_group);
            l.billable &= !sandboxes.contains(&access.id);
            l
        };
        let mut items = Vec::new();
        // What groups do not tell, each holder's role assignments do.
        let mut unexplained: Vec<(&User, Vec<&ProductAccess>)> = Vec::new();
        for user in &users {
            let mut ask = Vec::new();
            for access in user.product_access.iter().filter(|p| self.on_site(&p.id)) {
                match grants.held(user, &access.id) {
                    Some(held) => {
                        items.push(licence(user, access, Some(held.role), held.via_group))
                    }
                    None => ask.push(access),
                }
            }
            if !ask.is_empty() {
                unexplained.push((user, ask));
            }
        }
        let ids: Vec<&str> = unexplained
            .iter()
            .map(|(u, _)| u.account_id.as_str())
            .collect();
        let assignments = self.org.role_assignments(&ids)?;
        for ((user, ask), assigned) in unexplained.into_iter().zip(assignments) {
            for access in ask {
                let (role, via_group) = strongest_role(&assigned, &access.id);
                let via_group = via_group
                    .then(|| grants.granting_group(user, &access.id))
                    .flatten();
                items.push(licence(user, access, role, via_group));
            }
        }
        Ok(Page::new(items, next))
    }

    fn usage(&self, cursor: Option<String>) -> Result<Page<Usage>> {
        let (users, next) = self.org.users_page(cursor.as_deref(), EXPAND_ACTIVITY)?;
        let stamped = users
            .iter()
            .flat_map(|u| &u.product_access)
            .any(|p| p.last_active_timestamp.is_some());
        let mut items = Vec::new();
        if stamped {
            for user in &users {
                for access in user.product_access.iter().filter(|p| self.on_site(&p.id)) {
                    if let Some(at) = &access.last_active_timestamp {
                        items.push(Usage {
                            account_id: user.account_id.clone(),
                            product: Some(instance_of(&access.key, &access.id)),
                            last_active: Instant::timestamp(at),
                        });
                    }
                }
            }
        } else {
            let ids: Vec<&str> = users.iter().map(|u| u.account_id.as_str()).collect();
            for (id, products) in ids.iter().zip(self.org.last_active(&ids)?) {
                for product in products.into_iter().filter(|p| self.on_site(&p.id)) {
                    if let Some(day) = product.last_active {
                        items.push(Usage {
                            account_id: (*id).to_owned(),
                            product: Some(instance_of(&product.key, &product.id)),
                            last_active: Instant::date(day),
                        });
                    }
                }
            }
        }
        Ok(Page::new(items, next))
    }

    fn provision(&self, action: Action, ctx: &mut Provisioning) -> Result<Outcome> {
        match action {
            Action::Invite(invitation) => self.invite(invitation, ctx),
            Action::Grant(change) => self.grant(change, ctx),
            Action::Revoke(change) => self.revoke(change, ctx),
            Action::Suspend(account_id) => self.suspend(account_id, ctx),
            Action::Restore(account_id) => self.restore(account_id, ctx),
            Action::Remove(account_id) => self.remove(account_id, ctx),
        }
    }
}

/// The product instance product access or a last-active date names: the
/// product's canonical key on the instance's ARI.
fn instance_of(key: &str, ari: &str) -> ProductRef {
    ProductRef::on(canonical_key(key), ari)
}

/// The licence `user` holds through `access`, with `role` (none: unknown).
fn licence(
    user: &User,
    access: &ProductAccess,
    role: Option<String>,
    via_group: Option<String>,
) -> License {
    License {
        account_id: user.account_id.clone(),
        product: instance_of(&access.key, &access.id),
        billable: user.is_person() && user.can_sign_in() && paid_role(role.as_deref()),
        role,
        via_group,
    }
}

impl Organization {
    /// Whether the directory user `account_id` now has `status`: how a
    /// lifecycle write whose answer was lost is read back.
    fn now(&self, account_id: &str, status: AccountStatus) -> Result<bool> {
        Ok(self.org.user(account_id)?.status() == status)
    }

    /// What the groups grant on the products kept, read on first use.
    fn grants(&self) -> Result<Rc<Grants>> {
        self.grants
            .get_or_read(|| Ok(Rc::new(Grants::read(&self.org, |r| self.on_site(r))?)))
    }

    /// The account record of a directory user.
    fn account(&self, user: &User) -> Account {
        let kind = account_kind(&user.account_type);
        let mut account = Account::new(&user.account_id, user.status(), kind);
        account.email = user.email.clone().filter(|e| !e.is_empty());
        account.display_name = user.name.clone();
        account.created_at = user.added_to_org.as_deref().map(Instant::date);
        account.last_active = user
            .product_access
            .iter()
            .filter(|p| self.on_site(&p.id))
            .filter_map(|p| p.last_active_timestamp.as_deref())
            .max()
            .map(Instant::timestamp);
        account.groups = user.groups.iter().map(|g| g.name.clone()).collect();
        let mut attributes = vec![("accountType".to_owned(), user.account_type.clone())];
        let text = [
            ("status", Some(user.status.clone())),
            ("accountStatus", user.account_status.clone()),
            ("membershipStatus", user.membership_status.clone()),
            ("claimStatus", user.claim_status.clone()),
            ("managementSource", user.management_source.clone()),
            ("mfaEnabled", user.mfa_enabled.map(|m| m.to_string())),
        ];
        attributes.extend(
            text.into_iter()
                .filter_map(|(k, v)| Some((k.to_owned(), v.filter(|v| !v.is_empty())?))),
        );
        account.attributes = attributes;
        account
    }

    /// Whether a product instance's ARI is on the configured site.
    fn on_site(&self, ari: &str) -> bool {
        on_site(ari, self.site.as_deref())
    }

    /// The product instances on the configured site, read once per session.
    fn instances(&self) -> Result<Vec<Instance>> {
        self.instances.get_or_read(|| {
            let grants = self.grants()?;
            let workspaces = self.org.workspaces()?;
            let all = workspaces
                .iter()
                .filter_map(|w| Instance::of(w, grants.resources()));
            Ok(all.filter(|i| self.on_site(&i.ari)).collect())
        })
    }

    /// The ARIs of the instances that are sandboxes: their access takes no
    /// paid seat.
    fn sandboxes(&self) -> Result<Vec<String>> {
        let instances = self.instances()?;
        Ok(instances
            .into_iter()
            .filter(Instance::is_sandbox)
            .map(|i| i.ari)
            .collect())
    }

    /// The instance `product` names (see [`pick`]).
    fn instance(&self, product: &ProductRef) -> Result<Instance> {
        pick(&self.instances()?, product).cloned()
    }

    /// The default group of `instance`: a group with the product's default
    /// name (`jira-software-users`, `jira-software-users-<site>`) that
    /// grants a role on it.
    fn default_group(&self, instance: &Instance) -> Result<Option<GroupRef>> {
        let groups = self.org.groups()?;
        let grants = self.grants()?;
        Ok(grants
            .granting(&groups, |r| r == instance.ari)
            .into_iter()
            .find(|g| is_default_name(&g.name, &instance.key))
            .cloned())
    }

    /// The error for an organisation id the key does not see, naming the
    /// ones it does.
    fn unknown_org(&self) -> Error {
        let known = match self.org.orgs() {
            Ok(orgs) if !orgs.is_empty() => format!("it administers {}", orgs.join(", ")),
            _ => "it administers no other organization either".to_owned(),
        };
        Error::config(
            "org_id",
            format_args!(
                "this API key does not administer organization `{}` ({known}); copy the id from \
                 admin.atlassian.com > Settings > API keys",
                self.org.org_id()
            ),
        )
    }

    /// Asks the user-management API about one managed account: a key
    /// created with scopes is refused there (403 naming `manage:org`),
    /// which only the restore of deactivated accounts needs.
    fn probe_user_management(&self) -> Result<CredentialFacts> {
        let mut key = CredentialFacts::of(api::ORG);
        let Some(sample) = self.org.managed_account()? else {
            return Ok(key);
        };
        let answer = api::manage_probe(&self.org, &sample)?;
        let message = answer.message();
        match answer.status() {
            401 | 403 if message.contains("manage:org") || message.contains("scope") => {
                key.scoped = Some(true);
                key.blocks.push(
                    "`api_key` was created with scopes: the user-management API refuses it (403, \
                     `manage:org`), so restoring deactivated accounts will fail. Create an \
                     organization API key without scopes at admin.atlassian.com > Settings > API \
                     keys"
                        .into(),
                );
            }
            401 => key.blocks.push(format!(
                "the user-management API rejected `api_key` ({message}): restoring deactivated \
                 accounts will fail"
            )),
            _ => key.scoped = Some(false),
        }
        Ok(key)
    }

    /// Proves the SCIM directory id and key.
    fn probe_scim(&self, directory: &str) -> Result<()> {
        let answer = api::scim_probe(&self.org, directory)?;
        match answer.status() {
            401 => Err(Error::Unauthorized(format!(
                "the SCIM API rejected `scim_api_key` for directory `{directory}`: regenerate it \
                 at admin.atlassian.com > Security > Identity providers > your directory"
            ))),
            403 | 404 => Err(Error::config(
                "directory_id",
                format_args!(
                    "SCIM directory `{directory}` does not exist or does not belong to \
                     `scim_api_key`: copy the id after `directory/` in the directory's base URL"
                ),
            )),
            _ => answer.error_for_status().map(|_| ()),
        }
    }

    fn invite(&self, invitation: Invitation, ctx: &mut Provisioning) -> Result<Outcome> {
        let email = invitation.email;
        let instances = invitation
            .products
            .iter()
            .map(|p| self.instance(p))
            .collect::<Result<Vec<_>>>()?;
        let names = instances
            .iter()
            .map(|i| i.product().name)
            .collect::<Vec<_>>()
            .join(", ");
        if let Some(user) = self.org.user_by_email(&email)? {
            for instance in &instances {
                self.grant_product(&user, instance, ctx)?;
            }
            return Ok(ctx.finish(
                Some(user.account_id),
                format!("{email} is already in the directory; grant what it lacks of {names}"),
            ));
        }
        let resources: Vec<String> = instances.into_iter().map(|i| i.ari).collect();
        let invited = || Ok(self.org.user_by_email(&email)?.is_some());
        let answer = ctx.write_verified(api::invite(&self.org, &email, &resources)?, invited)?;
        let account_id = answer.and_then(|r| invited_account(&r));
        Ok(ctx.finish(account_id, format!("invite {email} with {names}")))
    }

    fn grant(&self, change: AccessChange, ctx: &mut Provisioning) -> Result<Outcome> {
        let user = self.org.user(&change.account_id)?;
        let summary = match &change.target {
            AccessTarget::Product(product) => {
                let instance = self.instance(product)?;
                self.grant_product(&user, &instance, ctx)?;
                format!("grant {} to {}", instance.product().name, user.account_id)
            }
            AccessTarget::Group(group) => access::join(
                self,
                ctx,
                &user.account_id,
                &user.groups,
                &self.group(group)?,
            )?,
        };
        Ok(ctx.finish(Some(change.account_id), summary))
    }

    /// Adds the person to the instance's default group unless they
    /// already hold it with a role that is more than a guest's.
    fn grant_product(
        &self,
        user: &User,
        instance: &Instance,
        ctx: &mut Provisioning,
    ) -> Result<()> {
        let holds = user.product_access.iter().any(|p| p.id == instance.ari);
        if holds {
            let assigned = self
                .org
                .role_assignments(&[user.account_id.as_str()])?
                .pop()
                .unwrap_or_default();
            if paid_role(strongest_role(&assigned, &instance.ari).0.as_deref()) {
                return Ok(());
            }
        }
        let group = self.default_group(instance)?.ok_or_else(|| {
            Error::NotFound(format!(
                "no default group ({} or one of them with the site's name after a dash) grants \
                 {}; grant a group instead",
                default_group_names(&instance.key).join(", "),
                instance.product().name
            ))
        })?;
        access::join(self, ctx, &user.account_id, &user.groups, &group)?;
        Ok(())
    }

    fn revoke(&self, change: AccessChange, ctx: &mut Provisioning) -> Result<Outcome> {
        let user = self.org.user(&change.account_id)?;
        let summary = match &change.target {
            AccessTarget::Product(product) => {
                let instance = self.instance(product)?;
                let name = instance.product().name;
                let member = self
                    .default_group(&instance)?
                    .filter(|d| user.in_group(&d.id));
                match member {
                    Some(group) => {
                        let leave = [group.clone()];
                        access::leave(self, ctx, &user.account_id, &user.groups, &leave)?;
                        format!(
                            "revoke {name} from {} (leave group {})",
                            user.account_id, group.name
                        )
                    }
                    None if user.product_access.iter().any(|p| p.id == instance.ari) => {
                        format!(
                            "{} is not in the default group of {name} but still holds it \
                             through another group or a direct grant; revoke that group",
                            user.account_id
                        )
                    }
                    None => format!("{} does not hold {name}", user.account_id),
                }
            }
            AccessTarget::Group(group) => {
                let group = [self.group(group)?];
                access::leave(self, ctx, &user.account_id, &user.groups, &group)?;
                format!("remove {} from group {}", user.account_id, group[0].name)
            }
        };
        Ok(ctx.finish(Some(change.account_id), summary))
    }

    fn suspend(&self, account_id: String, ctx: &mut Provisioning) -> Result<Outcome> {
        let user = self.org.user(&account_id)?;
        let summary = match user.status() {
            AccountStatus::Suspended => format!("{account_id} is already suspended"),
            AccountStatus::Deactivated => {
                format!("{account_id} is deactivated and cannot sign in already")
            }
            _ => {
                let request = api::lifecycle(&self.org, &account_id, "suspend")?;
                ctx.write_verified(request, || self.now(&account_id, AccountStatus::Suspended))?;
                format!("suspend {account_id}'s access to the organization")
            }
        };
        Ok(ctx.finish(Some(account_id), summary))
    }

    fn restore(&self, account_id: String, ctx: &mut Provisioning) -> Result<Outcome> {
        let user = self.org.user(&account_id)?;
        let summary = match user.status() {
            AccountStatus::Suspended => {
                let request = api::lifecycle(&self.org, &account_id, "restore")?;
                ctx.write_verified(request, || self.now(&account_id, AccountStatus::Active))?;
                format!("restore {account_id}'s access to the organization")
            }
            AccountStatus::Deactivated => {
                let scim = self
                    .scim_directory
                    .as_deref()
                    .filter(|_| user.management_source.as_deref() == Some("scim"))
                    .zip(user.email.as_deref());
                match scim {
                    Some((directory, email)) => {
                        let request = api::scim_reactivate(&self.org, directory, email)?;
                        ctx.write_verified(request, || {
                            self.now(&account_id, AccountStatus::Active)
                        })?;
                        format!("reactivate {account_id} in SCIM directory {directory}")
                    }
                    None => {
                        let request = api::enable(&self.org, &account_id)?;
                        ctx.write_verified(request, || {
                            self.now(&account_id, AccountStatus::Active)
                        })?;
                        format!("reactivate {account_id}'s account")
                    }
                }
            }
            _ => format!("{account_id} is already active"),
        };
        Ok(ctx.finish(Some(account_id), summary))
    }

    fn remove(&self, account_id: String, ctx: &mut Provisioning) -> Result<Outcome> {
        let summary = match self.org.user(&account_id) {
            Ok(_) => {
                let gone = || match self.org.user(&account_id) {
                    Err(Error::NotFound(_)) => Ok(true),
                    other => other.map(|_| false),
                };
                ctx.write_verified(api::remove(&self.org, &account_id)?, gone)?;
                format!("remove {account_id} from the organization's directory")
            }
            Err(Error::NotFound(m)) => {
                if !self.org.known(&account_id)? {
                    return Err(Error::NotFound(m));
                }
                format!("{account_id} is not in the organization's directory any more")
            }
            Err(other) => return Err(other),
        };
        Ok(ctx.finish(Some(account_id), summary))
    }

    /// A group by id or name.
    fn group(&self, wanted: &str) -> Result<GroupRef> {
        groups::find(&self.org.groups()?, wanted)
            .cloned()
            .ok_or_else(|| Error::NotFound(format!("the directory has no group `{wanted}`")))
    }
}

/// The account id an invitation's answer names.
fn invited_account(response: &roster_sdk::http::Response) -> Option<String> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Invited {
        account_id: String,
    }
    #[derive(Deserialize)]
    struct Answer {
        data: Vec<Invited>,
    }
    let answer: Answer = response.json().ok()?;
    answer.data.into_iter().next().map(|i| i.account_id)
}

roster_sdk::export_connector!(Organization);
