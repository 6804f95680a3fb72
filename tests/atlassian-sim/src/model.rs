//! The organisation the simulator serves: people, groups, products and
//! seats, as one source of truth. Every API answers from it, provisioning
//! changes it, and tests compare what connectors report with it.

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
    /// Every product, in a fixed order (the order of `Person::last_active`).
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

    /// Position in [`ProductKey::ALL`].
    pub fn index(self) -> usize {
        self as usize
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
    /// Products the person is a guest of (no group grants them).
    pub guest_of: Vec<ProductKey>,
    /// Last activity per product, in [`ProductKey::ALL`] order; none for
    /// never.
    pub last_active: [Option<OffsetDateTime>; 5],
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
    /// Last activity in `product`.
    pub fn last_active_in(&self, product: ProductKey) -> Option<OffsetDateTime> {
        self.last_active[product.index()]
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
    /// Products membership grants, with the role.
    pub grants: Vec<(ProductKey, Role)>,
}

/// A product instance (a workspace in Admin API terms) with its seats.
#[derive(Debug, Clone, PartialEq)]
pub struct Product {
    /// Which product.
    pub key: ProductKey,
    /// Workspace id in the Admin API.
    pub workspace_id: String,
    /// Seats bought.
    pub seats: u32,
    /// Plan (`STANDARD`, `PREMIUM`, ...).
    pub plan: &'static str,
    /// The group that grants the product by default (index into
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
    /// The site subdomain (`acme` for acme.atlassian.net).
    pub site: String,
    /// The site's cloud id.
    pub cloud_id: String,
    /// The directory id (also the SCIM directory id).
    pub directory_id: String,
    /// The Trello workspace (organization) id.
    pub trello_workspace_id: String,
    /// The Trello workspace name.
    pub trello_workspace_name: String,
    /// The Trello enterprise id.
    pub trello_enterprise_id: String,
    /// The Bitbucket workspace slug.
    pub bitbucket_workspace: String,
    /// The Bitbucket workspace uuid, with braces.
    pub bitbucket_workspace_uuid: String,
    /// Every account, in generation order (invitations append).
    pub people: Vec<Person>,
    /// Every group.
    pub groups: Vec<Group>,
    /// Every product instance, in [`ProductKey::ALL`] order.
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
        Org {
            id: ids.id,
            name: ids.name,
            domain: ids.domain,
            site: ids.site,
            cloud_id: ids.cloud_id,
            directory_id: ids.directory_id,
            trello_workspace_id: ids.trello_workspace_id,
            trello_workspace_name: ids.trello_workspace_name,
            trello_enterprise_id: ids.trello_enterprise_id,
            bitbucket_workspace: ids.bitbucket_workspace,
            bitbucket_workspace_uuid: ids.bitbucket_workspace_uuid,
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

    /// The product instance.
    pub fn product(&self, key: ProductKey) -> &Product {
        &self.products[key.index()]
    }

    /// Indexes of the groups that grant `product`, default group first.
    pub fn granting_groups(&self, product: ProductKey) -> Vec<usize> {
        let default = self.product(product).default_group;
        let mut groups = vec![default];
        groups.extend(
            (0..self.groups.len()).filter(|&g| {
                g != default && self.groups[g].grants.iter().any(|(p, _)| *p == product)
            }),
        );
        groups
    }

    /// How `person` holds `product`, if at all: the strongest role any of
    /// their groups grants, else guest access.
    pub fn access(&self, person: &Person, product: ProductKey) -> Option<Access> {
        let mut best: Option<Access> = None;
        for &g in &person.groups {
            for &(p, role) in &self.groups[g].grants {
                if p == product && best.is_none_or(|b| role > b.role) {
                    best = Some(Access {
                        role,
                        via_group: Some(g),
                    });
                }
            }
        }
        best.or_else(|| {
            person.guest_of.contains(&product).then_some(Access {
                role: Role::Guest,
                via_group: None,
            })
        })
    }

    /// Whether `person` holds a paid seat of `product`: a person (not an
    /// app or customer) who can sign in, with a role other than guest.
    pub fn is_billable(&self, person: &Person, product: ProductKey) -> bool {
        person.account_type == AccountType::Atlassian
            && person.is_enabled()
            && self
                .access(person, product)
                .is_some_and(|a| a.role != Role::Guest)
    }

    /// Seats of `product` in use.
    pub fn seats_used(&self, product: ProductKey) -> u32 {
        self.people
            .iter()
            .filter(|p| self.is_billable(p, product))
            .count() as u32
    }

    /// Everyone who holds `product`, billable or not, with how.
    pub fn holders(&self, product: ProductKey) -> impl Iterator<Item = (&Person, Access)> {
        self.people
            .iter()
            .filter_map(move |p| self.access(p, product).map(|a| (p, a)))
    }
}

/// A group change refused because a product it grants has no seat left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoSeatLeft(pub ProductKey);

impl std::fmt::Display for NoSeatLeft {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} has no seat left: all {} licences are assigned",
            self.0.name(),
            self.0.key()
        )
    }
}

/// Provisioning: the changes every API makes to the one organisation, so
/// that a change made through one API shows in all of them.
impl Org {
    /// Adds person `p` to group `g`. `Ok(false)` when already a member.
    /// Refused when the group would give a paid seat of a full product.
    pub fn add_to_group(&mut self, p: usize, g: usize) -> Result<bool, NoSeatLeft> {
        if self.people[p].groups.contains(&g) {
            return Ok(false);
        }
        let mut after = self.people[p].clone();
        after.groups.push(g);
        after.groups.sort_unstable();
        for &(product, _) in &self.groups[g].grants {
            let newly_billable =
                !self.is_billable(&self.people[p], product) && self.is_billable(&after, product);
            if newly_billable && self.seats_used(product) >= self.product(product).seats {
                return Err(NoSeatLeft(product));
            }
        }
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
        for product in ProductKey::ALL {
            let newly_billable =
                !self.is_billable(&self.people[p], product) && self.is_billable(&after, product);
            if newly_billable && self.seats_used(product) >= self.product(product).seats {
                return Err(NoSeatLeft(product));
            }
        }
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
        self.removed.insert(p)
    }

    /// Invites `email` (a new person, status invited) with the default
    /// groups of `products`; returns the new person's index. An email
    /// already in the organisation gets the missing groups instead, and is
    /// back in the directory if it had been removed.
    pub fn invite(
        &mut self,
        email: &str,
        name: Option<&str>,
        products: &[ProductKey],
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
                    last_active: [None; 5],
                    scim_id: None,
                    trello_id: rng.hex(24),
                    bitbucket_uuid: format!("{{{}}}", rng.uuid()),
                    removed_from_jira: false,
                };
                self.push_person(person)
            }
        };
        for &product in products {
            let g = self.product(product).default_group;
            let holds = self
                .access(&self.people[p], product)
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
