//! Reports over the current snapshot: accounts joined into people, licence
//! and utilisation per product, reclaim candidates, one person across
//! every product.
//!
//! Accounts of every connector are joined into people by Atlassian account
//! id, then by lower-cased email. Usage (from any connector, typically the
//! organisation admin connector) applies to every licence of the same
//! person and product, whichever connector reported the licence.

use crate::store::{Store, StoreError};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use time::{Date, Duration};

/// One account row of the current snapshot.
#[derive(Debug, Clone, PartialEq)]
pub struct AccountRow {
    /// The connector instance that reported it.
    pub connector: String,
    /// The upstream id (the Atlassian account id for Atlassian products).
    pub id: String,
    /// Email, when known.
    pub email: Option<String>,
    /// Name.
    pub display_name: Option<String>,
    /// `active`, `suspended`, `deactivated`, `invited`, `unknown`.
    pub status: String,
    /// `human`, `app`, `customer`, `service`, `unknown`.
    pub kind: String,
}

/// One licence row of the current snapshot.
#[derive(Debug, Clone, PartialEq)]
pub struct LicenseRow {
    /// The connector instance.
    pub connector: String,
    /// The account holding it.
    pub account_id: String,
    /// The product.
    pub product_key: String,
    /// The role.
    pub role: Option<String>,
    /// Whether it takes a paid seat.
    pub billable: bool,
}

/// One product row of the current snapshot.
#[derive(Debug, Clone, PartialEq)]
pub struct ProductRow {
    /// The connector instance.
    pub connector: String,
    /// The product key.
    pub key: String,
    /// Its name.
    pub name: String,
    /// Seats bought.
    pub seats_total: Option<u32>,
    /// Seats used, as the upstream counts them.
    pub seats_used: Option<u32>,
}

/// Everything current in the store, ready to report on.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// Accounts.
    pub accounts: Vec<AccountRow>,
    /// Licences.
    pub licenses: Vec<LicenseRow>,
    /// Products.
    pub products: Vec<ProductRow>,
    /// Last activity by (account id, product key): the latest any connector
    /// reported, as its date.
    pub last_active: HashMap<(String, String), Date>,
}

impl Snapshot {
    /// Reads the current generation of every connector.
    pub fn load(store: &Store) -> Result<Snapshot, StoreError> {
        let conn = store.conn();
        let sqlite = |source| StoreError::Sqlite {
            path: store.path().to_owned(),
            source,
        };
        let current = "JOIN current c ON c.connector = t.connector AND c.generation = t.generation";
        let mut snapshot = Snapshot::default();
        let mut stmt = conn
            .prepare(&format!(
                "SELECT t.connector, t.id, t.email, t.display_name, t.status, t.kind FROM accounts t {current}"
            ))
            .map_err(sqlite)?;
        let rows = stmt
            .query_map([], |r| {
                Ok(AccountRow {
                    connector: r.get(0)?,
                    id: r.get(1)?,
                    email: r.get(2)?,
                    display_name: r.get(3)?,
                    status: r.get(4)?,
                    kind: r.get(5)?,
                })
            })
            .map_err(sqlite)?;
        snapshot.accounts = rows.collect::<Result<_, _>>().map_err(sqlite)?;
        let mut stmt = conn
            .prepare(&format!(
                "SELECT t.connector, t.account_id, t.product_key, t.role, t.billable FROM licenses t {current}"
            ))
            .map_err(sqlite)?;
        let rows = stmt
            .query_map([], |r| {
                Ok(LicenseRow {
                    connector: r.get(0)?,
                    account_id: r.get(1)?,
                    product_key: r.get(2)?,
                    role: r.get(3)?,
                    billable: r.get(4)?,
                })
            })
            .map_err(sqlite)?;
        snapshot.licenses = rows.collect::<Result<_, _>>().map_err(sqlite)?;
        let mut stmt = conn
            .prepare(&format!(
                "SELECT t.connector, t.key, t.name, t.seats_total, t.seats_used FROM products t {current}"
            ))
            .map_err(sqlite)?;
        let rows = stmt
            .query_map([], |r| {
                Ok(ProductRow {
                    connector: r.get(0)?,
                    key: r.get(1)?,
                    name: r.get(2)?,
                    seats_total: r.get(3)?,
                    seats_used: r.get(4)?,
                })
            })
            .map_err(sqlite)?;
        snapshot.products = rows.collect::<Result<_, _>>().map_err(sqlite)?;
        let mut stmt = conn
            .prepare(&format!(
                "SELECT t.account_id, t.product_key, t.last_active FROM usage t {current}"
            ))
            .map_err(sqlite)?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })
            .map_err(sqlite)?;
        for row in rows {
            let (account, product, text) = row.map_err(sqlite)?;
            let Some(day) = day_of(&text) else { continue };
            let latest = snapshot
                .last_active
                .entry((account, product))
                .or_insert(day);
            if day > *latest {
                *latest = day;
            }
        }
        Ok(snapshot)
    }

    /// Joins the accounts into people.
    pub fn people(&self) -> People {
        People::join(&self.accounts)
    }
}

/// The day of an RFC 3339 timestamp or a `YYYY-MM-DD` date.
fn day_of(text: &str) -> Option<Date> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(text.get(..10)?, &format).ok()
}

/// Accounts joined into people.
#[derive(Debug, Clone, Default)]
pub struct People {
    /// Person index of each account (connector, id).
    of: HashMap<(String, String), usize>,
    /// Person index by account id alone (any connector).
    by_id: HashMap<String, usize>,
    /// The accounts of each person, as indexes into the snapshot.
    members: Vec<Vec<usize>>,
}

impl People {
    /// Joins by account id, then by lower-cased email (union-find).
    pub fn join(accounts: &[AccountRow]) -> People {
        let mut parent: Vec<usize> = (0..accounts.len()).collect();
        fn root(parent: &mut [usize], mut i: usize) -> usize {
            while parent[i] != i {
                parent[i] = parent[parent[i]];
                i = parent[i];
            }
            i
        }
        let mut first_by_key: HashMap<String, usize> = HashMap::new();
        for (i, a) in accounts.iter().enumerate() {
            let keys = std::iter::once(format!("id:{}", a.id)).chain(
                a.email
                    .iter()
                    .filter(|e| !e.is_empty())
                    .map(|e| format!("email:{}", e.to_lowercase())),
            );
            for key in keys {
                match first_by_key.get(&key) {
                    Some(&j) => {
                        let (ri, rj) = (root(&mut parent, i), root(&mut parent, j));
                        parent[ri] = rj;
                    }
                    None => {
                        first_by_key.insert(key, i);
                    }
                }
            }
        }
        let mut index_of_root: HashMap<usize, usize> = HashMap::new();
        let mut people = People::default();
        for (i, a) in accounts.iter().enumerate() {
            let r = root(&mut parent, i);
            let p = *index_of_root.entry(r).or_insert_with(|| {
                people.members.push(Vec::new());
                people.members.len() - 1
            });
            people.members[p].push(i);
            people.of.insert((a.connector.clone(), a.id.clone()), p);
            people.by_id.insert(a.id.clone(), p);
        }
        people
    }

    /// The person of account `id` as reported by `connector` (or by any
    /// connector, if that one did not list it).
    pub fn person_of(&self, connector: &str, id: &str) -> Option<usize> {
        self.of
            .get(&(connector.to_owned(), id.to_owned()))
            .or_else(|| self.by_id.get(id))
            .copied()
    }

    /// How many people.
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// Whether nobody is known.
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// The accounts (snapshot indexes) of person `p`.
    pub fn accounts_of(&self, p: usize) -> &[usize] {
        &self.members[p]
    }
}

/// One product's line of the licence report.
#[derive(Debug, Clone, PartialEq)]
pub struct ProductLine {
    /// The product key.
    pub product: String,
    /// The product's name.
    pub name: String,
    /// Seats bought, when the upstream says.
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
    /// `active_30 / seats_bought`: how much of what is paid for is used.
    pub utilisation: Option<f64>,
    /// Monthly cost of the seats bought (or, unknown, of the billable
    /// seats) where a seat price is configured.
    pub monthly_cost: Option<f64>,
}

/// A billable (person, product) and when the person last used it.
#[derive(Debug, Clone, PartialEq)]
pub struct Holding {
    /// The person (index into [`People`]).
    pub person: usize,
    /// An account id of the person (the one holding the licence).
    pub account_id: String,
    /// The product.
    pub product: String,
    /// Last activity in the product, if ever.
    pub last_active: Option<Date>,
}

/// The billable holdings of the snapshot, one per person and product.
pub fn billable_holdings(snapshot: &Snapshot, people: &People) -> Vec<Holding> {
    let mut seen: BTreeMap<(usize, String), Holding> = BTreeMap::new();
    for l in snapshot.licenses.iter().filter(|l| l.billable) {
        let Some(p) = people.person_of(&l.connector, &l.account_id) else {
            continue;
        };
        seen.entry((p, l.product_key.clone()))
            .or_insert_with(|| Holding {
                person: p,
                account_id: l.account_id.clone(),
                product: l.product_key.clone(),
                last_active: None,
            });
    }
    let mut holdings: Vec<Holding> = seen.into_values().collect();
    for h in &mut holdings {
        h.last_active = people
            .accounts_of(h.person)
            .iter()
            .filter_map(|&a| {
                snapshot
                    .last_active
                    .get(&(snapshot.accounts[a].id.clone(), h.product.clone()))
                    .copied()
            })
            .max();
    }
    holdings
}

/// The licence report: one line per product, as of `today`.
pub fn licences(
    snapshot: &Snapshot,
    prices: &BTreeMap<String, f64>,
    today: Date,
) -> Vec<ProductLine> {
    let people = snapshot.people();
    let mut assigned: BTreeMap<&str, BTreeSet<usize>> = BTreeMap::new();
    for l in &snapshot.licenses {
        if let Some(p) = people.person_of(&l.connector, &l.account_id) {
            assigned.entry(&l.product_key).or_default().insert(p);
        }
    }
    let holdings = billable_holdings(snapshot, &people);
    let mut keys: BTreeSet<&str> = assigned.keys().copied().collect();
    keys.extend(snapshot.products.iter().map(|p| p.key.as_str()));
    keys.into_iter()
        .map(|key| {
            let rows: Vec<&ProductRow> =
                snapshot.products.iter().filter(|p| p.key == key).collect();
            let seats_bought = rows.iter().filter_map(|p| p.seats_total).max();
            let name = rows
                .first()
                .map_or_else(|| key.to_owned(), |p| p.name.clone());
            let mine: Vec<&Holding> = holdings.iter().filter(|h| h.product == key).collect();
            let active_within = |days: i64| {
                mine.iter()
                    .filter(|h| {
                        h.last_active
                            .is_some_and(|d| d >= today - Duration::days(days))
                    })
                    .count() as u32
            };
            let billable = mine.len() as u32;
            let active_30 = active_within(30);
            let price = prices.get(key).copied();
            ProductLine {
                product: key.to_owned(),
                name,
                seats_bought,
                assigned: assigned.get(key).map_or(0, |s| s.len() as u32),
                billable,
                active_30,
                active_90: active_within(90),
                never_active: mine.iter().filter(|h| h.last_active.is_none()).count() as u32,
                utilisation: seats_bought
                    .filter(|&s| s > 0)
                    .map(|s| f64::from(active_30) / f64::from(s)),
                monthly_cost: price.map(|p| p * f64::from(seats_bought.unwrap_or(billable))),
            }
        })
        .collect()
}

/// Reclaim candidates: billable holdings not active for `days` days (or
/// never), optionally of one product, least recently active first.
pub fn inactive(
    snapshot: &Snapshot,
    days: i64,
    product: Option<&str>,
    today: Date,
) -> Vec<Holding> {
    let people = snapshot.people();
    let cutoff = today - Duration::days(days);
    let mut out: Vec<Holding> = billable_holdings(snapshot, &people)
        .into_iter()
        .filter(|h| product.is_none_or(|p| h.product == p))
        .filter(|h| h.last_active.is_none_or(|d| d < cutoff))
        .collect();
    out.sort_by(|a, b| {
        a.last_active
            .cmp(&b.last_active)
            .then_with(|| a.product.cmp(&b.product))
            .then_with(|| a.account_id.cmp(&b.account_id))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn account(connector: &str, id: &str, email: Option<&str>) -> AccountRow {
        AccountRow {
            connector: connector.into(),
            id: id.into(),
            email: email.map(Into::into),
            display_name: None,
            status: "active".into(),
            kind: "human".into(),
        }
    }

    fn licence(connector: &str, id: &str, product: &str, billable: bool) -> LicenseRow {
        LicenseRow {
            connector: connector.into(),
            account_id: id.into(),
            product_key: product.into(),
            role: None,
            billable,
        }
    }

    #[test]
    fn accounts_join_by_id_then_by_email() {
        let accounts = vec![
            account("admin", "a1", Some("Ana@Acme.example")),
            account("jira", "a1", None),
            account("trello", "t9", Some("ana@acme.example")),
            account("jira", "b2", Some("bo@acme.example")),
        ];
        let people = People::join(&accounts);
        assert_eq!(people.len(), 2);
        let ana = people.person_of("admin", "a1").unwrap();
        assert_eq!(people.person_of("jira", "a1"), Some(ana));
        assert_eq!(people.person_of("trello", "t9"), Some(ana));
        assert_ne!(people.person_of("jira", "b2"), Some(ana));
    }

    #[test]
    fn licences_count_people_once_and_apply_usage_from_any_connector() {
        let today = date!(2026 - 11 - 24);
        let snapshot = Snapshot {
            accounts: vec![
                account("admin", "a", Some("a@x")),
                account("jira", "a", Some("a@x")),
                account("admin", "b", Some("b@x")),
                account("admin", "c", Some("c@x")),
            ],
            licenses: vec![
                licence("admin", "a", "jira-software", true),
                licence("jira", "a", "jira-software", true),
                licence("admin", "b", "jira-software", true),
                licence("admin", "c", "jira-software", false),
            ],
            products: vec![ProductRow {
                connector: "jira".into(),
                key: "jira-software".into(),
                name: "Jira Software".into(),
                seats_total: Some(4),
                seats_used: Some(2),
            }],
            last_active: HashMap::from([
                (("a".into(), "jira-software".into()), date!(2026 - 11 - 20)),
                (("b".into(), "jira-software".into()), date!(2026 - 07 - 01)),
            ]),
        };
        let prices = BTreeMap::from([("jira-software".to_owned(), 10.0)]);
        let lines = licences(&snapshot, &prices, today);
        assert_eq!(
            lines,
            [ProductLine {
                product: "jira-software".into(),
                name: "Jira Software".into(),
                seats_bought: Some(4),
                assigned: 3,
                billable: 2,
                active_30: 1,
                active_90: 1,
                never_active: 0,
                utilisation: Some(0.25),
                monthly_cost: Some(40.0),
            }]
        );
        let idle = inactive(&snapshot, 30, None, today);
        assert_eq!(idle.len(), 1);
        assert_eq!(idle[0].account_id, "b");
        assert_eq!(idle[0].last_active, Some(date!(2026 - 07 - 01)));
        assert!(inactive(&snapshot, 30, Some("confluence"), today).is_empty());
    }
}
