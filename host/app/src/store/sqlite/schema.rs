//! The store's tables, and migrations from older versions of them.

use rusqlite::Connection;

/// The schema version this Roster writes (SQLite's `user_version`).
pub const SCHEMA_VERSION: i64 = 5;

/// Tables holding connector data, keyed by connector and generation.
pub(super) const DATA_TABLES: [&str; 4] = ["accounts", "products", "licenses", "usage"];

/// Version 1: runs, their checkpoints, each connector's current
/// generation, and the four data tables.
pub(super) const V1: &str = "
CREATE TABLE runs (
    id          INTEGER PRIMARY KEY,
    connector   TEXT NOT NULL,
    generation  INTEGER NOT NULL,
    started_at  TEXT NOT NULL,
    finished_at TEXT,
    status      TEXT NOT NULL CHECK (status IN ('running', 'completed', 'failed')),
    error       TEXT,
    UNIQUE (connector, generation)
);
CREATE TABLE checkpoints (
    run_id  INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    stream  TEXT NOT NULL,
    cursor  TEXT,
    items   INTEGER NOT NULL,
    pages   INTEGER NOT NULL,
    done    INTEGER NOT NULL,
    PRIMARY KEY (run_id, stream)
);
CREATE TABLE current (
    connector  TEXT PRIMARY KEY,
    generation INTEGER NOT NULL
);
CREATE TABLE accounts (
    connector    TEXT NOT NULL,
    generation   INTEGER NOT NULL,
    id           TEXT NOT NULL,
    email        TEXT,
    display_name TEXT,
    status       TEXT NOT NULL,
    kind         TEXT NOT NULL,
    created_at   TEXT,
    last_active  TEXT,
    groups       TEXT NOT NULL,
    attributes   TEXT NOT NULL,
    PRIMARY KEY (connector, generation, id)
) WITHOUT ROWID;
CREATE INDEX accounts_email ON accounts (lower(email));
CREATE TABLE products (
    connector       TEXT NOT NULL,
    generation      INTEGER NOT NULL,
    key             TEXT NOT NULL,
    name            TEXT NOT NULL,
    seats_total     INTEGER,
    seats_used      INTEGER,
    plan            TEXT,
    granting_groups TEXT NOT NULL,
    PRIMARY KEY (connector, generation, key)
) WITHOUT ROWID;
CREATE TABLE licenses (
    connector   TEXT NOT NULL,
    generation  INTEGER NOT NULL,
    account_id  TEXT NOT NULL,
    product_key TEXT NOT NULL,
    role        TEXT,
    billable    INTEGER NOT NULL,
    via_group   TEXT,
    PRIMARY KEY (connector, generation, account_id, product_key)
) WITHOUT ROWID;
CREATE TABLE usage (
    connector   TEXT NOT NULL,
    generation  INTEGER NOT NULL,
    account_id  TEXT NOT NULL,
    product_key TEXT NOT NULL,
    last_active TEXT NOT NULL,
    precision   TEXT NOT NULL CHECK (precision IN ('date', 'timestamp')),
    PRIMARY KEY (connector, generation, account_id, product_key)
) WITHOUT ROWID;
";

/// Version 2: the data tables keep rows in the order a run writes them,
/// read by connector and generation. Version 1 clustered them by id, so
/// every row of a page landed on a page of its own in the B-tree and a
/// sync rewrote hundreds of database pages per page of 100 rows; ids are
/// now kept unique by the store itself (see `Store::write_page`). The
/// email index, which no query used, is gone.
const V2: &str = "
DROP INDEX accounts_email;
CREATE TABLE accounts_v2 (
    connector    TEXT NOT NULL,
    generation   INTEGER NOT NULL,
    id           TEXT NOT NULL,
    email        TEXT,
    display_name TEXT,
    status       TEXT NOT NULL,
    kind         TEXT NOT NULL,
    created_at   TEXT,
    last_active  TEXT,
    groups       TEXT NOT NULL,
    attributes   TEXT NOT NULL
);
INSERT INTO accounts_v2 SELECT * FROM accounts;
DROP TABLE accounts;
ALTER TABLE accounts_v2 RENAME TO accounts;
CREATE INDEX accounts_by_generation ON accounts (connector, generation);
CREATE TABLE products_v2 (
    connector       TEXT NOT NULL,
    generation      INTEGER NOT NULL,
    key             TEXT NOT NULL,
    name            TEXT NOT NULL,
    seats_total     INTEGER,
    seats_used      INTEGER,
    plan            TEXT,
    granting_groups TEXT NOT NULL
);
INSERT INTO products_v2 SELECT * FROM products;
DROP TABLE products;
ALTER TABLE products_v2 RENAME TO products;
CREATE INDEX products_by_generation ON products (connector, generation);
CREATE TABLE licenses_v2 (
    connector   TEXT NOT NULL,
    generation  INTEGER NOT NULL,
    account_id  TEXT NOT NULL,
    product_key TEXT NOT NULL,
    role        TEXT,
    billable    INTEGER NOT NULL,
    via_group   TEXT
);
INSERT INTO licenses_v2 SELECT * FROM licenses;
DROP TABLE licenses;
ALTER TABLE licenses_v2 RENAME TO licenses;
CREATE INDEX licenses_by_generation ON licenses (connector, generation);
CREATE TABLE usage_v2 (
    connector   TEXT NOT NULL,
    generation  INTEGER NOT NULL,
    account_id  TEXT NOT NULL,
    product_key TEXT NOT NULL,
    last_active TEXT NOT NULL,
    precision   TEXT NOT NULL CHECK (precision IN ('date', 'timestamp'))
);
INSERT INTO usage_v2 SELECT * FROM usage;
DROP TABLE usage;
ALTER TABLE usage_v2 RENAME TO usage;
CREATE INDEX usage_by_generation ON usage (connector, generation);
";

/// Version 3: product instances, the seats the reports count, and the
/// retries a run absorbed.
///
/// A product, a licence and a usage record name the instance they are on
/// (`''` for none named: a connector built against contract 0.1.0, or one
/// that reports one instance of a product); products keep the instance's
/// address and whether it is a sandbox.
///
/// `seats` holds one row per person and product instance held, derived
/// from the data tables whenever the current generations change
/// (`people_source` says which ones they were derived from); its product
/// instances are numbered in `seat_products` (slots in key and instance
/// order), so that a row carries a number rather than an ARI. Rows are
/// clustered the way the reports read them: by product and instance, then
/// by whether they are billable, then from the longest idle
/// (`last_active` is `''` for never) to the most recently active; they are
/// written in that order, with no other index to maintain, so that
/// rebuilding them costs one sequential write.
const V3: &str = "
ALTER TABLE products ADD COLUMN instance TEXT NOT NULL DEFAULT '';
ALTER TABLE products ADD COLUMN url TEXT;
ALTER TABLE products ADD COLUMN sandbox INTEGER;
ALTER TABLE licenses ADD COLUMN instance TEXT NOT NULL DEFAULT '';
ALTER TABLE usage ADD COLUMN instance TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN request_retries INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN call_retries INTEGER NOT NULL DEFAULT 0;
CREATE TABLE people_source (
    connector  TEXT PRIMARY KEY,
    generation INTEGER NOT NULL
);
CREATE TABLE seat_products (
    slot        INTEGER PRIMARY KEY,
    product_key TEXT NOT NULL,
    instance    TEXT NOT NULL,
    UNIQUE (product_key, instance)
);
CREATE TABLE seats (
    slot        INTEGER NOT NULL REFERENCES seat_products (slot),
    billable    INTEGER NOT NULL,
    last_active TEXT NOT NULL,
    account_id  TEXT NOT NULL,
    person      INTEGER NOT NULL,
    email       TEXT,
    PRIMARY KEY (slot, billable, last_active, account_id, person)
) WITHOUT ROWID;
";

/// Version 4: what a run could not see. `skipped` holds why a stream was
/// not read (a permission the credentials lack, as the connector said), so
/// that reports tell an unknown figure from a zero; `run_unseen` the
/// product instances whose seats in use, as the upstream counts them,
/// outnumber the billable holders the run found (people holding the
/// product in a way the connector cannot list).
const V4: &str = "
ALTER TABLE checkpoints ADD COLUMN skipped TEXT;
CREATE TABLE run_unseen (
    run_id      INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    product_key TEXT NOT NULL,
    instance    TEXT NOT NULL,
    counted     INTEGER NOT NULL,
    found       INTEGER NOT NULL,
    PRIMARY KEY (run_id, product_key, instance)
);
";

/// Version 5: the audit log of access changes (see `audit`), which no
/// statement may update or delete from.
const V5: &str = "
CREATE TABLE audit (
    seq       INTEGER PRIMARY KEY,
    at        TEXT NOT NULL,
    actor     TEXT NOT NULL,
    plan      TEXT NOT NULL,
    step      INTEGER NOT NULL,
    connector TEXT NOT NULL,
    action    TEXT NOT NULL,
    target    TEXT NOT NULL,
    person    TEXT,
    phase     TEXT NOT NULL,
    summary   TEXT NOT NULL,
    requests  TEXT NOT NULL,
    error     TEXT,
    prev      TEXT NOT NULL,
    digest    TEXT NOT NULL
);
CREATE INDEX audit_by_plan ON audit (plan, step);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
";

/// Why the schema could not be brought up to date.
pub(super) enum MigrateError {
    Sqlite(rusqlite::Error),
    /// The file's version is newer than this Roster's.
    Newer(i64),
}

/// Brings the schema to [`SCHEMA_VERSION`], one version at a time, each in
/// its own transaction. Each step reads the version inside its (immediate,
/// so exclusive) transaction: a process that opens the store while another
/// migrates it waits, then finds the step done instead of running it again.
pub(super) fn migrate(conn: &mut Connection) -> Result<(), MigrateError> {
    let current: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .map_err(MigrateError::Sqlite)?;
    if current == SCHEMA_VERSION {
        return Ok(());
    }
    let steps: [&str; 5] = [V1, V2, V3, V4, V5];
    loop {
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(MigrateError::Sqlite)?;
        let version: i64 = tx
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(MigrateError::Sqlite)?;
        if version > SCHEMA_VERSION {
            return Err(MigrateError::Newer(version));
        }
        let Some(step) = steps.get(version as usize) else {
            return Ok(());
        };
        tx.execute_batch(step).map_err(MigrateError::Sqlite)?;
        tx.pragma_update(None, "user_version", version + 1)
            .map_err(MigrateError::Sqlite)?;
        tx.commit().map_err(MigrateError::Sqlite)?;
    }
}
