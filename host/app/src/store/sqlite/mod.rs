//! The store in one SQLite file (WAL).
//!
//! A sync writes through one connection on a thread of its own
//! ([`StoreWorker`](super::StoreWorker)). Other processes may write at the
//! same time: every write transaction begins `IMMEDIATE`, taking the write
//! lock up front (waiting for it within the busy timeout) rather than
//! failing when a read turns into a write after another connection wrote.
//!
//! Ids of an unfinished run are checked for repeats in memory, by digest
//! (see [`SqliteStore::write_page`]); the people join and the seats the
//! reports count are kept in tables of their own, rebuilt when the current
//! generations change (see [`people`]).

mod audit;
mod people;
mod reports;
mod schema;

use super::{
    AccountFilter, AccountRow, AuditBreak, AuditEntry, AuditFilter, AuditRecord, Checkpoint,
    PageRows, PersonRow, ProductInstance, ProductSeats, Run, RunRetries, RunStatus, Seat, Store,
    StoreError, Unseen,
};
use roster_sandbox::contract::{AccountKind, AccountStatus, Instant, ProductRef, Stream};
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};
use std::collections::{HashMap, HashSet};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime};

pub use schema::SCHEMA_VERSION;

/// Records, for run `?1` of connector `?2` writing generation `?3`, each
/// product instance whose seats in use (as the upstream counts them)
/// outnumber the billable holders the run's licences name. Only a run
/// that read its licences compares: one that skipped them found nobody.
const UNSEEN: &str = "
INSERT INTO run_unseen (run_id, product_key, instance, counted, found)
SELECT ?1, key, instance, seats_used, found FROM (
  SELECT p.key, p.instance, p.seats_used,
         (SELECT COUNT(DISTINCT l.account_id) FROM licenses l
          WHERE l.connector = p.connector AND l.generation = p.generation
            AND l.product_key = p.key AND l.instance IN (p.instance, '') AND l.billable) AS found
  FROM products p
  WHERE p.connector = ?2 AND p.generation = ?3 AND p.seats_used IS NOT NULL
    AND EXISTS (SELECT 1 FROM checkpoints k
                WHERE k.run_id = ?1 AND k.stream = 'licenses' AND k.skipped IS NULL))
WHERE seats_used > found";

/// Joins a data table `t` to the connectors' current generations.
const CURRENT: &str = "JOIN current c ON c.connector = t.connector AND c.generation = t.generation";

/// The store in a SQLite file.
#[derive(Debug)]
pub struct SqliteStore {
    conn: Connection,
    path: PathBuf,
    /// Digests of the ids each unfinished run stored, per stream (see
    /// `write_page`).
    ids: HashMap<(i64, Stream), HashSet<u128>>,
}

impl SqliteStore {
    /// Opens (creating if needed) the store at `path`, in WAL mode, and
    /// brings its schema up to date.
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        let sqlite = |source| sqlite_at(path, source);
        let conn = Connection::open(path).map_err(sqlite)?;
        // First, so that every statement below waits for another process
        // opening or migrating the store instead of failing.
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(sqlite)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(sqlite)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(sqlite)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(sqlite)?;
        let mut store = SqliteStore {
            conn,
            path: path.to_owned(),
            ids: HashMap::new(),
        };
        schema::migrate(&mut store.conn).map_err(|e| match e {
            schema::MigrateError::Sqlite(source) => sqlite(source),
            schema::MigrateError::Newer(found) => StoreError::NewerSchema {
                store: path.display().to_string(),
                found,
                supported: SCHEMA_VERSION,
            },
        })?;
        Ok(store)
    }

    /// Joins the current snapshot into people and counts its seats again
    /// now, whether or not the current generations changed (a repair, and
    /// what the reports benchmark times); reports do it themselves when
    /// they must.
    pub fn rejoin_people(&mut self) -> Result<(), StoreError> {
        people::join(&mut self.conn, &self.path)
    }

    /// The store file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    #[cfg(test)]
    fn conn(&self) -> &Connection {
        &self.conn
    }

    fn sqlite(&self, source: rusqlite::Error) -> StoreError {
        sqlite_at(&self.path, source)
    }

    /// The ids of `page`, checked against each other and against those the
    /// run already stored in that stream (read from the file once per run
    /// and stream, so that a resumed run is checked too).
    fn fresh_ids(&mut self, run: &Run, page: &PageRows<'_>) -> Result<HashSet<u128>, StoreError> {
        let stream = page.stream();
        if !self.ids.contains_key(&(run.id, stream)) {
            let stored = self.stored_ids(run, stream)?;
            self.ids.insert((run.id, stream), stored);
        }
        let stored = &self.ids[&(run.id, stream)];
        let mut fresh = HashSet::new();
        for (row, id) in digests(page).into_iter().enumerate() {
            if stored.contains(&id) || !fresh.insert(id) {
                return Err(StoreError::Duplicate {
                    connector: run.connector.clone(),
                    stream: stream.as_str(),
                    what: page.describe(row),
                });
            }
        }
        Ok(fresh)
    }

    /// The digests of the ids a run stored in `stream`, as
    /// [`PageRows::digests`] makes them.
    fn stored_ids(&self, run: &Run, stream: Stream) -> Result<HashSet<u128>, StoreError> {
        let sql = match stream {
            Stream::Accounts => {
                "SELECT id, '', '' FROM accounts WHERE connector = ?1 AND generation = ?2"
            }
            Stream::Products => {
                "SELECT key, instance, '' FROM products WHERE connector = ?1 AND generation = ?2"
            }
            Stream::Licenses => {
                "SELECT account_id, product_key, instance FROM licenses
                 WHERE connector = ?1 AND generation = ?2"
            }
            Stream::Usage => {
                "SELECT account_id, product_key, instance FROM usage
                 WHERE connector = ?1 AND generation = ?2"
            }
        };
        let mut stmt = self.conn.prepare(sql).map_err(|e| self.sqlite(e))?;
        let ids = stmt
            .query_map(params![run.connector, run.generation], |r| {
                let part = |i| r.get_ref(i).and_then(|v| Ok(v.as_str()?));
                Ok(digest([part(0)?, part(1)?, part(2)?]))
            })
            .map_err(|e| self.sqlite(e))?
            .collect::<Result<HashSet<u128>, _>>()
            .map_err(|e| self.sqlite(e))?;
        Ok(ids)
    }

    /// The product instances of run `id` with holders it could not see.
    fn unseen(&self, id: i64) -> Result<Vec<Unseen>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT product_key, instance, counted, found FROM run_unseen
                 WHERE run_id = ?1 ORDER BY product_key, instance",
            )
            .map_err(|e| self.sqlite(e))?;
        let rows = stmt
            .query_map([id], |r| {
                let instance: String = r.get(1)?;
                Ok(Unseen {
                    product: r.get(0)?,
                    instance: (!instance.is_empty()).then_some(instance),
                    counted: r.get(2)?,
                    found: r.get(3)?,
                })
            })
            .map_err(|e| self.sqlite(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.sqlite(e))
    }

    /// Drops the ids kept for a run that is over.
    fn forget_ids(&mut self, run: &Run) {
        self.ids.retain(|(id, _), _| *id != run.id);
    }
}

impl Store for SqliteStore {
    fn location(&self) -> String {
        self.path.display().to_string()
    }

    /// Starts a run of `connector` writing a new generation.
    fn begin_run(&mut self, connector: &str) -> Result<Run, StoreError> {
        let started_at = now();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| sqlite_at(&self.path, e))?;
        let generation: i64 = tx
            .query_row(
                "SELECT COALESCE(MAX(generation), 0) + 1 FROM runs WHERE connector = ?1",
                [connector],
                |r| r.get(0),
            )
            .map_err(|e| sqlite_at(&self.path, e))?;
        tx.execute(
            "INSERT INTO runs (connector, generation, started_at, status) VALUES (?1, ?2, ?3, 'running')",
            params![connector, generation, started_at],
        )
        .map_err(|e| sqlite_at(&self.path, e))?;
        let id = tx.last_insert_rowid();
        tx.commit().map_err(|e| sqlite_at(&self.path, e))?;
        Ok(Run {
            id,
            connector: connector.to_owned(),
            generation,
            started_at,
            finished_at: None,
            status: RunStatus::Running,
            error: None,
            counts: Vec::new(),
            skipped: Vec::new(),
            unseen: Vec::new(),
            retries: RunRetries::default(),
        })
    }

    /// The latest run of `connector` that did not complete (failed or
    /// killed) and is newer than its current generation: the one
    /// `sync --resume` continues.
    fn resumable_run(&mut self, connector: &str) -> Result<Option<Run>, StoreError> {
        let id: Option<i64> = self
            .conn
            .query_row(
                "SELECT id, status FROM runs WHERE connector = ?1 ORDER BY id DESC LIMIT 1",
                [connector],
                |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)),
            )
            .optional()
            .map_err(|e| self.sqlite(e))?
            .filter(|(_, status)| status != "completed")
            .map(|(id, _)| id);
        let Some(id) = id else { return Ok(None) };
        self.conn
            .execute(
                "UPDATE runs SET status = 'running', finished_at = NULL, error = NULL WHERE id = ?1",
                [id],
            )
            .map_err(|e| self.sqlite(e))?;
        self.run(id)
    }

    /// The checkpoints of a run.
    fn checkpoints(&self, run: i64) -> Result<Vec<Checkpoint>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT stream, cursor, items, pages, done, skipped FROM checkpoints
                 WHERE run_id = ?1",
            )
            .map_err(|e| self.sqlite(e))?;
        let rows = stmt
            .query_map([run], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Option<String>>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, bool>(4)?,
                    r.get::<_, Option<String>>(5)?,
                ))
            })
            .map_err(|e| self.sqlite(e))?;
        let mut out = Vec::new();
        for row in rows {
            let (stream, cursor, items, pages, done, skipped) = row.map_err(|e| self.sqlite(e))?;
            if let Some(stream) = Stream::parse(&stream) {
                out.push(Checkpoint {
                    stream,
                    cursor,
                    items: items as u64,
                    pages: pages as u64,
                    done,
                    skipped,
                });
            }
        }
        Ok(out)
    }

    /// Stores one page of a stream and its checkpoint, atomically.
    fn write_page(
        &mut self,
        run: &Run,
        page: PageRows<'_>,
        next: Option<&str>,
    ) -> Result<(), StoreError> {
        let stream = page.stream();
        let fresh = self.fresh_ids(run, &page)?;
        let path = self.path.clone();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| sqlite_at(&path, e))?;
        let written = insert_rows(&tx, run, &page).map_err(|e| sqlite_at(&path, e))?;
        tx.execute(
            "INSERT INTO checkpoints (run_id, stream, cursor, items, pages, done)
             VALUES (?1, ?2, ?3, ?4, 1, ?5)
             ON CONFLICT (run_id, stream) DO UPDATE SET
               cursor = excluded.cursor, items = items + excluded.items,
               pages = pages + 1, done = excluded.done",
            params![
                run.id,
                stream.as_str(),
                next,
                written as i64,
                next.is_none()
            ],
        )
        .map_err(|e| sqlite_at(&path, e))?;
        tx.commit().map_err(|e| sqlite_at(&path, e))?;
        self.ids.entry((run.id, stream)).or_default().extend(fresh);
        Ok(())
    }

    fn skip_stream(&mut self, run: &Run, stream: Stream, why: &str) -> Result<(), StoreError> {
        let table = match stream {
            Stream::Accounts => "accounts",
            Stream::Products => "products",
            Stream::Licenses => "licenses",
            Stream::Usage => "usage",
        };
        let path = self.path.clone();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| sqlite_at(&path, e))?;
        tx.execute(
            &format!("DELETE FROM {table} WHERE connector = ?1 AND generation = ?2"),
            params![run.connector, run.generation],
        )
        .map_err(|e| sqlite_at(&path, e))?;
        tx.execute(
            "INSERT INTO checkpoints (run_id, stream, cursor, items, pages, done, skipped)
             VALUES (?1, ?2, NULL, 0, 0, 1, ?3)
             ON CONFLICT (run_id, stream) DO UPDATE SET
               cursor = NULL, items = 0, pages = 0, done = 1, skipped = excluded.skipped",
            params![run.id, stream.as_str(), why],
        )
        .map_err(|e| sqlite_at(&path, e))?;
        tx.commit().map_err(|e| sqlite_at(&path, e))?;
        self.ids.remove(&(run.id, stream));
        Ok(())
    }

    fn current_skips(&self) -> Result<Vec<(String, Stream, String)>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT r.connector, k.stream, k.skipped
                 FROM runs r
                 JOIN current c ON c.connector = r.connector AND c.generation = r.generation
                 JOIN checkpoints k ON k.run_id = r.id
                 WHERE k.skipped IS NOT NULL
                 ORDER BY r.connector, k.stream",
            )
            .map_err(|e| self.sqlite(e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })
            .map_err(|e| self.sqlite(e))?;
        let mut out = Vec::new();
        for row in rows {
            let (connector, stream, why) = row.map_err(|e| self.sqlite(e))?;
            if let Some(stream) = Stream::parse(&stream) {
                out.push((connector, stream, why));
            }
        }
        Ok(out)
    }

    /// Completes a run: its generation becomes the connector's current one.
    /// The generation it replaces stays on disk until [`Store::prune`]
    /// removes it (a sync prunes while it reads, where the deletion costs
    /// no time).
    fn complete_run(&mut self, run: &Run) -> Result<(), StoreError> {
        let path = self.path.clone();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| sqlite_at(&path, e))?;
        let updated = tx
            .execute(
                "UPDATE runs SET status = 'completed', finished_at = ?2 WHERE id = ?1 AND status = 'running'",
                params![run.id, now()],
            )
            .map_err(|e| sqlite_at(&path, e))?;
        if updated == 0 {
            return Err(StoreError::NotRunning(run.id));
        }
        tx.execute(UNSEEN, params![run.id, run.connector, run.generation])
            .map_err(|e| sqlite_at(&path, e))?;
        tx.execute(
            "INSERT INTO current (connector, generation) VALUES (?1, ?2)
             ON CONFLICT (connector) DO UPDATE SET generation = excluded.generation",
            params![run.connector, run.generation],
        )
        .map_err(|e| sqlite_at(&path, e))?;
        tx.commit().map_err(|e| sqlite_at(&path, e))?;
        self.forget_ids(run);
        Ok(())
    }

    /// Deletes up to `limit` rows per table of `connector`'s generations
    /// that nothing needs any more: neither the current one nor that of its
    /// latest run (running, or failed and resumable). Returns how many rows
    /// went; zero once there is nothing left to prune.
    fn prune(&mut self, connector: &str, limit: usize) -> Result<usize, StoreError> {
        let path = self.path.clone();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| sqlite_at(&path, e))?;
        let mut deleted = 0;
        for table in schema::DATA_TABLES {
            deleted += tx
                .execute(
                    &format!(
                        "DELETE FROM {table} WHERE rowid IN (
                           SELECT rowid FROM {table}
                           WHERE connector = ?1
                             AND generation NOT IN (SELECT generation FROM current WHERE connector = ?1)
                             AND generation <> (SELECT COALESCE(MAX(generation), 0) FROM runs WHERE connector = ?1)
                           LIMIT ?2)"
                    ),
                    params![connector, limit as i64],
                )
                .map_err(|e| sqlite_at(&path, e))?;
        }
        tx.commit().map_err(|e| sqlite_at(&path, e))?;
        Ok(deleted)
    }

    /// Marks a run failed with `error` (its rows stay, for `--resume`).
    fn fail_run(&mut self, run: &Run, error: &str) -> Result<(), StoreError> {
        self.conn
            .execute(
                "UPDATE runs SET status = 'failed', finished_at = ?2, error = ?3 WHERE id = ?1",
                params![run.id, now(), error],
            )
            .map_err(|e| self.sqlite(e))?;
        self.forget_ids(run);
        Ok(())
    }

    fn add_retries(&mut self, run: &Run, retries: RunRetries) -> Result<(), StoreError> {
        self.conn
            .execute(
                "UPDATE runs SET request_retries = request_retries + ?2,
                                 call_retries = call_retries + ?3
                 WHERE id = ?1",
                params![run.id, retries.requests as i64, retries.calls as i64],
            )
            .map_err(|e| self.sqlite(e))?;
        Ok(())
    }

    /// A run by id, with its counts.
    fn run(&self, id: i64) -> Result<Option<Run>, StoreError> {
        let run = self
            .conn
            .query_row(
                "SELECT id, connector, generation, started_at, finished_at, status, error, request_retries,
                        call_retries
                 FROM runs WHERE id = ?1",
                [id],
                run_row,
            )
            .optional()
            .map_err(|e| self.sqlite(e))?;
        let Some(mut run) = run else { return Ok(None) };
        run.unseen = self.unseen(id)?;
        for c in self.checkpoints(id)? {
            match c.skipped {
                Some(why) => run.skipped.push((c.stream, why)),
                None => run.counts.push((c.stream, c.items)),
            }
        }
        Ok(Some(run))
    }

    /// Every run, newest first.
    fn runs(&self) -> Result<Vec<Run>, StoreError> {
        let ids: Vec<i64> = {
            let mut stmt = self
                .conn
                .prepare("SELECT id FROM runs ORDER BY id DESC")
                .map_err(|e| self.sqlite(e))?;
            let rows = stmt
                .query_map([], |r| r.get(0))
                .map_err(|e| self.sqlite(e))?;
            rows.collect::<Result<_, _>>().map_err(|e| self.sqlite(e))?
        };
        let mut runs = Vec::with_capacity(ids.len());
        for id in ids {
            runs.extend(self.run(id)?);
        }
        Ok(runs)
    }

    fn join_people(&mut self) -> Result<(), StoreError> {
        people::join_if_stale(&mut self.conn, &self.path)
    }

    fn product_seats(&mut self, today: Date) -> Result<Vec<ProductSeats>, StoreError> {
        self.join_people()?;
        reports::product_seats(&self.conn, today).map_err(|e| self.sqlite(e))
    }

    fn idle_seats(
        &mut self,
        since: Date,
        product: Option<&str>,
        price: &dyn Fn(&ProductInstance) -> f64,
        each: &mut dyn FnMut(Seat) -> ControlFlow<()>,
    ) -> Result<(), StoreError> {
        self.join_people()?;
        reports::idle_seats(&self.conn, since, product, price, each).map_err(|e| self.sqlite(e))
    }

    fn each_account(
        &mut self,
        filter: &AccountFilter,
        each: &mut dyn FnMut(AccountRow) -> ControlFlow<()>,
    ) -> Result<(), StoreError> {
        reports::each_account(&self.conn, filter, each).map_err(|e| self.sqlite(e))
    }

    fn person(&mut self, who: &str) -> Result<Option<Vec<PersonRow>>, StoreError> {
        reports::person(&self.conn, who).map_err(|e| self.sqlite(e))
    }

    fn append_audit(&mut self, entry: &AuditEntry) -> Result<AuditRecord, StoreError> {
        audit::append(&mut self.conn, entry).map_err(|e| sqlite_at(&self.path, e))
    }

    fn each_audit(
        &self,
        filter: &AuditFilter,
        each: &mut dyn FnMut(AuditRecord) -> ControlFlow<()>,
    ) -> Result<(), StoreError> {
        audit::each(&self.conn, filter, each).map_err(|e| self.sqlite(e))
    }

    fn verify_audit(&self) -> Result<Option<AuditBreak>, StoreError> {
        audit::verify(&self.conn).map_err(|e| self.sqlite(e))
    }
}

/// The digest of each row's id within its stream: an account's id, a
/// product's key and instance, a licence's or usage's account and product
/// instance (as `stored_ids` reads them back).
fn digests(page: &PageRows<'_>) -> Vec<u128> {
    let of = |account: &str, p: Option<&ProductRef>| {
        let key = p.map_or("", |p| p.key.as_str());
        digest([account, key, p.map_or("", |p| instance_text(&p.instance))])
    };
    match page {
        PageRows::Accounts(items) => items.iter().map(|a| digest([&a.id, "", ""])).collect(),
        PageRows::Products(items) => items
            .iter()
            .map(|p| digest([&p.key, instance_text(&p.instance), ""]))
            .collect(),
        PageRows::Licenses(items) => items
            .iter()
            .map(|l| of(&l.account_id, Some(&l.product)))
            .collect(),
        PageRows::Usage(items) => items
            .iter()
            .map(|u| of(&u.account_id, u.product.as_ref()))
            .collect(),
    }
}

/// How an instance is stored: its id, or `''` when none is named.
fn instance_text(instance: &Option<String>) -> &str {
    instance.as_deref().unwrap_or("")
}

fn run_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Run> {
    Ok(Run {
        id: r.get(0)?,
        connector: r.get(1)?,
        generation: r.get(2)?,
        started_at: r.get(3)?,
        finished_at: r.get(4)?,
        status: run_status(&r.get::<_, String>(5)?),
        error: r.get(6)?,
        counts: Vec::new(),
        skipped: Vec::new(),
        unseen: Vec::new(),
        retries: RunRetries {
            requests: r.get::<_, i64>(7)? as u64,
            calls: r.get::<_, i64>(8)? as u64,
        },
    })
}

fn run_status(s: &str) -> RunStatus {
    match s {
        "completed" => RunStatus::Completed,
        "failed" => RunStatus::Failed,
        _ => RunStatus::Running,
    }
}

/// A 128-bit digest of an id made of up to three parts, from two
/// differently seeded hashes: 16 bytes to remember each id a run stored,
/// with a false duplicate as unlikely as a collision of 128-bit hashes.
fn digest(parts: [&str; 3]) -> u128 {
    use std::hash::{DefaultHasher, Hash, Hasher};
    let half = |seed: u8| {
        let mut hasher = DefaultHasher::new();
        (seed, parts).hash(&mut hasher);
        hasher.finish()
    };
    (u128::from(half(0)) << 64) | u128::from(half(1))
}

/// Inserts a page's rows.
fn insert_rows(
    tx: &Transaction<'_>,
    run: &Run,
    page: &PageRows<'_>,
) -> Result<usize, rusqlite::Error> {
    let (c, g) = (&run.connector, run.generation);
    match page {
        PageRows::Accounts(items) => {
            let mut stmt = tx.prepare_cached(
                "INSERT INTO accounts (connector, generation, id, email, display_name, status, kind,
                   created_at, last_active, groups, attributes)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            )?;
            for a in *items {
                stmt.execute(params![
                    c,
                    g,
                    a.id,
                    a.email,
                    a.display_name,
                    status_name(a.status),
                    kind_name(a.kind),
                    a.created_at.as_ref().map(instant_text),
                    a.last_active.as_ref().map(instant_text),
                    serde_json::to_string(&a.groups).unwrap_or_default(),
                    serde_json::to_string(&a.attributes).unwrap_or_default(),
                ])?;
            }
            Ok(items.len())
        }
        PageRows::Products(items) => {
            let mut stmt = tx.prepare_cached(
                "INSERT INTO products (connector, generation, key, instance, name, url, sandbox,
                   seats_total, seats_used, plan, granting_groups)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            )?;
            for p in *items {
                stmt.execute(params![
                    c,
                    g,
                    p.key,
                    instance_text(&p.instance),
                    p.name,
                    p.url,
                    p.sandbox,
                    p.seats_total,
                    p.seats_used,
                    p.plan,
                    serde_json::to_string(&p.granting_groups).unwrap_or_default(),
                ])?;
            }
            Ok(items.len())
        }
        PageRows::Licenses(items) => {
            let mut stmt = tx.prepare_cached(
                "INSERT INTO licenses (connector, generation, account_id, product_key, instance, role,
                   billable, via_group)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?;
            for l in *items {
                stmt.execute(params![
                    c,
                    g,
                    l.account_id,
                    l.product.key,
                    instance_text(&l.product.instance),
                    l.role,
                    l.billable,
                    l.via_group
                ])?;
            }
            Ok(items.len())
        }
        PageRows::Usage(items) => {
            let mut stmt = tx.prepare_cached(
                "INSERT INTO usage (connector, generation, account_id, product_key, instance,
                   last_active, precision)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?;
            for u in *items {
                let (text, precision) = match &u.last_active {
                    Instant::Date(d) => (d.as_str(), "date"),
                    Instant::Timestamp(t) => (t.as_str(), "timestamp"),
                };
                stmt.execute(params![
                    c,
                    g,
                    u.account_id,
                    u.product.as_ref().map_or("", |p| p.key.as_str()),
                    u.product
                        .as_ref()
                        .map_or("", |p| instance_text(&p.instance)),
                    text,
                    precision
                ])?;
            }
            Ok(items.len())
        }
    }
}

/// The stored name of an account status.
pub fn status_name(status: AccountStatus) -> &'static str {
    match status {
        AccountStatus::Active => "active",
        AccountStatus::Suspended => "suspended",
        AccountStatus::Deactivated => "deactivated",
        AccountStatus::Invited => "invited",
        AccountStatus::Unknown => "unknown",
    }
}

/// The stored name of an account kind.
pub fn kind_name(kind: AccountKind) -> &'static str {
    match kind {
        AccountKind::Human => "human",
        AccountKind::App => "app",
        AccountKind::Customer => "customer",
        AccountKind::Service => "service",
        AccountKind::Unknown => "unknown",
    }
}

fn instant_text(i: &Instant) -> &str {
    match i {
        Instant::Date(s) | Instant::Timestamp(s) => s,
    }
}

/// A SQLite failure of the store at `path`.
fn sqlite_at(path: &Path, source: rusqlite::Error) -> StoreError {
    StoreError::Database {
        store: path.display().to_string(),
        source: Box::new(source),
    }
}

fn now() -> String {
    OffsetDateTime::now_utc()
        .format(&Rfc3339)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests;
