//! The report queries over the current snapshot, read from the derived
//! seats table (see [`people`](super::people)) and the data tables'
//! current generations.

use super::CURRENT;
use super::people::{KnownInstances, day_of, ids_of_person};
use crate::store::{
    AccountFilter, AccountRow, PersonLicence, PersonRow, ProductInstance, ProductSeats, Seat,
};
use rusqlite::{Connection, params};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::ops::ControlFlow;
use std::sync::Arc;
use time::{Date, Duration};

/// A product instance's key in the seats table: product key and instance
/// (`""` unnamed).
type InstanceKey = (String, String);

/// What the current snapshot's products say of one product instance.
struct Reported {
    instance: ProductInstance,
    /// The most seats bought any connector reports.
    seats_bought: Option<u32>,
    /// Whether a connector that reports it read its licences.
    holders_read: bool,
    /// The most seats in use a connector's upstream counts, where that is
    /// more than the billable holders the connector found.
    counted: Option<u32>,
}

impl Reported {
    fn new(key: &str, placed: &str) -> Self {
        Reported {
            instance: ProductInstance {
                instance: (!placed.is_empty()).then(|| placed.to_owned()),
                product: key.to_owned(),
                name: String::new(),
                url: None,
                sandbox: None,
            },
            seats_bought: None,
            holders_read: false,
            counted: None,
        }
    }
}

/// The connectors whose current run skipped their licences.
fn licences_skipped(conn: &Connection) -> rusqlite::Result<HashSet<String>> {
    let mut stmt = conn.prepare_cached(
        "SELECT r.connector FROM runs r
         JOIN current c ON c.connector = r.connector AND c.generation = r.generation
         JOIN checkpoints k ON k.run_id = r.id
         WHERE k.stream = 'licenses' AND k.skipped IS NOT NULL",
    )?;
    stmt.query_map([], |r| r.get(0))?.collect()
}

/// Every product instance of the current snapshot: those its products
/// name (an unnamed one placed on its product's one named instance, as the
/// seats are) and those only its seats name.
fn instances(conn: &Connection) -> rusqlite::Result<BTreeMap<InstanceKey, Reported>> {
    let known = KnownInstances::read(conn)?;
    let skipped = licences_skipped(conn)?;
    let mut all: BTreeMap<InstanceKey, Reported> = BTreeMap::new();
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT t.connector, t.key, t.instance, t.name, t.url, t.sandbox, t.seats_total
         FROM products t {CURRENT} ORDER BY t.rowid"
    ))?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        let connector = row.get_ref(0)?.as_str()?;
        let key: String = row.get(1)?;
        let placed = known
            .place(connector, &key, row.get_ref(2)?.as_str()?)
            .to_owned();
        let seats: Option<u32> = row.get(6)?;
        let reported = all
            .entry((key.clone(), placed.clone()))
            .or_insert_with(|| Reported::new(&key, &placed));
        let instance = &mut reported.instance;
        if instance.name.is_empty() {
            instance.name = row.get(3)?;
        }
        instance.url = instance.url.take().or(row.get(4)?);
        instance.sandbox = instance.sandbox.or(row.get(5)?);
        reported.seats_bought = reported.seats_bought.max(seats);
        reported.holders_read |= !skipped.contains(connector);
    }
    let mut stmt = conn.prepare_cached(
        "SELECT r.connector, u.product_key, u.instance, u.counted FROM run_unseen u
         JOIN runs r ON r.id = u.run_id
         JOIN current c ON c.connector = r.connector AND c.generation = r.generation",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        let key: String = row.get(1)?;
        let placed = known.place(row.get_ref(0)?.as_str()?, &key, row.get_ref(2)?.as_str()?);
        if let Some(reported) = all.get_mut(&(key.clone(), placed.to_owned())) {
            reported.counted = reported.counted.max(row.get(3)?);
        }
    }
    let mut stmt = conn.prepare_cached("SELECT product_key, instance FROM seat_products")?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        let (key, instance): InstanceKey = (row.get(0)?, row.get(1)?);
        let reported = all
            .entry((key.clone(), instance.clone()))
            .or_insert_with(|| Reported::new(&key, &instance));
        if reported.instance.name.is_empty() {
            reported.instance.name = key;
        }
        reported.holders_read = true;
    }
    Ok(all)
}

/// Seats per product instance, in product and instance order, with
/// activity in the 30 and 90 days up to `today`.
pub(super) fn product_seats(conn: &Connection, today: Date) -> rusqlite::Result<Vec<ProductSeats>> {
    let mut lines: BTreeMap<InstanceKey, ProductSeats> = instances(conn)?
        .into_iter()
        .map(|(key, reported)| {
            let line = ProductSeats {
                instance: reported.instance,
                seats_bought: reported.seats_bought,
                assigned: 0,
                billable: 0,
                active_30: 0,
                active_90: 0,
                never_active: 0,
                holders_unknown: !reported.holders_read,
                not_visible: reported.counted,
            };
            (key, line)
        })
        .collect();
    let since = |days: i64| (today - Duration::days(days)).to_string();
    let mut stmt = conn.prepare_cached(
        "SELECT p.product_key, p.instance, s.n, s.billable, s.active_30, s.active_90, s.never
         FROM (SELECT slot, COUNT(*) AS n, COUNT(*) FILTER (WHERE billable) AS billable,
                      COUNT(*) FILTER (WHERE billable AND last_active >= ?1) AS active_30,
                      COUNT(*) FILTER (WHERE billable AND last_active >= ?2) AS active_90,
                      COUNT(*) FILTER (WHERE billable AND last_active = '') AS never
               FROM seats GROUP BY slot) s
         JOIN seat_products p USING (slot)",
    )?;
    let mut rows = stmt.query(params![since(30), since(90)])?;
    while let Some(row) = rows.next()? {
        let key: InstanceKey = (row.get(0)?, row.get(1)?);
        if let Some(line) = lines.get_mut(&key) {
            line.assigned = row.get(2)?;
            line.billable = row.get(3)?;
            line.active_30 = row.get(4)?;
            line.active_90 = row.get(5)?;
            line.never_active = row.get(6)?;
        }
    }
    // The holders one connector could not list may be listed by another:
    // only those nobody found are not visible.
    for line in lines.values_mut() {
        line.not_visible = line
            .not_visible
            .filter(|&counted| counted > line.billable)
            .map(|counted| counted - line.billable);
    }
    Ok(lines.into_values().collect())
}

/// Hands `each` the billable seats not used since `since` (or never),
/// optionally of one product: dearest first by `price`, then never-used
/// first, then least recently used.
///
/// The seats table is clustered by product instance and last use, so each
/// instance's idle seats come in order from one range of it; instances of
/// one price are merged, so that no sort over every seat is needed.
pub(super) fn idle_seats(
    conn: &Connection,
    since: Date,
    product: Option<&str>,
    price: &dyn Fn(&ProductInstance) -> f64,
    each: &mut dyn FnMut(Seat) -> ControlFlow<()>,
) -> rusqlite::Result<()> {
    let mut priced: Vec<(f64, InstanceKey, Arc<ProductInstance>)> = instances(conn)?
        .into_iter()
        .filter(|((key, _), _)| product.is_none_or(|wanted| wanted == key))
        .map(|(key, r)| (price(&r.instance), key, Arc::new(r.instance)))
        .collect();
    priced.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    let since = since.to_string();
    let mut start = 0;
    while start < priced.len() {
        let same_price = priced[start..]
            .iter()
            .take_while(|p| p.0 == priced[start].0)
            .count();
        let group = &priced[start..start + same_price];
        start += same_price;
        if merge_idle(conn, group, &since, each)?.is_break() {
            break;
        }
    }
    Ok(())
}

/// Hands `each` the idle seats of the instances of `group` (each already
/// in order), merged by last use, product, instance and account.
fn merge_idle(
    conn: &Connection,
    group: &[(f64, InstanceKey, Arc<ProductInstance>)],
    since: &str,
    each: &mut dyn FnMut(Seat) -> ControlFlow<()>,
) -> rusqlite::Result<ControlFlow<()>> {
    let sql = "SELECT s.account_id, s.email, s.last_active FROM seats s
               WHERE s.slot = (SELECT slot FROM seat_products WHERE product_key = ?1 AND instance = ?2)
                 AND s.billable = 1 AND s.last_active < ?3
               ORDER BY s.last_active, s.account_id";
    let mut statements = Vec::with_capacity(group.len());
    for _ in group {
        statements.push(conn.prepare(sql)?);
    }
    let mut streams = Vec::with_capacity(group.len());
    for (statement, (_, (key, instance), _)) in statements.iter_mut().zip(group) {
        streams.push(statement.query(params![key, instance, since])?);
    }
    let mut heads: Vec<Option<Seat>> = Vec::with_capacity(streams.len());
    for (rows, (_, _, instance)) in streams.iter_mut().zip(group) {
        heads.push(next_seat(rows, instance)?);
    }
    loop {
        let next = heads
            .iter()
            .enumerate()
            .filter_map(|(i, head)| head.as_ref().map(|s| (i, s)))
            .min_by(|(_, a), (_, b)| seat_order(a).cmp(&seat_order(b)))
            .map(|(i, _)| i);
        let Some(i) = next else {
            return Ok(ControlFlow::Continue(()));
        };
        let following = next_seat(&mut streams[i], &group[i].2)?;
        let seat = std::mem::replace(&mut heads[i], following);
        if let Some(seat) = seat
            && each(seat).is_break()
        {
            return Ok(ControlFlow::Break(()));
        }
    }
}

/// How idle seats of one price are ordered.
fn seat_order(s: &Seat) -> (Option<Date>, &str, Option<&str>, &str) {
    (
        s.last_active,
        &s.instance.product,
        s.instance.instance.as_deref(),
        &s.account_id,
    )
}

fn next_seat(
    rows: &mut rusqlite::Rows<'_>,
    instance: &Arc<ProductInstance>,
) -> rusqlite::Result<Option<Seat>> {
    let Some(r) = rows.next()? else {
        return Ok(None);
    };
    Ok(Some(Seat {
        instance: instance.clone(),
        account_id: r.get(0)?,
        email: r.get(1)?,
        billable: true,
        last_active: day_of(r.get_ref(2)?.as_str()?),
    }))
}

/// Hands each account `filter` keeps to `each`, in stored order.
pub(super) fn each_account(
    conn: &Connection,
    filter: &AccountFilter,
    each: &mut dyn FnMut(AccountRow) -> ControlFlow<()>,
) -> rusqlite::Result<()> {
    let known = known_statuses(conn, filter.connector.as_deref(), None)?;
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT t.connector, t.id, t.email, t.display_name, t.status, t.kind, t.groups, t.created_at
         FROM accounts t {CURRENT}
         WHERE (?1 IS NULL OR t.connector = ?1)
           AND (?2 IS NULL OR (t.connector, t.id) IN (
                 SELECT l.connector, l.account_id FROM licenses l
                 JOIN current lc ON lc.connector = l.connector AND lc.generation = l.generation
                 WHERE l.product_key = ?2))"
    ))?;
    let needle = filter.search.as_deref().map(str::to_lowercase);
    let mut rows = stmt.query(params![filter.connector, filter.product])?;
    while let Some(row) = rows.next()? {
        let account = account_row(row, &known)?;
        let found = filter.status.as_ref().is_none_or(|s| *s == account.status)
            && needle.as_deref().is_none_or(|n| {
                [
                    Some(account.id.as_str()),
                    account.email.as_deref(),
                    account.display_name.as_deref(),
                ]
                .into_iter()
                .flatten()
                .any(|f| f.to_lowercase().contains(n))
            });
        if found && each(account).is_break() {
            break;
        }
    }
    Ok(())
}

/// For each account id that some current account (of `connector`, or of
/// any, and among `ids` when given, a JSON list) has with status
/// `unknown`, the status another connector reports for it and that
/// connector: the first in connector order that knows.
fn known_statuses(
    conn: &Connection,
    connector: Option<&str>,
    ids: Option<&str>,
) -> rusqlite::Result<HashMap<String, (String, String)>> {
    let mut stmt = conn.prepare_cached(&format!(
        "WITH unknown AS (
           SELECT DISTINCT t.id FROM accounts t {CURRENT}
           WHERE t.status = 'unknown' AND (?1 IS NULL OR t.connector = ?1)
             AND (?2 IS NULL OR t.id IN (SELECT value FROM json_each(?2))))
         SELECT t.id, t.status, t.connector FROM accounts t {CURRENT}
         WHERE t.status <> 'unknown' AND t.id IN unknown
         ORDER BY t.connector"
    ))?;
    let mut known = HashMap::new();
    let mut rows = stmt.query(params![connector, ids])?;
    while let Some(r) = rows.next()? {
        known.entry(r.get(0)?).or_insert((r.get(1)?, r.get(2)?));
    }
    Ok(known)
}

/// An account row; an unknown status replaced by one `known` has for it.
fn account_row(
    r: &rusqlite::Row<'_>,
    known: &HashMap<String, (String, String)>,
) -> rusqlite::Result<AccountRow> {
    let id: String = r.get(1)?;
    let mut status: String = r.get(4)?;
    let mut status_from = None;
    if status == "unknown"
        && let Some((other, connector)) = known.get(&id)
    {
        status.clone_from(other);
        status_from = Some(connector.clone());
    }
    Ok(AccountRow {
        connector: r.get(0)?,
        id,
        email: r.get(2)?,
        display_name: r.get(3)?,
        status,
        status_from,
        kind: r.get(5)?,
        groups: serde_json::from_str(r.get_ref(6)?.as_str()?).unwrap_or_default(),
        created_at: r.get(7)?,
    })
}

/// Every account of the person with this email or account id, each with
/// its licences and the person's last use of each product instance.
pub(super) fn person(conn: &Connection, who: &str) -> rusqlite::Result<Option<Vec<PersonRow>>> {
    let Some(ids) = ids_of_person(conn, who)? else {
        return Ok(None);
    };
    let ids = serde_json::to_string(&ids).unwrap_or_default();
    let known = KnownInstances::read(conn)?;
    let catalog = instances(conn)?;
    let mut last_active: BTreeMap<InstanceKey, Date> = BTreeMap::new();
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT t.connector, t.product_key, t.instance, t.last_active FROM usage t {CURRENT}
         WHERE t.account_id IN (SELECT value FROM json_each(?1))"
    ))?;
    let mut rows = stmt.query([&ids])?;
    while let Some(r) = rows.next()? {
        let key: String = r.get(1)?;
        let instance = known.place(r.get_ref(0)?.as_str()?, &key, r.get_ref(2)?.as_str()?);
        if let Some(day) = day_of(r.get_ref(3)?.as_str()?) {
            let latest = last_active
                .entry((key.clone(), instance.to_owned()))
                .or_insert(day);
            *latest = (*latest).max(day);
        }
    }
    let mut licences: Vec<(String, String, PersonLicence)> = Vec::new();
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT t.connector, t.account_id, t.product_key, t.instance, t.role, t.billable
         FROM licenses t {CURRENT}
         WHERE t.account_id IN (SELECT value FROM json_each(?1))"
    ))?;
    let mut rows = stmt.query([&ids])?;
    while let Some(r) = rows.next()? {
        let connector: String = r.get(0)?;
        let key: String = r.get(2)?;
        let place = (
            key.clone(),
            known
                .place(&connector, &key, r.get_ref(3)?.as_str()?)
                .to_owned(),
        );
        let instance = catalog.get(&place).map_or_else(
            || ProductInstance {
                product: key.clone(),
                instance: (!place.1.is_empty()).then(|| place.1.clone()),
                name: key.clone(),
                url: None,
                sandbox: None,
            },
            |r| r.instance.clone(),
        );
        licences.push((
            connector,
            r.get(1)?,
            PersonLicence {
                last_active: last_active.get(&place).copied(),
                instance,
                role: r.get(4)?,
                billable: r.get(5)?,
            },
        ));
    }
    let mut out = Vec::new();
    let known = known_statuses(conn, None, Some(&ids))?;
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT t.connector, t.id, t.email, t.display_name, t.status, t.kind, t.groups, t.created_at
         FROM accounts t {CURRENT} WHERE t.id IN (SELECT value FROM json_each(?1))"
    ))?;
    let mut rows = stmt.query([&ids])?;
    while let Some(r) = rows.next()? {
        let account = account_row(r, &known)?;
        let mine: Vec<PersonLicence> = licences
            .iter()
            .filter(|(c, id, _)| *c == account.connector && *id == account.id)
            .map(|(_, _, l)| l.clone())
            .collect();
        if mine.is_empty() {
            out.push(PersonRow {
                account,
                licence: None,
            });
            continue;
        }
        for licence in mine {
            out.push(PersonRow {
                account: account.clone(),
                licence: Some(licence),
            });
        }
    }
    Ok(Some(out))
}
