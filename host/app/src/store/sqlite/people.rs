//! The people join: the current snapshot's accounts joined into people by
//! account id, then by lower-cased email, and the seat each person holds of
//! each product with their last use of it. The seats are kept in a table
//! of their own, rebuilt whenever the current generations change, so that
//! the reports are queries rather than a pass over every row.
//!
//! Joining needs every account at once (two accounts with different ids
//! are one person when they share an email), so it is done here in one
//! pass over the rows, not in SQL.

use super::{CURRENT, sqlite_at};
use crate::store::StoreError;
use rusqlite::{Connection, Transaction, TransactionBehavior};
use rustc_hash::FxHashMap as HashMap;
use std::path::Path;
use time::Date;

/// Rebuilds the seats if the current generations changed since they were
/// last built.
pub(super) fn join_if_stale(conn: &mut Connection, path: &Path) -> Result<(), StoreError> {
    // A read first, so that a report never waits for a writer's lock
    // when there is nothing to rebuild.
    if !stale(conn).map_err(|e| sqlite_at(path, e))? {
        return Ok(());
    }
    rebuild(conn, path, false)
}

/// Rebuilds the seats.
pub(super) fn join(conn: &mut Connection, path: &Path) -> Result<(), StoreError> {
    rebuild(conn, path, true)
}

/// Rebuilds under the write lock, unless (without `always`) another
/// connection did it meanwhile.
fn rebuild(conn: &mut Connection, path: &Path, always: bool) -> Result<(), StoreError> {
    let sqlite = |e| sqlite_at(path, e);
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(sqlite)?;
    if !always && !stale(&tx).map_err(sqlite)? {
        return Ok(());
    }
    let started = std::time::Instant::now();
    let mut people = People::read(&tx).map_err(sqlite)?;
    people.flatten();
    let read_people = started.elapsed();
    let seats = Seats::read(&tx, &people).map_err(sqlite)?;
    let read_seats = started.elapsed();
    write(&tx, &people, &seats).map_err(sqlite)?;
    let written = started.elapsed();
    tx.commit().map_err(sqlite)?;
    tracing::debug!(
        "joined {} account ids into people and counted {} seats in {:.3} s \
         (accounts {:.3} s, licences and usage {:.3} s, writing {:.3} s, commit {:.3} s)",
        people.ids.len(),
        seats.seats.len(),
        started.elapsed().as_secs_f64(),
        read_people.as_secs_f64(),
        (read_seats - read_people).as_secs_f64(),
        (written - read_seats).as_secs_f64(),
        (started.elapsed() - written).as_secs_f64(),
    );
    Ok(())
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

/// The account ids of the person with this account id or email (any case),
/// as the current snapshot joins them; none when no account has it.
pub(super) fn ids_of_person(conn: &Connection, who: &str) -> rusqlite::Result<Option<Vec<String>>> {
    let mut people = People::read(conn)?;
    let node = match people.index.get(who) {
        Some(&node) => node,
        None => match people.emails.get(lower(who).as_ref()) {
            Some(&node) => node,
            None => return Ok(None),
        },
    };
    people.flatten();
    let person = people.parent[node as usize];
    let ids = people
        .ids
        .iter()
        .zip(&people.parent)
        .filter(|(_, root)| **root == person)
        .map(|(id, _)| id.id.clone())
        .collect();
    Ok(Some(ids))
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
    fn read(conn: &Connection) -> rusqlite::Result<People> {
        let mut people = People {
            ids: Vec::new(),
            index: HashMap::default(),
            emails: HashMap::default(),
            parent: Vec::new(),
        };
        let mut stmt = conn.prepare(&format!("SELECT t.id, t.email FROM accounts t {CURRENT}"))?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let id = row.get_ref(0)?.as_str()?;
            let email = row.get_ref(1)?.as_str_or_null()?.filter(|e| !e.is_empty());
            let node = people.node(id);
            let Some(email) = email else { continue };
            if people.ids[node as usize].email.is_none() {
                people.ids[node as usize].email = Some(email.to_owned());
            }
            match people.emails.get(lower(email).as_ref()) {
                Some(&other) => people.union(node, other),
                None => {
                    people.emails.insert(lower(email).into_owned(), node);
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

    /// The root of `node`'s tree: its person.
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

    /// Points every node straight at its root, so that [`People::person`]
    /// is one step.
    fn flatten(&mut self) {
        for node in 0..self.parent.len() as u32 {
            let root = self.root(node);
            self.parent[node as usize] = root;
        }
    }

    /// The node and person of account `id`, if the snapshot lists it (after
    /// [`People::flatten`]); a person is numbered by one of its nodes.
    fn person(&self, id: &str) -> Option<(u32, u32)> {
        let node = *self.index.get(id)?;
        Some((node, self.parent[node as usize]))
    }
}

/// `text` in lower case, without a copy when it already is.
fn lower(text: &str) -> std::borrow::Cow<'_, str> {
    if text
        .bytes()
        .all(|b| b.is_ascii() && !b.is_ascii_uppercase())
    {
        std::borrow::Cow::Borrowed(text)
    } else {
        std::borrow::Cow::Owned(text.to_lowercase())
    }
}

/// One person's holding of one product instance.
struct Seat {
    /// The node of the account holding it: a billable one if any.
    holder: u32,
    billable: bool,
    last_active: Option<Date>,
}

/// A product instance: key and instance (`""` for unnamed).
type ProductInstance = (String, String);

/// Every person's seats, by (person, product instance index).
struct Seats {
    products: Vec<ProductInstance>,
    seats: HashMap<(u32, u16), Seat>,
}

/// The instances of each product the snapshot's products name, by
/// connector and over all, to place licences and usage that name none.
pub(super) struct KnownInstances {
    by_connector: HashMap<(String, String), Vec<String>>,
    by_key: HashMap<String, Vec<String>>,
}

impl KnownInstances {
    pub(super) fn read(conn: &Connection) -> rusqlite::Result<KnownInstances> {
        let mut known = KnownInstances {
            by_connector: HashMap::default(),
            by_key: HashMap::default(),
        };
        let mut stmt = conn.prepare(&format!(
            "SELECT t.connector, t.key, t.instance FROM products t {CURRENT} WHERE t.instance <> ''"
        ))?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let (connector, key, instance): (String, String, String) =
                (row.get(0)?, row.get(1)?, row.get(2)?);
            let all = known.by_key.entry(key.clone()).or_default();
            if !all.contains(&instance) {
                all.push(instance.clone());
            }
            known
                .by_connector
                .entry((connector, key))
                .or_default()
                .push(instance);
        }
        Ok(known)
    }

    /// The instance a record of `connector` on product `key` is on: the one
    /// it names, or for none its connector's one instance of the product,
    /// else the snapshot's one instance of it, else none (`""`).
    pub(super) fn place<'a>(&'a self, connector: &str, key: &str, instance: &'a str) -> &'a str {
        if !instance.is_empty() {
            return instance;
        }
        let only = |list: Option<&'a Vec<String>>| match list.map(Vec::as_slice) {
            Some([one]) => Some(one.as_str()),
            _ => None,
        };
        only(
            self.by_connector
                .get(&(connector.to_owned(), key.to_owned())),
        )
        .or_else(|| only(self.by_key.get(key)))
        .unwrap_or("")
    }
}

impl Seats {
    /// Reads the licences and usage of the snapshot; `people` flattened.
    fn read(tx: &Transaction<'_>, people: &People) -> rusqlite::Result<Seats> {
        let known = KnownInstances::read(tx)?;
        let mut seats = Seats {
            products: Vec::new(),
            seats: HashMap::default(),
        };
        let mut stmt = tx.prepare(&format!(
            "SELECT t.connector, t.account_id, t.product_key, t.instance, t.billable
             FROM licenses t {CURRENT}"
        ))?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let Some((holder, person)) = people.person(row.get_ref(1)?.as_str()?) else {
                continue;
            };
            let key = row.get_ref(2)?.as_str()?;
            let instance = known.place(row.get_ref(0)?.as_str()?, key, row.get_ref(3)?.as_str()?);
            let product = seats.product(key, instance);
            let billable: bool = row.get(4)?;
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
            "SELECT t.connector, t.account_id, t.product_key, t.instance, t.last_active
             FROM usage t {CURRENT}"
        ))?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let Some((_, person)) = people.person(row.get_ref(1)?.as_str()?) else {
                continue;
            };
            let key = row.get_ref(2)?.as_str()?;
            let instance = known.place(row.get_ref(0)?.as_str()?, key, row.get_ref(3)?.as_str()?);
            let Some(product) = seats.known_product(key, instance) else {
                continue;
            };
            let Some(day) = day_of(row.get_ref(4)?.as_str()?) else {
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

    fn product(&mut self, key: &str, instance: &str) -> u16 {
        match self.known_product(key, instance) {
            Some(i) => i,
            None => {
                self.products.push((key.to_owned(), instance.to_owned()));
                (self.products.len() - 1) as u16
            }
        }
    }

    fn known_product(&self, key: &str, instance: &str) -> Option<u16> {
        self.products
            .iter()
            .position(|(k, i)| k == key && i == instance)
            .map(|i| i as u16)
    }
}

/// The day of an RFC 3339 timestamp or a `YYYY-MM-DD` date.
pub(super) fn day_of(text: &str) -> Option<Date> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(text.get(..10)?, &format).ok()
}

/// Replaces the seats with those derived from the current generations,
/// written in key order.
fn write(tx: &Transaction<'_>, people: &People, seats: &Seats) -> rusqlite::Result<()> {
    tx.execute_batch(
        "DELETE FROM seats; DELETE FROM seat_products; DELETE FROM people_source;
         INSERT INTO people_source SELECT connector, generation FROM current;",
    )?;
    // Slots in key and instance order; rows in key order: slot, then
    // billable, then never used before the least recently used, then
    // account.
    let mut by_name: Vec<u16> = (0..seats.products.len() as u16).collect();
    by_name.sort_by_key(|&p| &seats.products[p as usize]);
    let mut rank = vec![0u16; by_name.len()];
    let mut slot =
        tx.prepare("INSERT INTO seat_products (slot, product_key, instance) VALUES (?1, ?2, ?3)")?;
    for (r, &p) in by_name.iter().enumerate() {
        rank[p as usize] = r as u16;
        let (key, instance) = &seats.products[p as usize];
        slot.execute(rusqlite::params![r as i64, key, instance])?;
    }
    let mut rows: Vec<(u16, &Seat, &Id, u32)> = seats
        .seats
        .iter()
        .map(|(&(person, product), seat)| {
            (product, seat, &people.ids[seat.holder as usize], person)
        })
        .collect();
    rows.sort_unstable_by(|a, b| {
        (
            rank[a.0 as usize],
            a.1.billable,
            a.1.last_active,
            &a.2.id,
            a.3,
        )
            .cmp(&(
                rank[b.0 as usize],
                b.1.billable,
                b.1.last_active,
                &b.2.id,
                b.3,
            ))
    });
    // Many rows per statement: the per-statement cost is most of a row's.
    let values = |n: usize| {
        let one = "(?, ?, ?, ?, ?, ?)";
        format!(
            "INSERT INTO seats (slot, billable, last_active, account_id, person, email) VALUES {}",
            vec![one; n].join(", ")
        )
    };
    let mut full = tx.prepare(&values(ROWS_PER_INSERT))?;
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        let mut partial;
        let insert = if chunk.len() == ROWS_PER_INSERT {
            &mut full
        } else {
            partial = tx.prepare(&values(chunk.len()))?;
            &mut partial
        };
        let days: Vec<String> = chunk
            .iter()
            .map(|(_, seat, ..)| seat.last_active.map(|d| d.to_string()).unwrap_or_default())
            .collect();
        let mut params: Vec<&dyn rusqlite::ToSql> = Vec::with_capacity(chunk.len() * 6);
        for ((product, seat, holder, person), day) in chunk.iter().zip(&days) {
            params.extend([
                &rank[*product as usize] as &dyn rusqlite::ToSql,
                &seat.billable,
                day,
                &holder.id,
                person,
                &holder.email,
            ]);
        }
        insert.execute(params.as_slice())?;
    }
    Ok(())
}

/// Seats written per `INSERT` statement.
const ROWS_PER_INSERT: usize = 100;
