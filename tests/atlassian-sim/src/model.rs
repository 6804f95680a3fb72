//! The organisation the simulator serves: people, groups, sites, product
//! instances and seats, as one source of truth. Every API answers from it,
//! provisioning changes it, and tests compare what connectors report with
//! it.
//!
//! # Product instances
//!
//! What people hold is a seat of a *product instance* ([`Product`],
//! named by an [`InstanceId`]): a product on one site (Jira and
//! Confluence), or the organisation's one Trello workspace or Bitbucket
//! workspace. Groups grant roles on instances, guests are guests of an
//! instance, last activity and seats are counted per instance.
//!
//! [`Org::products`] starts with the *main instances*, one per product in
//! [`ProductKey::ALL`] order, on the main site ([`Org::site`],
//! [`Org::cloud_id`]); a multi-site organisation
//! ([`crate::generate::multi_site_organisation`]) appends the instances of
//! its other sites. The ProductKey-level ground truth ([`Org::product`],
//! [`Org::access`], [`Org::is_billable`], [`Org::holders`],
//! [`Org::seats_used`], [`Org::granting_groups`],
//! [`Person::last_active_in`]) means the product's main instance, so for
//! a single-site organisation it means the product. The per-instance
//! ground truth has the same names ending in `_on` ([`Org::access_on`],
//! [`Org::is_billable_on`], [`Org::holders_on`], [`Org::seats_used_on`],
//! [`Org::granting_groups_on`], [`Person::last_active_on`]); instances are
//! found with [`Org::instances`], [`Org::instances_of`] and
//! [`Org::instance_by_resource`].
//!
//! A sandbox ([`Product::sandbox`]) has seats of its own, which count as
//! used ([`Org::seats_used_on`]) and are refused when full, but are not
//! billable: Atlassian includes sandboxes in the plan of the production
//! instance they copy and does not charge for their users (the simulator's
//! reading of Atlassian's sandbox documentation; how the Admin API's
//! `usage` counts a sandbox's users is unverified).

use std::collections::{BTreeSet, HashMap};
use time::{Date, OffsetDateTime};

/// The products an organisation can hold, with Roster's canonical keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ProductKey {
    /// Jira Software.
    JiraSoftware,
    /// Jira Service Management (application key `jira-servicedesk`).
    JiraServiceManagement,
    /// Confluence.
    Confluence,
    /// Trello.
    Trello,
    /// Bitbucket.
    Bitbucket,
}

impl ProductKey {
    /// Every product, in a fixed order: the order of the main instances in
    /// [`Org::products`].
    pub const ALL: [ProductKey; 5] = [
        ProductKey::JiraSoftware,
        ProductKey::JiraServiceManagement,
        ProductKey::Confluence,
        ProductKey::Trello,
        ProductKey::Bitbucket,
    ];

    /// Roster's canonical key, which is also Jira's application key.
    pub fn key(self) -> &'static str {
        match self {
            ProductKey::JiraSoftware => "jira-software",
            ProductKey::JiraServiceManagement => "jira-servicedesk",
            ProductKey::Confluence => "confluence",
            ProductKey::Trello => "trello",
            ProductKey::Bitbucket => "bitbucket",
        }
    }

    /// The product by canonical key.
    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.key() == key)
    }

    /// The key the Admin API's v1 last-active endpoint uses
    /// (`jira-service-desk` there).
    pub fn admin_key(self) -> &'static str {
        match self {
            ProductKey::JiraServiceManagement => "jira-service-desk",
            other => other.key(),
        }
    }

    /// The product's name.
    pub fn name(self) -> &'static str {
        match self {
            ProductKey::JiraSoftware => "Jira Software",
            ProductKey::JiraServiceManagement => "Jira Service Management",
            ProductKey::Confluence => "Confluence",
            ProductKey::Trello => "Trello",
            ProductKey::Bitbucket => "Bitbucket",
        }
    }

    /// Position in [`ProductKey::ALL`], which is also the position of the
    /// product's main instance in [`Org::products`].
    pub fn index(self) -> usize {
        self as usize
    }
}

/// A product instance of an organisation: its position in
/// [`Org::products`], with the product it is an instance of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct InstanceId {
    index: usize,
    product: ProductKey,
}

impl InstanceId {
    /// The main instance of `product`: the one on the main site (for Trello
    /// and Bitbucket, the only one). Every organisation has it.
    pub fn main(product: ProductKey) -> InstanceId {
        InstanceId {
            index: product.index(),
            product,
        }
    }

    /// The product this is an instance of.
    pub fn product(self) -> ProductKey {
        self.product
    }

    /// The product's canonical key (`jira-software`).
    pub fn key(self) -> &'static str {
        self.product.key()
    }

    /// Position in [`Org::products`].
    pub fn index(self) -> usize {
        self.index
    }

    /// Whether this is its product's main instance.
    pub fn is_main(self) -> bool {
        self.index == self.product.index()
    }
}

/// The kind of an Atlassian account (`accountType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AccountType {
    /// A person with an Atlassian account.
    Atlassian,
    /// An app or integration (bot) account.
    App,
    /// A Jira Service Management portal customer.
    Customer,
}

impl AccountType {
    /// The API's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            AccountType::Atlassian => "atlassian",
            AccountType::App => "app",
            AccountType::Customer => "customer",
        }
    }
}

/// Lifecycle state of an account in the organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// Can sign in.
    Active,
    /// Access suspended by an admin: keeps groups, frees licences.
    Suspended,
    /// The account is deactivated (managed account switched off).
    Deactivated,
    /// Invited; has not accepted yet (email not verified).
    Invited,
}

/// A role a person holds in a product.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// A guest (Confluence external collaborator): not billable.
    Guest,
    /// An ordinary user.
    User,
    /// A product admin.
    Admin,
}

impl Role {
    /// The role's name (`user`, `admin`, `guest`).
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Guest => "guest",
            Role::User => "user",
            Role::Admin => "admin",
        }
    }
}

/// One account of the organisation.
#[derive(Debug, Clone, PartialEq)]
pub struct Person {
    /// Atlassian account id (`5b10ac8d82e05b22cc7d4ef5`, `557058:<uuid>`,
    /// `712020:<uuid>`, `qm:<uuid>:<uuid>` for portal customers).
    pub account_id: String,
    /// Person, app or customer.
    pub account_type: AccountType,
    /// Lifecycle state.
    pub status: Status,
    /// Full name (often non-ASCII).
    pub name: String,
    /// Nickname / public name.
    pub nickname: String,
    /// Email address; none for apps.
    pub email: Option<String>,
    /// Whether the profile shows the email to product APIs (Jira,
    /// Confluence); the Admin API always shows it.
    pub email_visible: bool,
    /// When the account joined the organisation.
    pub added: Date,
    /// Groups, as indexes into [`Org::groups`], sorted.
    pub groups: Vec<usize>,
    /// Instances the person is a guest of (no group grants them).
    pub guest_of: Vec<InstanceId>,
    /// Instances the person holds as a user through a product role assigned
    /// to them directly, without a group (as Atlassian administration
    /// can): the Admin API shows them, Jira's group listings do not.
    pub direct: Vec<InstanceId>,
    /// Last activity per instance, by position in [`Org::products`] (so
    /// the main instances first, in [`ProductKey::ALL`] order); none for
    /// never. Instances past its end saw no activity. Read it with
    /// [`Person::last_active_on`].
    pub last_active: Vec<Option<OffsetDateTime>>,
    /// Id in the SCIM directory, for people synced from the identity
    /// provider.
    pub scim_id: Option<String>,
    /// Trello member id (24 hex digits).
    pub trello_id: String,
    /// Bitbucket user uuid, with braces.
    pub bitbucket_uuid: String,
    /// Removed from the Jira user base (`DELETE /rest/api/3/user`).
    pub removed_from_jira: bool,
}

impl Person {
    /// Last activity in `product`'s main instance.
    pub fn last_active_in(&self, product: ProductKey) -> Option<OffsetDateTime> {
        self.last_active_on(InstanceId::main(product))
    }

    /// Last activity on `instance`.
    pub fn last_active_on(&self, instance: InstanceId) -> Option<OffsetDateTime> {
        self.last_active.get(instance.index()).copied().flatten()
    }

    /// Sets the last activity on `instance`.
    pub(crate) fn set_last_active(&mut self, instance: InstanceId, at: Option<OffsetDateTime>) {
        let i = instance.index();
        if self.last_active.len() <= i {
            self.last_active.resize(i + 1, None);
        }
        self.last_active[i] = at;
    }

    /// Whether the person can sign in (active, or invited and able to
    /// accept).
    pub fn is_enabled(&self) -> bool {
        matches!(self.status, Status::Active | Status::Invited)
    }
}

/// A group of the organisation's directory.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// Group id (a UUID).
    pub id: String,
    /// Group name (`jira-software-users`).
    pub name: String,
    /// What the group is for.
    pub description: String,
    /// The instances membership grants a role on, with the role.
    pub grants: Vec<(InstanceId, Role)>,
}

/// A site, `<subdomain>.atlassian.net`: where Jira and Confluence
/// instances live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Site {
    /// The subdomain (`acme` for acme.atlassian.net).
    pub subdomain: String,
    /// The site's cloud id (a UUID).
    pub cloud_id: String,
    /// Whether the site is a sandbox (a copy of a production site that
    /// Atlassian makes for Premium and Enterprise plans).
    pub sandbox: bool,
}

impl Site {
    /// `https://<subdomain>.atlassian.net`.
    pub fn url(&self) -> String {
        format!("https://{}.atlassian.net", self.subdomain)
    }
}

/// A product instance (a workspace in Admin API terms) with its seats.
#[derive(Debug, Clone, PartialEq)]
pub struct Product {
    /// Which product.
    pub key: ProductKey,
    /// Workspace id in the Admin API: the simulator gives the instance's
    /// ARI (the documents do not say what a workspace id is; a connector
    /// must tie a workspace to the ARIs product access names, and an ARI
    /// id is one form it accepts).
    pub workspace_id: String,
    /// The resource id the Admin API names the instance by:
    /// `ari:cloud:<key>::site/<cloudId>` for Jira and Confluence; Trello
    /// and Bitbucket carry the main site's cloud id the same way (the
    /// simulator's choice: their real resource ids are unverified).
    pub ari: String,
    /// The workspace's name: the site's subdomain for Jira and
    /// Confluence, the Trello workspace name, the Bitbucket workspace slug.
    pub name: String,
    /// Where the instance is used: `https://<subdomain>.atlassian.net`
    /// (Confluence under `/wiki`), `https://trello.com/w/<name>`,
    /// `https://bitbucket.org/<workspace>`.
    pub host_url: String,
    /// The site the instance lives on (index into [`Org::sites`]): for
    /// Jira and Confluence; none for Trello and Bitbucket.
    pub site: Option<usize>,
    /// Whether the instance is a sandbox (on a sandbox site).
    pub sandbox: bool,
    /// Seats bought (for a sandbox, the seats it has).
    pub seats: u32,
    /// Plan (`STANDARD`, `PREMIUM`, ...).
    pub plan: &'static str,
    /// The group that grants the instance by default (index into
    /// [`Org::groups`]).
    pub default_group: usize,
}

/// How a person holds a product.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Access {
    /// The role.
    pub role: Role,
    /// The group that grants it (the first granting group the person is
    /// in); none for guests.
    pub via_group: Option<usize>,
}

/// The generated organisation and everything in it.
#[derive(Debug, Clone, PartialEq)]
pub struct Org {
    /// Organisation id (not a strict UUID, like Atlassian's).
    pub id: String,
    /// Organisation name.
    pub name: String,
    /// The verified (claimed) domain.
    pub domain: String,
    /// The main site's subdomain (`acme` for acme.atlassian.net), the
    /// site the simulator's site listener serves.
    pub site: String,
    /// The main site's cloud id.
    pub cloud_id: String,
    /// Every site, the main site first (the same as [`Org::site`] and
    /// [`Org::cloud_id`]).
    pub sites: Vec<Site>,
    /// The directory id (also the SCIM directory id).
    pub directory_id: String,
    /// The Trello workspace (organization) id.
    pub trello_workspace_id: String,
    /// The Trello workspace name.
    pub trello_workspace_name: String,
    /// The Trello enterprise id.
    pub trello_enterprise_id: String,
    /// Whether the Trello workspace belongs to the enterprise
    /// ([`Org::trello_enterprise_id`]); without it Trello knows no
    /// enterprise at all.
    pub trello_enterprise: bool,
    /// Whether the Trello enterprise's user management moved to Atlassian
    /// administration (AdminHub): Trello no longer changes licences.
    pub trello_admin_hub: bool,
    /// The Bitbucket workspace slug.
    pub bitbucket_workspace: String,
    /// The Bitbucket workspace uuid, with braces.
    pub bitbucket_workspace_uuid: String,
    /// Whether the Bitbucket workspace's administration moved to
    /// admin.atlassian.com: memberships lose `last_accessed` and
    /// `added_on`, groups become read-only.
    pub bitbucket_centralised: bool,
    /// Every account, in generation order (invitations append).
    pub people: Vec<Person>,
    /// Every group.
    pub groups: Vec<Group>,
    /// Every product instance: the main instances first, in
    /// [`ProductKey::ALL`] order, then those of the other sites.
    pub products: Vec<Product>,
    /// The moment the organisation was generated; last-active times lie
    /// in the two years before it.
    pub now: OffsetDateTime,
    /// The site and organisation admin whose credentials the simulator
    /// hands out (index into [`Org::people`]).
    pub admin: usize,
    /// An ordinary user (Browse users and groups only) whose credentials
    /// the simulator also hands out, for permission errors.
    pub user: usize,
    /// People removed from the organisation's directory (the Admin API's
    /// "remove user"), as indexes into [`Org::people`]. They keep their
    /// Atlassian account, and on the verified domain stay managed accounts,
    /// but have no groups and no product access and are absent from the
    /// directory's user listings until invited again.
    pub removed: BTreeSet<usize>,
    /// People whose account deletion is under way (the user-management
    /// API's `lifecycle/delete`), as indexes into [`Org::people`]: they are
    /// deactivated and shown as `for_deletion` during the grace period.
    pub deleting: BTreeSet<usize>,
    /// The identity provider's `externalId` of SCIM-synced people, by index
    /// into [`Org::people`]; none for generated people.
    pub scim_external_ids: HashMap<usize, String>,
    /// Trello's own membership state, beside the directory's groups.
    pub trello: TrelloState,
    index: HashMap<String, usize>,
}

/// What Trello keeps about its workspace's members that the directory's
/// groups do not say. Indexes are into [`Org::people`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrelloState {
    /// People deactivated in the Trello workspace. They stay listed as
    /// members (`deactivated: true`); deactivation alone keeps their
    /// licence, while revoking the licence also deactivates.
    pub deactivated: BTreeSet<usize>,
    /// Admins of the Trello workspace (made with `type=admin`), besides
    /// anyone a group grants Trello's admin role.
    pub admins: BTreeSet<usize>,
}

impl Org {
    /// Assembles an organisation and indexes its people.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        ids: OrgIds,
        people: Vec<Person>,
        groups: Vec<Group>,
        products: Vec<Product>,
        now: OffsetDateTime,
    ) -> Self {
        let index = people
            .iter()
            .enumerate()
            .map(|(i, p)| (p.account_id.clone(), i))
            .collect();
        let main_site = Site {
            subdomain: ids.site.clone(),
            cloud_id: ids.cloud_id.clone(),
            sandbox: false,
        };
        Org {
            id: ids.id,
            name: ids.name,
            domain: ids.domain,
            site: ids.site,
            cloud_id: ids.cloud_id,
            sites: vec![main_site],
            directory_id: ids.directory_id,
            trello_workspace_id: ids.trello_workspace_id,
            trello_workspace_name: ids.trello_workspace_name,
            trello_enterprise_id: ids.trello_enterprise_id,
            trello_enterprise: true,
            trello_admin_hub: false,
            bitbucket_workspace: ids.bitbucket_workspace,
            bitbucket_workspace_uuid: ids.bitbucket_workspace_uuid,
            bitbucket_centralised: false,
            people,
            groups,
            products,
            now,
            admin: 0,
            user: 0,
            trello: TrelloState::default(),
            removed: BTreeSet::new(),
            deleting: BTreeSet::new(),
            scim_external_ids: HashMap::new(),
            index,
        }
    }

    /// The index of the person with this account id.
    pub fn position(&self, account_id: &str) -> Option<usize> {
        self.index.get(account_id).copied()
    }

    /// The person with this account id.
    pub fn person(&self, account_id: &str) -> Option<&Person> {
        self.position(account_id).map(|i| &self.people[i])
    }

    /// The person with this account id, to change.
    pub fn person_mut(&mut self, account_id: &str) -> Option<&mut Person> {
        self.position(account_id).map(|i| &mut self.people[i])
    }

    /// The person with this email (case-insensitive).
    pub fn person_by_email(&self, email: &str) -> Option<&Person> {
        self.people.iter().find(|p| {
            p.email
                .as_deref()
                .is_some_and(|e| e.eq_ignore_ascii_case(email))
        })
    }

    /// Whether `person` is a managed account: their email is on the
    /// organisation's verified domain.
    pub fn is_managed(&self, person: &Person) -> bool {
        let domain = self.domain.as_bytes();
        person.email.as_deref().is_some_and(|e| {
            let e = e.as_bytes();
            e.len() > domain.len() + 1
                && e[e.len() - domain.len() - 1] == b'@'
                && e[e.len() - domain.len()..].eq_ignore_ascii_case(domain)
        })
    }

    /// Adds a group; returns its index in [`Org::groups`].
    pub(crate) fn push_group(&mut self, group: Group) -> usize {
        self.groups.push(group);
        self.groups.len() - 1
    }

    /// Adds a person (an invitation) and indexes them.
    pub fn push_person(&mut self, person: Person) -> usize {
        let i = self.people.len();
        self.index.insert(person.account_id.clone(), i);
        self.people.push(person);
        i
    }

    /// The group with this id.
    pub fn group_by_id(&self, id: &str) -> Option<usize> {
        self.groups.iter().position(|g| g.id == id)
    }

    /// The group with this name.
    pub fn group_by_name(&self, name: &str) -> Option<usize> {
        self.groups.iter().position(|g| g.name == name)
    }

    /// The main instance of `key`.
    pub fn product(&self, key: ProductKey) -> &Product {
        &self.products[key.index()]
    }

    /// The instance `id` names.
    pub fn instance(&self, id: InstanceId) -> &Product {
        &self.products[id.index()]
    }

    /// Every instance, in [`Org::products`] order.
    pub fn instances(&self) -> impl Iterator<Item = InstanceId> + '_ {
        self.products
            .iter()
            .enumerate()
            .map(|(index, p)| InstanceId {
                index,
                product: p.key,
            })
    }

    /// The instances of `product`, the main instance first.
    pub fn instances_of(&self, product: ProductKey) -> impl Iterator<Item = InstanceId> + '_ {
        self.instances().filter(move |i| i.product == product)
    }

    /// The instance a resource id names: its ARI or its workspace id.
    pub fn instance_by_resource(&self, resource: &str) -> Option<InstanceId> {
        self.instances().find(|&i| {
            let p = self.instance(i);
            p.ari == resource || p.workspace_id == resource
        })
    }

    /// The site `instance` lives on, for Jira and Confluence.
    pub fn site_of(&self, instance: InstanceId) -> Option<&Site> {
        self.instance(instance).site.map(|s| &self.sites[s])
    }

    /// Indexes of the groups that grant `product`'s main instance, default
    /// group first.
    pub fn granting_groups(&self, product: ProductKey) -> Vec<usize> {
        self.granting_groups_on(InstanceId::main(product))
    }

    /// Indexes of the groups that grant `instance`, default group first.
    pub fn granting_groups_on(&self, instance: InstanceId) -> Vec<usize> {
        let default = self.instance(instance).default_group;
        let mut groups = vec![default];
        groups.extend((0..self.groups.len()).filter(|&g| {
            g != default && self.groups[g].grants.iter().any(|(i, _)| *i == instance)
        }));
        groups
    }

    /// How `person` holds `product`'s main instance, if at all.
    pub fn access(&self, person: &Person, product: ProductKey) -> Option<Access> {
        self.access_on(person, InstanceId::main(product))
    }

    /// How `person` holds `instance`, if at all: the strongest role any of
    /// their groups grants on it, else a role assigned directly, else guest
    /// access.
    pub fn access_on(&self, person: &Person, instance: InstanceId) -> Option<Access> {
        let mut best: Option<Access> = None;
        for &g in &person.groups {
            for &(i, role) in &self.groups[g].grants {
                if i == instance && best.is_none_or(|b| role > b.role) {
                    best = Some(Access {
                        role,
                        via_group: Some(g),
                    });
                }
            }
        }
        let direct = |held: &[InstanceId], role| {
            held.contains(&instance).then_some(Access {
                role,
                via_group: None,
            })
        };
        best.or_else(|| direct(&person.direct, Role::User))
            .or_else(|| direct(&person.guest_of, Role::Guest))
    }

    /// Whether `person` takes one of `instance`'s seats: a person (not an
    /// app or customer) who can sign in, with a role other than guest.
    pub fn holds_seat_on(&self, person: &Person, instance: InstanceId) -> bool {
        person.account_type == AccountType::Atlassian
            && person.is_enabled()
            && self
                .access_on(person, instance)
                .is_some_and(|a| a.role != Role::Guest)
    }

    /// Whether `person` holds a paid seat of `product`'s main instance.
    pub fn is_billable(&self, person: &Person, product: ProductKey) -> bool {
        self.is_billable_on(person, InstanceId::main(product))
    }

    /// Whether `person` holds a paid seat of `instance`: takes one of its
    /// seats, and the instance is not a sandbox.
    pub fn is_billable_on(&self, person: &Person, instance: InstanceId) -> bool {
        !self.instance(instance).sandbox && self.holds_seat_on(person, instance)
    }

    /// Seats of `product`'s main instance in use.
    pub fn seats_used(&self, product: ProductKey) -> u32 {
        self.seats_used_on(InstanceId::main(product))
    }

    /// Seats of `instance` in use ([`Org::holds_seat_on`]).
    pub fn seats_used_on(&self, instance: InstanceId) -> u32 {
        self.people
            .iter()
            .filter(|p| self.holds_seat_on(p, instance))
            .count() as u32
    }

    /// Everyone who holds `product`'s main instance, billable or not, with
    /// how.
    pub fn holders(&self, product: ProductKey) -> impl Iterator<Item = (&Person, Access)> {
        self.holders_on(InstanceId::main(product))
    }

    /// Everyone who holds `instance`, billable or not, with how.
    pub fn holders_on(&self, instance: InstanceId) -> impl Iterator<Item = (&Person, Access)> {
        self.people
            .iter()
            .filter_map(move |p| self.access_on(p, instance).map(|a| (p, a)))
    }

    /// Adds a site; returns its index in [`Org::sites`].
    pub(crate) fn push_site(&mut self, site: Site) -> usize {
        self.sites.push(site);
        self.sites.len() - 1
    }

    /// Adds an instance; returns its id.
    pub(crate) fn push_instance(&mut self, product: Product) -> InstanceId {
        let id = InstanceId {
            index: self.products.len(),
            product: product.key,
        };
        self.products.push(product);
        id
    }
}

/// A group change refused because an instance it grants has no seat left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoSeatLeft(pub InstanceId);

impl std::fmt::Display for NoSeatLeft {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} has no seat left: all {} licences are assigned",
            self.0.product().name(),
            self.0.key()
        )
    }
}

/// Provisioning: the changes every API makes to the one organisation, so
/// that a change made through one API shows in all of them.
impl Org {
    /// Whether `after` (person `p` changed) would take a seat of an
    /// instance among `instances` that has none left.
    fn check_seats(
        &self,
        p: usize,
        after: &Person,
        instances: impl IntoIterator<Item = InstanceId>,
    ) -> Result<(), NoSeatLeft> {
        for instance in instances {
            let newly_seated = !self.holds_seat_on(&self.people[p], instance)
                && self.holds_seat_on(after, instance);
            if newly_seated && self.seats_used_on(instance) >= self.instance(instance).seats {
                return Err(NoSeatLeft(instance));
            }
        }
        Ok(())
    }

    /// Adds person `p` to group `g`. `Ok(false)` when already a member.
    /// Refused when the group would give a seat of a full instance.
    pub fn add_to_group(&mut self, p: usize, g: usize) -> Result<bool, NoSeatLeft> {
        if self.people[p].groups.contains(&g) {
            return Ok(false);
        }
        let mut after = self.people[p].clone();
        after.groups.push(g);
        after.groups.sort_unstable();
        self.check_seats(p, &after, self.groups[g].grants.iter().map(|&(i, _)| i))?;
        self.people[p] = after;
        Ok(true)
    }

    /// Removes person `p` from group `g`; false when not a member.
    pub fn remove_from_group(&mut self, p: usize, g: usize) -> bool {
        let groups = &mut self.people[p].groups;
        let before = groups.len();
        groups.retain(|&x| x != g);
        groups.len() != before
    }

    /// Sets person `p`'s status; false when it already was. Restoring a
    /// person to a status that uses seats is refused when a product they
    /// hold is full.
    pub fn set_status(&mut self, p: usize, status: Status) -> Result<bool, NoSeatLeft> {
        if self.people[p].status == status {
            return Ok(false);
        }
        let mut after = self.people[p].clone();
        after.status = status;
        self.check_seats(p, &after, self.instances())?;
        self.people[p].status = status;
        Ok(true)
    }

    /// Removes person `p` from the organisation's directory: every group
    /// and guest access goes, freeing their seats, and they are marked
    /// [`Org::removed`]. False when already removed.
    pub fn remove_from_directory(&mut self, p: usize) -> bool {
        let person = &mut self.people[p];
        person.groups.clear();
        person.guest_of.clear();
        person.direct.clear();
        self.removed.insert(p)
    }

    /// Invites `email` (a new person, status invited) with the default
    /// groups of the main instances of `products`; returns the new
    /// person's index. An email already in the organisation gets the
    /// missing groups instead, and is back in the directory if it had been
    /// removed.
    pub fn invite(
        &mut self,
        email: &str,
        name: Option<&str>,
        products: &[ProductKey],
    ) -> Result<usize, NoSeatLeft> {
        let instances: Vec<InstanceId> = products.iter().map(|&k| InstanceId::main(k)).collect();
        self.invite_on(email, name, &instances)
    }

    /// [`Org::invite`] with the default groups of `instances`.
    pub fn invite_on(
        &mut self,
        email: &str,
        name: Option<&str>,
        instances: &[InstanceId],
    ) -> Result<usize, NoSeatLeft> {
        let existing = self.people.iter().position(|x| {
            x.email
                .as_deref()
                .is_some_and(|e| e.eq_ignore_ascii_case(email))
        });
        let p = match existing {
            Some(p) => {
                self.removed.remove(&p);
                p
            }
            None => {
                let n = self.people.len() as u64;
                let mut rng = crate::rng::Rng::new(crate::rng::mix(n ^ 0x696e_7669_7465));
                let local = email.split('@').next().unwrap_or(email);
                let person = Person {
                    account_id: format!("712020:{}", rng.uuid()),
                    account_type: AccountType::Atlassian,
                    status: Status::Invited,
                    name: name.unwrap_or(local).to_owned(),
                    nickname: local.to_owned(),
                    email: Some(email.to_owned()),
                    email_visible: true,
                    added: self.now.date(),
                    groups: Vec::new(),
                    guest_of: Vec::new(),
                    direct: Vec::new(),
                    last_active: Vec::new(),
                    scim_id: None,
                    trello_id: rng.hex(24),
                    bitbucket_uuid: format!("{{{}}}", rng.uuid()),
                    removed_from_jira: false,
                };
                self.push_person(person)
            }
        };
        for &instance in instances {
            let g = self.instance(instance).default_group;
            let holds = self
                .access_on(&self.people[p], instance)
                .is_some_and(|a| a.role != Role::Guest);
            if !holds {
                self.add_to_group(p, g)?;
            }
        }
        Ok(p)
    }
}

/// The identifiers of an organisation, for [`Org::new`].
#[derive(Debug, Clone)]
pub(crate) struct OrgIds {
    pub id: String,
    pub name: String,
    pub domain: String,
    pub site: String,
    pub cloud_id: String,
    pub directory_id: String,
    pub trello_workspace_id: String,
    pub trello_workspace_name: String,
    pub trello_enterprise_id: String,
    pub bitbucket_workspace: String,
    pub bitbucket_workspace_uuid: String,
}
