//! The store: what connectors reported, by generation, behind one
//! interface ([`Store`]) that sync, reports and (later) provisioning use.
//! [`sqlite`] implements it in one SQLite file; no SQL lives outside it.
//!
//! Every sync run writes into a new *generation* of its connector's rows;
//! the connector's current generation switches to it only when the run
//! completes, so a failed or killed run never leaves half a snapshot
//! visible. Each page is written together with its stream's checkpoint,
//! so a resumed run continues exactly after the last page stored. Ids are
//! unique per stream and run: a connector that reports the same account
//! twice fails its run instead of being stored short or doubled.
//!
//! Reports read the *current snapshot*: every connector's current
//! generation, its accounts joined into people by Atlassian account id,
//! then by lower-cased email. Usage (from any connector, typically the
//! organisation admin connector) applies to every licence of the same
//! person and product, whichever connector reported the licence.

pub mod sqlite;
mod worker;

use roster_sandbox::contract::{Account, License, Product, Stream, Usage};
use std::ops::ControlFlow;
use time::Date;

pub use worker::{Pending, StoreHandle, StoreWorker};

/// Why the store failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database failed.
    #[error("store {store}: {source}")]
    Database {
        /// Where the store is (its file).
        store: String,
        /// What the database said.
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The store was written by a newer Roster.
    #[error(
        "store {store} has schema version {found}, newer than this roster's ({supported}); \
         upgrade roster or point `[store] path` at another file"
    )]
    NewerSchema {
        /// Where the store is.
        store: String,
        /// Its schema version.
        found: i64,
        /// The newest this Roster writes.
        supported: i64,
    },
    /// A connector reported the same item twice in one run.
    #[error("connector `{connector}` reported {what} twice in its `{stream}` stream")]
    Duplicate {
        /// The connector instance.
        connector: String,
        /// The stream.
        stream: &'static str,
        /// The repeated item.
        what: String,
    },
    /// The run is not one this store knows as running.
    #[error("run {0} is not running")]
    NotRunning(i64),
    /// The store's thread could not start.
    #[error("store {store}: could not start its thread: {source}")]
    Thread {
        /// Where the store is.
        store: String,
        /// Why.
        source: std::io::Error,
    },
    /// The store's thread stopped before finishing a job.
    #[error("store {store}: its thread stopped")]
    Gone {
        /// Where the store is.
        store: String,
    },
}

/// A stream's checkpoint within a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The stream.
    pub stream: Stream,
    /// The cursor to continue from; none with `done` false means the start.
    pub cursor: Option<String>,
    /// Items stored so far.
    pub items: u64,
    /// Pages stored so far.
    pub pages: u64,
    /// Whether the stream reached its end (or was skipped).
    pub done: bool,
    /// Why the stream was not read: the permission the credentials lack,
    /// as the connector said.
    pub skipped: Option<String>,
}

/// How a run ended (or that it has not).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunStatus {
    /// Still running, or killed while running.
    Running,
    /// Completed: its generation is current.
    Completed,
    /// Failed; resumable from its checkpoints.
    Failed,
}

/// A sync run, as `roster runs` shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    /// Run id.
    pub id: i64,
    /// The connector instance (`[connectors.<name>]`).
    pub connector: String,
    /// The generation it writes.
    pub generation: i64,
    /// When it started (RFC 3339).
    pub started_at: String,
    /// When it ended, if it did.
    pub finished_at: Option<String>,
    /// How it ended.
    pub status: RunStatus,
    /// Why it failed.
    pub error: Option<String>,
    /// Items stored per stream read.
    pub counts: Vec<(Stream, u64)>,
    /// The streams not read, each with why (a permission the credentials
    /// lack): what they hold is unknown, not empty.
    pub skipped: Vec<(Stream, String)>,
    /// The product instances with more seats in use, as the upstream
    /// counts them, than the billable holders the run found.
    pub unseen: Vec<Unseen>,
    /// The transient failures absorbed on the way.
    pub retries: RunRetries,
}

/// A product instance whose upstream counts more seats in use than the
/// billable holders a run found: people hold it in a way the connector
/// cannot list (a Jira product role granted directly, without a group).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unseen {
    /// The product key.
    pub product: String,
    /// The instance, when the connector names it.
    pub instance: Option<String>,
    /// Seats in use, as the upstream counts them.
    pub counted: u32,
    /// Billable holders the run found.
    pub found: u32,
}

impl Unseen {
    /// Holders the connector could not see.
    pub fn missing(&self) -> u32 {
        self.counted.saturating_sub(self.found)
    }

    /// The product, and its instance when named: `jira-software on …`.
    pub fn what(&self) -> String {
        match &self.instance {
            Some(i) => format!("{} on {i}", self.product),
            None => self.product.clone(),
        }
    }
}

/// The transient failures a run absorbed: how an operator sees a degrading
/// upstream before it fails.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunRetries {
    /// Requests the host sent again (after a 429, a 5xx or a connection
    /// fault).
    pub requests: u64,
    /// Connector calls the sync made again after a transient failure the
    /// host's retries did not absorb.
    pub calls: u64,
}

/// One page of one stream, to store.
#[derive(Debug, Clone, Copy)]
pub enum PageRows<'a> {
    /// Accounts.
    Accounts(&'a [Account]),
    /// Products (one page: the whole list).
    Products(&'a [Product]),
    /// Licences.
    Licenses(&'a [License]),
    /// Usage.
    Usage(&'a [Usage]),
}

impl PageRows<'_> {
    /// The stream the rows belong to.
    pub fn stream(&self) -> Stream {
        match self {
            PageRows::Accounts(_) => Stream::Accounts,
            PageRows::Products(_) => Stream::Products,
            PageRows::Licenses(_) => Stream::Licenses,
            PageRows::Usage(_) => Stream::Usage,
        }
    }

    /// How many rows.
    pub fn len(&self) -> usize {
        match self {
            PageRows::Accounts(v) => v.len(),
            PageRows::Products(v) => v.len(),
            PageRows::Licenses(v) => v.len(),
            PageRows::Usage(v) => v.len(),
        }
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Row `row`'s id within its stream, named for people.
    pub fn describe(&self, row: usize) -> String {
        match self {
            PageRows::Accounts(items) => format!("account `{}`", items[row].id),
            PageRows::Products(items) => {
                format!("product `{}`", items[row].reference())
            }
            PageRows::Licenses(items) => format!(
                "licence of `{}` to `{}`",
                items[row].account_id, items[row].product
            ),
            PageRows::Usage(items) => match &items[row].product {
                Some(product) => format!("usage of `{}` in `{product}`", items[row].account_id),
                None => format!("usage of `{}` in (any product)", items[row].account_id),
            },
        }
    }
}

/// Which accounts `roster accounts` lists.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccountFilter {
    /// Only this connector instance.
    pub connector: Option<String>,
    /// Only holders of this product key.
    pub product: Option<String>,
    /// Only this status (`active`, `suspended`, ...).
    pub status: Option<String>,
    /// Only accounts whose id, email or name contains this text, ignoring
    /// case.
    pub search: Option<String>,
}

/// One account of the current snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountRow {
    /// The connector instance that reported it.
    pub connector: String,
    /// The upstream id (the Atlassian account id for Atlassian products).
    pub id: String,
    /// Email, when known.
    pub email: Option<String>,
    /// Name.
    pub display_name: Option<String>,
    /// `active`, `suspended`, `deactivated`, `invited`, `unknown`: the
    /// connector's own, or where it does not know, what another connector
    /// reports for the same account id (see `status_from`).
    pub status: String,
    /// The connector the status comes from when the account's own
    /// connector could not tell (Jira's `active: false` does not say
    /// whether an account is suspended or deactivated; the organization
    /// admin connector does).
    pub status_from: Option<String>,
    /// `human`, `app`, `customer`, `service`, `unknown`.
    pub kind: String,
    /// The groups the account is in.
    pub groups: Vec<String>,
    /// When it was created or added, as the upstream says (a day or an
    /// RFC 3339 timestamp).
    pub created_at: Option<String>,
}

/// A product instance of the current snapshot, as reports name it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ProductInstance {
    /// The product key.
    pub product: String,
    /// The instance's id; none for the one instance of a product whose
    /// connectors name none.
    pub instance: Option<String>,
    /// Its name, as the first connector to report it gives it (the key
    /// when none does).
    pub name: String,
    /// Where its users open it, when a connector says.
    pub url: Option<String>,
    /// Whether it is a sandbox, when a connector says.
    pub sandbox: Option<bool>,
}

impl ProductInstance {
    /// Whether it is known to be a sandbox.
    pub fn is_sandbox(&self) -> bool {
        self.sandbox == Some(true)
    }
}

/// One product instance's seats in the current snapshot, counted per
/// person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductSeats {
    /// The product instance.
    pub instance: ProductInstance,
    /// Seats bought, when an upstream says (the largest figure reported).
    pub seats_bought: Option<u32>,
    /// People holding the product.
    pub assigned: u32,
    /// People holding a paid seat of it.
    pub billable: u32,
    /// Billable people active in it in the last 30 days.
    pub active_30: u32,
    /// Billable people active in it in the last 90 days.
    pub active_90: u32,
    /// Billable people never seen active in it.
    pub never_active: u32,
    /// Whether who holds it is unknown: every connector that reports it
    /// skipped its licences (the credentials lack a permission).
    pub holders_unknown: bool,
    /// Holders the upstream counts that no connector listed: the most seats
    /// in use any connector's upstream counts beyond the billable people
    /// found, when there are any.
    pub not_visible: Option<u32>,
}

/// A person's seat of a product instance, and when they last used it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seat {
    /// The product instance (shared by its seats).
    pub instance: std::sync::Arc<ProductInstance>,
    /// The account holding it (a billable one when there is one).
    pub account_id: String,
    /// That account's email, from whichever connector shows it.
    pub email: Option<String>,
    /// Whether it takes a paid seat.
    pub billable: bool,
    /// The day the person last used the product, if ever.
    pub last_active: Option<Date>,
}

/// One row of `roster person`: an account of the person, with one of its
/// licences (if it holds any) and the person's last use of that product.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonRow {
    /// The account.
    pub account: AccountRow,
    /// The licence's product, role and whether it is billable.
    pub licence: Option<PersonLicence>,
}

/// A licence as `roster person` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonLicence {
    /// The product instance.
    pub instance: ProductInstance,
    /// The role.
    pub role: Option<String>,
    /// Whether it takes a paid seat.
    pub billable: bool,
    /// The person's last use of the product, from any of their accounts.
    pub last_active: Option<Date>,
}

/// What an audit record says of an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditPhase {
    /// Part of a plan that was saved or is about to be applied.
    Planned,
    /// About to be carried out; the planned requests are those it may send.
    Started,
    /// One write request, recorded before it was sent: it may have reached
    /// the upstream.
    Sent,
    /// Carried out.
    Applied,
    /// Nothing to do: the target already was in the requested state.
    Unchanged,
    /// It failed; `error` says why.
    Failed,
    /// Not carried out, because the target changed since it was planned.
    Refused,
}

impl AuditPhase {
    /// Every phase, in the order an action goes through them.
    pub const ALL: [AuditPhase; 7] = [
        AuditPhase::Planned,
        AuditPhase::Started,
        AuditPhase::Sent,
        AuditPhase::Applied,
        AuditPhase::Unchanged,
        AuditPhase::Failed,
        AuditPhase::Refused,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            AuditPhase::Planned => "planned",
            AuditPhase::Started => "started",
            AuditPhase::Sent => "sent",
            AuditPhase::Applied => "applied",
            AuditPhase::Unchanged => "unchanged",
            AuditPhase::Failed => "failed",
            AuditPhase::Refused => "refused",
        }
    }

    /// The phase of a stored name.
    pub fn parse(name: &str) -> Option<AuditPhase> {
        AuditPhase::ALL.into_iter().find(|p| p.as_str() == name)
    }

    /// Whether the action is over with this phase.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            AuditPhase::Applied | AuditPhase::Unchanged | AuditPhase::Failed | AuditPhase::Refused
        )
    }
}

/// One record of the audit log, as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// Who asked for it (`--actor`, by default the OS user).
    pub actor: String,
    /// The plan it belongs to.
    pub plan: String,
    /// Its position in the plan.
    pub step: u32,
    /// The connector instance.
    pub connector: String,
    /// `grant`, `revoke`, `suspend`, `restore`, `remove` or `invite`.
    pub action: String,
    /// What it acts on: an account id, with the product or group.
    pub target: String,
    /// The person's email, when known.
    pub person: Option<String>,
    /// What happened.
    pub phase: AuditPhase,
    /// One sentence for the operator.
    pub summary: String,
    /// The write requests (planned, or the one sent), secrets redacted.
    pub requests: Vec<roster_sandbox::Write>,
    /// Why it failed.
    pub error: Option<String>,
}

/// An audit record as stored: its entry, when, and its place in the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    /// Its number, from 1.
    pub seq: i64,
    /// When it was written (RFC 3339).
    pub at: String,
    /// What it says.
    pub entry: AuditEntry,
    /// The SHA-256 of the record and the digest of the one before, hex.
    pub digest: String,
}

/// Which audit records `roster audit` lists.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Only those written at or after this instant or day (RFC 3339 or
    /// `YYYY-MM-DD`).
    pub since: Option<String>,
    /// Only those about this email or account id.
    pub person: Option<String>,
    /// Only those of this plan.
    pub plan: Option<String>,
}

/// The first audit record that does not chain to the one before.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditBreak {
    /// The record's number.
    pub seq: i64,
    /// What does not match.
    pub why: String,
}

/// What sync, reports and provisioning need of a store. Every method
/// blocks; async code runs a store on a thread of its own
/// ([`StoreWorker`]).
pub trait Store: Send {
    /// Where the store is, for messages (a file path, a database URL).
    fn location(&self) -> String;

    /// Starts a run of `connector` writing a new generation.
    fn begin_run(&mut self, connector: &str) -> Result<Run, StoreError>;

    /// The latest run of `connector` that did not complete (failed or
    /// killed), marked running again: the one `sync --resume` continues.
    fn resumable_run(&mut self, connector: &str) -> Result<Option<Run>, StoreError>;

    /// The checkpoints of a run.
    fn checkpoints(&self, run: i64) -> Result<Vec<Checkpoint>, StoreError>;

    /// Stores one page of a stream and its checkpoint, atomically. Refuses
    /// (storing nothing) an id the run already stored in that stream, or
    /// one repeated within the page.
    fn write_page(
        &mut self,
        run: &Run,
        page: PageRows<'_>,
        next: Option<&str>,
    ) -> Result<(), StoreError>;

    /// Records that the run does not read `stream`, and why, dropping what
    /// it stored of it: the stream counts as done, its contents unknown.
    fn skip_stream(&mut self, run: &Run, stream: Stream, why: &str) -> Result<(), StoreError>;

    /// The streams the current snapshot lacks: for each connector whose
    /// current run skipped streams, the connector, the stream and why.
    fn current_skips(&self) -> Result<Vec<(String, Stream, String)>, StoreError>;

    /// Completes a run: its generation becomes the connector's current one.
    fn complete_run(&mut self, run: &Run) -> Result<(), StoreError>;

    /// Marks a run failed with `error` (its rows stay, for a resume).
    fn fail_run(&mut self, run: &Run, error: &str) -> Result<(), StoreError>;

    /// Adds `retries` to those the run has absorbed (a resumed run adds to
    /// those of its earlier attempts).
    fn add_retries(&mut self, run: &Run, retries: RunRetries) -> Result<(), StoreError>;

    /// Deletes up to about `limit` rows of `connector`'s generations that
    /// nothing needs any more; zero once there is nothing left to delete.
    fn prune(&mut self, connector: &str, limit: usize) -> Result<usize, StoreError>;

    /// A run by id, with its counts.
    fn run(&self, id: i64) -> Result<Option<Run>, StoreError>;

    /// Every run, newest first.
    fn runs(&self) -> Result<Vec<Run>, StoreError>;

    /// Joins the current snapshot's accounts into people again, if the
    /// current generations changed since the last join. Reports do it
    /// themselves when needed; a sync does it once at its end so that
    /// the next report is quick.
    fn join_people(&mut self) -> Result<(), StoreError>;

    /// Seats per product, with activity in the 30 and 90 days up to
    /// `today`.
    fn product_seats(&mut self, today: Date) -> Result<Vec<ProductSeats>, StoreError>;

    /// Hands `each` the billable seats not used since `since` (or never),
    /// optionally of one product, until it breaks: the dearest first by
    /// `price` (a seat's monthly price by its instance), within a price the
    /// never-used first, then the least recently used.
    fn idle_seats(
        &mut self,
        since: Date,
        product: Option<&str>,
        price: &dyn Fn(&ProductInstance) -> f64,
        each: &mut dyn FnMut(Seat) -> ControlFlow<()>,
    ) -> Result<(), StoreError>;

    /// Hands each account of the current snapshot that `filter` keeps to
    /// `each`, in the order they were stored, until it breaks.
    fn each_account(
        &mut self,
        filter: &AccountFilter,
        each: &mut dyn FnMut(AccountRow) -> ControlFlow<()>,
    ) -> Result<(), StoreError>;

    /// Every account of the person with this email or account id, and what
    /// each holds; none when no account has it.
    fn person(&mut self, who: &str) -> Result<Option<Vec<PersonRow>>, StoreError>;

    /// Appends `entry` to the audit log, chained to the record before it.
    fn append_audit(&mut self, entry: &AuditEntry) -> Result<AuditRecord, StoreError>;

    /// Hands each audit record that `filter` keeps to `each`, oldest
    /// first, until it breaks.
    fn each_audit(
        &self,
        filter: &AuditFilter,
        each: &mut dyn FnMut(AuditRecord) -> ControlFlow<()>,
    ) -> Result<(), StoreError>;

    /// Walks the whole audit log; the first record that does not chain (its
    /// contents edited, or a record before it removed), if any.
    fn verify_audit(&self) -> Result<Option<AuditBreak>, StoreError>;
}
