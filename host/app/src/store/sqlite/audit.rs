//! The audit log: append-only (the schema's triggers refuse updates and
//! deletes) and tamper-evident: each record carries the SHA-256 of its own
//! fields and of the digest of the record before it, so that editing or
//! removing a record breaks the chain at that point for `verify`.

use super::now;
use crate::store::{AuditBreak, AuditEntry, AuditFilter, AuditPhase, AuditRecord};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use sha2::{Digest, Sha256};
use std::ops::ControlFlow;

/// The digest of the (absent) record before the first.
const GENESIS: &str = "";

/// Appends `entry` after the last record, in one immediate transaction, so
/// that two processes appending at once still form one chain.
pub(super) fn append(conn: &mut Connection, entry: &AuditEntry) -> rusqlite::Result<AuditRecord> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let last: Option<(i64, String)> = tx
        .query_row(
            "SELECT seq, digest FROM audit ORDER BY seq DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let (seq, prev) = last.map_or((1, GENESIS.to_owned()), |(s, d)| (s + 1, d));
    let at = now();
    let requests = serde_json::to_string(&entry.requests).unwrap_or_default();
    let digest = digest_of(seq, &at, entry, &requests, &prev);
    tx.execute(
        "INSERT INTO audit (seq, at, actor, plan, step, connector, action, target, person, phase,
           summary, requests, error, prev, digest)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
        params![
            seq,
            at,
            entry.actor,
            entry.plan,
            entry.step,
            entry.connector,
            entry.action,
            entry.target,
            entry.person,
            entry.phase.as_str(),
            entry.summary,
            requests,
            entry.error,
            prev,
            digest
        ],
    )?;
    tx.commit()?;
    Ok(AuditRecord {
        seq,
        at,
        entry: entry.clone(),
        digest,
    })
}

/// The SHA-256, hex, of a record's fields and the digest before it.
fn digest_of(seq: i64, at: &str, e: &AuditEntry, requests: &str, prev: &str) -> String {
    let fields = serde_json::json!([
        seq,
        at,
        e.actor,
        e.plan,
        e.step,
        e.connector,
        e.action,
        e.target,
        e.person,
        e.phase.as_str(),
        e.summary,
        requests,
        e.error,
        prev
    ]);
    let hash = Sha256::digest(fields.to_string().as_bytes());
    hash.iter().map(|b| format!("{b:02x}")).collect()
}

const COLUMNS: &str = "seq, at, actor, plan, step, connector, action, target, person, phase,
                       summary, requests, error, prev, digest";

/// A stored record: the record, the text of its requests, and the digest
/// it names as its predecessor's.
struct Stored {
    record: AuditRecord,
    requests: String,
    prev: String,
}

fn stored(r: &rusqlite::Row<'_>) -> rusqlite::Result<Stored> {
    let phase: String = r.get(9)?;
    let requests: String = r.get(11)?;
    Ok(Stored {
        record: AuditRecord {
            seq: r.get(0)?,
            at: r.get(1)?,
            entry: AuditEntry {
                actor: r.get(2)?,
                plan: r.get(3)?,
                step: r.get(4)?,
                connector: r.get(5)?,
                action: r.get(6)?,
                target: r.get(7)?,
                person: r.get(8)?,
                // An unknown phase fails `verify`; shown as failed.
                phase: AuditPhase::parse(&phase).unwrap_or(AuditPhase::Failed),
                summary: r.get(10)?,
                requests: serde_json::from_str(&requests).unwrap_or_default(),
                error: r.get(12)?,
            },
            digest: r.get(14)?,
        },
        requests,
        prev: r.get(13)?,
    })
}

/// Hands `each` the records `filter` keeps, oldest first.
pub(super) fn each(
    conn: &Connection,
    filter: &AuditFilter,
    each: &mut dyn FnMut(AuditRecord) -> ControlFlow<()>,
) -> rusqlite::Result<()> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM audit
         WHERE (?1 IS NULL OR at >= ?1)
           AND (?2 IS NULL OR lower(person) = lower(?2) OR instr(target, ?2) > 0)
           AND (?3 IS NULL OR plan = ?3)
         ORDER BY seq"
    ))?;
    let mut rows = stmt.query(params![filter.since, filter.person, filter.plan])?;
    while let Some(row) = rows.next()? {
        if each(stored(row)?.record).is_break() {
            break;
        }
    }
    Ok(())
}

/// The first record that does not chain, if any.
pub(super) fn verify(conn: &Connection) -> rusqlite::Result<Option<AuditBreak>> {
    let mut stmt = conn.prepare_cached(&format!("SELECT {COLUMNS} FROM audit ORDER BY seq"))?;
    let mut rows = stmt.query([])?;
    let (mut expected_seq, mut prev) = (1, GENESIS.to_owned());
    while let Some(row) = rows.next()? {
        let s = stored(row)?;
        let r = &s.record;
        let broken = |why: String| Ok(Some(AuditBreak { seq: r.seq, why }));
        if r.seq != expected_seq {
            return broken(format!(
                "record {} follows record {}: the records between were removed",
                r.seq,
                expected_seq - 1
            ));
        }
        if s.prev != prev {
            return broken(
                "it does not name the digest of the record before it: that record was changed \
                 or removed"
                    .into(),
            );
        }
        let phase: String = row.get(9)?;
        if AuditPhase::parse(&phase).is_none() {
            return broken(format!("its phase `{phase}` is not one Roster writes"));
        }
        if digest_of(r.seq, &r.at, &r.entry, &s.requests, &s.prev) != r.digest {
            return broken("its contents do not match its digest: it was edited".into());
        }
        prev.clone_from(&r.digest);
        expected_seq += 1;
    }
    Ok(None)
}
