//! The people join: the current snapshot's accounts joined into people by
//! account id, then by lower-cased email, and the seat each person holds of
//! each product with their last use of it. Both are kept in tables of their
//! own (`people_keys`, `seats`), rebuilt whenever the current generations
//! change, so that reports are queries rather than a pass over every row.
//!
//! Joining needs every account at once (two accounts with different ids
//! are one person when they share an email), so it is done here in one
//! pass over the rows, not in SQL.

use super::{CURRENT, sqlite_at};
use crate::store::StoreError;
use rusqlite::{Connection, Transaction, TransactionBehavior, params};
use std::collections::HashMap;
use std::path::Path;
use time::Date;

/// Rebuilds the people join and the seats if the current generations
/// changed since they were last built.
pub(super) fn join_if_stale(conn: &mut Connection, path: &Path) -> Result<(), StoreError> {
    let sqlite = |e| sqlite_at(path, e);
    // A read first, so that a report never waits for a writer's lock
    // when there is nothing to rebuild.
    if !stale(conn).map_err(sqlite)? {
        return Ok(());
    }
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(sqlite)?;
    if !stale(&tx).map_err(sqlite)? {
        return Ok(());
    }
    let people = People::read(&tx).map_err(sqlite)?;
    let seats = Seats::read(&tx, &people).map_err(sqlite)?;
    write(&tx, &people, &seats).map_err(sqlite)?;
    tx.commit().map_err(sqlite)
}

/// Whether `people_source` differs from `current`.
fn stale(conn: &Connection) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT EXISTS (SELECT connector, generation FROM current
                        EXCEPT SELECT connector, generation FROM people_source)
             OR EXISTS (SELECT connector, generation FROM people_source
                        EXCEPT SELECT connector, generation FROM current)",
        [],
        |r| r.get(0),
    )
}

/// An account id of the snapshot and what the join knows of it.
struct Id {
    id: String,
    /// The first email any connector reported for it.
    email: Option<String>,
}

/// The accounts of the snapshot joined into people (union-find over the
/// distinct account ids; an email joins the ids that share it).
struct People {
    ids: Vec<Id>,
    index: HashMap<String, u32>,
    /// Each lower-cased email and the first id that had it.
    emails: HashMap<String, u32>,
    parent: Vec<u32>,
}

impl People {
    fn read(tx: &Transaction<'_>) -> rusqlite::Result<People> {
        let mut people = People {
            ids: Vec::new(),
            index: HashMap::new(),
            emails: HashMap::new(),
            parent: Vec::new(),
        };
        let mut stmt = tx.prepare(&format!("SELECT t.id, t.email FROM accounts t {CURRENT}"))?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let id = row.get_ref(0)?.as_str()?;
            let email = row.get_ref(1)?.as_str_or_null()?.filter(|e| !e.is_empty());
            let node = people.node(id);
            let Some(email) = email else { continue };
            if people.ids[node as usize].email.is_none() {
                people.ids[node as usize].email = Some(email.to_owned());
            }
            match people.emails.get(&email.to_lowercase()) {
                Some(&other) => people.union(node, other),
                None => {
                    people.emails.insert(email.to_lowercase(), node);
                }
            }
        }
        Ok(people)
    }

    /// The node of `id`, added if new.
    fn node(&mut self, id: &str) -> u32 {
        if let Some(&node) = self.index.get(id) {
            return node;
        }
        let node = self.ids.len() as u32;
        self.ids.push(Id {
            id: id.to_owned(),
            email: None,
        });
        self.index.insert(id.to_owned(), node);
        self.parent.push(node);
        node
    }

    fn root(&mut self, mut node: u32) -> u32 {
        while self.parent[node as usize] != node {
            let grandparent = self.parent[self.parent[node as usize] as usize];
            self.parent[node as usize] = grandparent;
            node = grandparent;
        }
        node
    }

    fn union(&mut self, a: u32, b: u32) {
        let (ra, rb) = (self.root(a), self.root(b));
        if ra != rb {
            self.parent[ra as usize] = rb;
        }
    }

    /// The person of account `id`, if the snapshot lists it; a person is
    /// numbered by one of its ids.
    fn person_of(&self, id: &str) -> Option<u32> {
        let mut node = *self.index.get(id)?;
        while self.parent[node as usize] != node {
            node = self.parent[node as usize];
        }
        Some(node)
    }
}

/// One person's holding of one product.
struct Seat {
    /// The id node of the account holding it: a billable one if any.
    holder: u32,
    billable: bool,
    last_active: Option<Date>,
}

/// Every person's seats, by (person, product index).
struct Seats {
    products: Vec<String>,
    seats: HashMap<(u32, u16), Seat>,
}

impl Seats {
    fn read(tx: &Transaction<'_>, people: &People) -> rusqlite::Result<Seats> {
        let mut seats = Seats {
            products: Vec::new(),
            seats: HashMap::new(),
        };
        let mut stmt = tx.prepare(&format!(
            "SELECT t.account_id, t.product_key, t.billable FROM licenses t {CURRENT}"
        ))?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let account = row.get_ref(0)?.as_str()?;
            let Some(person) = people.person_of(account) else {
                continue;
            };
            let product = seats.product(row.get_ref(1)?.as_str()?);
            let billable: bool = row.get(2)?;
            let holder = people.index[account];
            seats
                .seats
                .entry((person, product))
                .and_modify(|seat| {
                    if billable && !seat.billable {
                        seat.holder = holder;
                        seat.billable = true;
                    }
                })
                .or_insert(Seat {
                    holder,
                    billable,
                    last_active: None,
                });
        }
        let mut stmt = tx.prepare(&format!(
            "SELECT t.account_id, t.product_key, t.last_active FROM usage t {CURRENT}"
        ))?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let Some(person) = people.person_of(row.get_ref(0)?.as_str()?) else {
                continue;
            };
            let Some(product) = seats.known_product(row.get_ref(1)?.as_str()?) else {
                continue;
            };
            let Some(day) = day_of(row.get_ref(2)?.as_str()?) else {
                continue;
            };
            if let Some(seat) = seats.seats.get_mut(&(person, product))
                && seat.last_active.is_none_or(|d| day > d)
            {
                seat.last_active = Some(day);
            }
        }
        Ok(seats)
    }

    fn product(&mut self, key: &str) -> u16 {
        match self.known_product(key) {
            Some(i) => i,
            None => {
                self.products.push(key.to_owned());
                (self.products.len() - 1) as u16
            }
        }
    }

    fn known_product(&self, key: &str) -> Option<u16> {
        self.products
            .iter()
            .position(|p| p == key)
            .map(|i| i as u16)
    }
}

/// The day of an RFC 3339 timestamp or a `YYYY-MM-DD` date.
pub(super) fn day_of(text: &str) -> Option<Date> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(text.get(..10)?, &format).ok()
}

/// Replaces the derived tables with `people` and `seats`, derived from the
/// current generations.
fn write(tx: &Transaction<'_>, people: &People, seats: &Seats) -> rusqlite::Result<()> {
    tx.execute_batch(
        "DELETE FROM people_keys; DELETE FROM seats; DELETE FROM people_source;
         INSERT INTO people_source SELECT connector, generation FROM current;",
    )?;
    let mut key = tx.prepare("INSERT INTO people_keys (key, person) VALUES (?1, ?2)")?;
    let mut text = String::new();
    for (node, id) in people.ids.iter().enumerate() {
        let person = people.person_of(&id.id).unwrap_or(node as u32);
        text.clear();
        text.push_str("id:");
        text.push_str(&id.id);
        key.execute(params![text, person])?;
    }
    for (email, &node) in &people.emails {
        let person = people.person_of(&people.ids[node as usize].id);
        text.clear();
        text.push_str("email:");
        text.push_str(email);
        key.execute(params![text, person])?;
    }
    let mut seat = tx.prepare(
        "INSERT INTO seats (person, product_key, account_id, email, billable, last_active)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    for (&(person, product), s) in &seats.seats {
        let holder = &people.ids[s.holder as usize];
        seat.execute(params![
            person,
            seats.products[product as usize],
            holder.id,
            holder.email,
            s.billable,
            s.last_active.map(|d| d.to_string()),
        ])?;
    }
    Ok(())
}
