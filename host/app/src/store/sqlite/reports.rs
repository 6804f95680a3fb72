//! The report queries over the current snapshot, read from the derived
//! seats table (see [`people`](super::people)) and the data tables'
//! current generations.

use super::CURRENT;
use super::people::{day_of, ids_of_person};
use crate::store::{
    AccountFilter, AccountRow, PersonLicence, PersonRow, Prices, ProductSeats, Seat,
};
use rusqlite::{Connection, params};
use std::collections::BTreeMap;
use std::ops::ControlFlow;
use time::{Date, Duration};

/// Seats per product, with activity in the 30 and 90 days up to `today`.
pub(super) fn product_seats(conn: &Connection, today: Date) -> rusqlite::Result<Vec<ProductSeats>> {
    let mut lines: BTreeMap<String, ProductSeats> = BTreeMap::new();
    let blank = |product: &str| ProductSeats {
        product: product.to_owned(),
        name: product.to_owned(),
        seats_bought: None,
        assigned: 0,
        billable: 0,
        active_30: 0,
        active_90: 0,
        never_active: 0,
    };
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT t.key, t.name, t.seats_total FROM products t {CURRENT} ORDER BY t.rowid"
    ))?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        let key: String = row.get(0)?;
        let name: String = row.get(1)?;
        let seats: Option<u32> = row.get(2)?;
        let line = lines.entry(key.clone()).or_insert_with(|| ProductSeats {
            name,
            ..blank(&key)
        });
        line.seats_bought = line.seats_bought.max(seats);
    }
    let since = |days: i64| (today - Duration::days(days)).to_string();
    let mut stmt = conn.prepare_cached(
        "SELECT product_key, COUNT(*), COUNT(*) FILTER (WHERE billable),
                COUNT(*) FILTER (WHERE billable AND last_active >= ?1),
                COUNT(*) FILTER (WHERE billable AND last_active >= ?2),
                COUNT(*) FILTER (WHERE billable AND last_active = '')
         FROM seats GROUP BY product_key",
    )?;
    let mut rows = stmt.query(params![since(30), since(90)])?;
    while let Some(row) = rows.next()? {
        let key: String = row.get(0)?;
        let line = lines.entry(key.clone()).or_insert_with(|| blank(&key));
        line.assigned = row.get(1)?;
        line.billable = row.get(2)?;
        line.active_30 = row.get(3)?;
        line.active_90 = row.get(4)?;
        line.never_active = row.get(5)?;
    }
    Ok(lines.into_values().collect())
}

/// Hands `each` the billable seats not used since `since` (or never),
/// optionally of one product: dearest first by `prices`, then never-used
/// first, then least recently used.
///
/// The seats table is clustered by product and last use, so each product's
/// idle seats come in order from one range of it; products of one price
/// are merged, so that no sort over every seat is needed.
pub(super) fn idle_seats(
    conn: &Connection,
    since: Date,
    product: Option<&str>,
    prices: &Prices,
    each: &mut dyn FnMut(Seat) -> ControlFlow<()>,
) -> rusqlite::Result<()> {
    let mut products: Vec<String> = conn
        .prepare_cached("SELECT DISTINCT product_key FROM seats")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    products.retain(|p| product.is_none_or(|wanted| wanted == p));
    let price = |p: &str| prices.get(p).copied().unwrap_or(0.0);
    products.sort_by(|a, b| price(b).total_cmp(&price(a)).then_with(|| a.cmp(b)));
    let since = since.to_string();
    let mut start = 0;
    while start < products.len() {
        let same_price = products[start..]
            .iter()
            .take_while(|p| price(p) == price(&products[start]))
            .count();
        let group = &products[start..start + same_price];
        start += same_price;
        if merge_idle(conn, group, &since, each)?.is_break() {
            break;
        }
    }
    Ok(())
}

/// Hands `each` the idle seats of `products` (each already in order),
/// merged by last use, product and account.
fn merge_idle(
    conn: &Connection,
    products: &[String],
    since: &str,
    each: &mut dyn FnMut(Seat) -> ControlFlow<()>,
) -> rusqlite::Result<ControlFlow<()>> {
    let sql = "SELECT product_key, account_id, email, last_active FROM seats
               WHERE product_key = ?1 AND billable = 1 AND last_active < ?2
               ORDER BY last_active, account_id";
    let mut statements = Vec::with_capacity(products.len());
    for _ in products {
        statements.push(conn.prepare(sql)?);
    }
    let mut streams = Vec::with_capacity(products.len());
    for (statement, product) in statements.iter_mut().zip(products) {
        streams.push(statement.query(params![product, since])?);
    }
    let mut heads: Vec<Option<Seat>> = Vec::with_capacity(streams.len());
    for rows in &mut streams {
        heads.push(next_seat(rows)?);
    }
    loop {
        let next = heads
            .iter()
            .enumerate()
            .filter_map(|(i, head)| head.as_ref().map(|s| (i, s)))
            .min_by(|(_, a), (_, b)| {
                (a.last_active, &a.product, &a.account_id).cmp(&(
                    b.last_active,
                    &b.product,
                    &b.account_id,
                ))
            })
            .map(|(i, _)| i);
        let Some(i) = next else {
            return Ok(ControlFlow::Continue(()));
        };
        let seat = std::mem::replace(&mut heads[i], next_seat(&mut streams[i])?);
        if let Some(seat) = seat
            && each(seat).is_break()
        {
            return Ok(ControlFlow::Break(()));
        }
    }
}

fn next_seat(rows: &mut rusqlite::Rows<'_>) -> rusqlite::Result<Option<Seat>> {
    let Some(r) = rows.next()? else {
        return Ok(None);
    };
    Ok(Some(Seat {
        product: r.get(0)?,
        account_id: r.get(1)?,
        email: r.get(2)?,
        billable: true,
        last_active: day_of(r.get_ref(3)?.as_str()?),
    }))
}

/// Hands each account `filter` keeps to `each`, in stored order.
pub(super) fn each_account(
    conn: &Connection,
    filter: &AccountFilter,
    each: &mut dyn FnMut(AccountRow) -> ControlFlow<()>,
) -> rusqlite::Result<()> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT t.connector, t.id, t.email, t.display_name, t.status, t.kind
         FROM accounts t {CURRENT}
         WHERE (?1 IS NULL OR t.connector = ?1) AND (?2 IS NULL OR t.status = ?2)
           AND (?3 IS NULL OR (t.connector, t.id) IN (
                 SELECT l.connector, l.account_id FROM licenses l
                 JOIN current lc ON lc.connector = l.connector AND lc.generation = l.generation
                 WHERE l.product_key = ?3))"
    ))?;
    let needle = filter.search.as_deref().map(str::to_lowercase);
    let mut rows = stmt.query(params![filter.connector, filter.status, filter.product])?;
    while let Some(row) = rows.next()? {
        let account = account_row(row)?;
        let found = needle.as_deref().is_none_or(|n| {
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

fn account_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<AccountRow> {
    Ok(AccountRow {
        connector: r.get(0)?,
        id: r.get(1)?,
        email: r.get(2)?,
        display_name: r.get(3)?,
        status: r.get(4)?,
        kind: r.get(5)?,
    })
}

/// Every account of the person with this email or account id, each with
/// its licences and the person's last use of each product.
pub(super) fn person(conn: &Connection, who: &str) -> rusqlite::Result<Option<Vec<PersonRow>>> {
    let Some(ids) = ids_of_person(conn, who)? else {
        return Ok(None);
    };
    let ids = serde_json::to_string(&ids).unwrap_or_default();
    let mut last_active: BTreeMap<String, Date> = BTreeMap::new();
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT t.product_key, t.last_active FROM usage t {CURRENT}
         WHERE t.account_id IN (SELECT value FROM json_each(?1))"
    ))?;
    let mut rows = stmt.query([&ids])?;
    while let Some(r) = rows.next()? {
        if let Some(day) = day_of(r.get_ref(1)?.as_str()?) {
            let latest = last_active.entry(r.get(0)?).or_insert(day);
            *latest = (*latest).max(day);
        }
    }
    let mut licences: Vec<(String, String, PersonLicence)> = Vec::new();
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT t.connector, t.account_id, t.product_key, t.role, t.billable FROM licenses t {CURRENT}
         WHERE t.account_id IN (SELECT value FROM json_each(?1))"
    ))?;
    let mut rows = stmt.query([&ids])?;
    while let Some(r) = rows.next()? {
        let product: String = r.get(2)?;
        licences.push((
            r.get(0)?,
            r.get(1)?,
            PersonLicence {
                last_active: last_active.get(&product).copied(),
                product,
                role: r.get(3)?,
                billable: r.get(4)?,
            },
        ));
    }
    let mut out = Vec::new();
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT t.connector, t.id, t.email, t.display_name, t.status, t.kind
         FROM accounts t {CURRENT} WHERE t.id IN (SELECT value FROM json_each(?1))"
    ))?;
    let mut rows = stmt.query([&ids])?;
    while let Some(r) = rows.next()? {
        let account = account_row(r)?;
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
