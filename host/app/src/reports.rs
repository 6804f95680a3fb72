//! The operator's reports over the current snapshot: the licence report
//! (seats, activity, utilisation, cost per product instance, with a total
//! per product that has several) and reclaim candidates. The store counts;
//! this module adds what the operator's `roster.toml` says (seat prices)
//! and the order an operator wants.

use crate::store::{ProductInstance, ProductSeats, Seat, Store, StoreError};
use std::collections::BTreeMap;
use std::ops::ControlFlow;
use time::{Date, Duration};

/// Monthly seat prices, by product key (`jira-software`: every instance of
/// it) or by product key and instance (`jira-software@<instance>`, where
/// the instance is its id or the host of its address, such as
/// `jira-software@acme-sandbox.atlassian.net`).
pub type Prices = BTreeMap<String, f64>;

/// The prices that apply to none of `instances`: a product key or an
/// instance that the snapshot does not have (a typo, most likely).
pub fn unused_prices<'p>(prices: &'p Prices, instances: &[&ProductInstance]) -> Vec<&'p str> {
    prices
        .keys()
        .filter(|key| {
            !instances.iter().any(|i| {
                let (product, at) = key.split_once('@').unwrap_or((key.as_str(), ""));
                product == i.product
                    && (at.is_empty()
                        || i.instance.as_deref() == Some(at)
                        || host_of(i).as_deref() == Some(at))
            })
        })
        .map(String::as_str)
        .collect()
}

/// The host of an instance's address (`acme.atlassian.net`).
pub fn host_of(instance: &ProductInstance) -> Option<String> {
    let url = url::Url::parse(instance.url.as_deref()?).ok()?;
    url.host_str().map(str::to_owned)
}

/// The monthly price of one seat of `instance`: its own price, else for a
/// sandbox nothing (a sandbox's seats are not billed on their own), else
/// its product's; none when no price applies.
pub fn seat_price(prices: &Prices, instance: &ProductInstance) -> Option<f64> {
    let key = &instance.product;
    let host = host_of(instance);
    let own = [instance.instance.as_deref(), host.as_deref()]
        .into_iter()
        .flatten()
        .find_map(|at| prices.get(&format!("{key}@{at}")).copied());
    match own {
        Some(price) => Some(price),
        None if instance.is_sandbox() => prices.contains_key(key).then_some(0.0),
        None => prices.get(key).copied(),
    }
}

/// One line of the licence report: a product instance's seats, or the
/// total of a product's instances, and what they cost and how much of them
/// is used.
#[derive(Debug, Clone, PartialEq)]
pub struct ProductLine {
    /// Seats bought, assigned, billable and active, counted per person.
    pub seats: ProductSeats,
    /// Whether this line adds up the lines of the product's instances
    /// before it, sandboxes apart (a person on two sites counts on each).
    pub is_total: bool,
    /// `active_30 / seats_bought`: how much of what is paid for is used.
    pub utilisation: Option<f64>,
    /// Monthly cost of the seats bought (or, unknown, of the billable
    /// seats) where a seat price is configured.
    pub monthly_cost: Option<f64>,
}

impl ProductLine {
    fn new(seats: ProductSeats, is_total: bool, monthly_cost: Option<f64>) -> Self {
        ProductLine {
            utilisation: seats
                .seats_bought
                .filter(|&n| n > 0)
                .map(|n| f64::from(seats.active_30) / f64::from(n)),
            seats,
            is_total,
            monthly_cost,
        }
    }
}

/// The licence report, as of `today`: one line per product instance, and
/// after the instances of a product that has several, the total of those
/// that are not sandboxes (whose seats are neither bought nor billed on
/// their own).
pub fn licences(
    store: &mut dyn Store,
    prices: &Prices,
    today: Date,
) -> Result<Vec<ProductLine>, StoreError> {
    let seats = store.product_seats(today)?;
    let mut lines: Vec<ProductLine> = Vec::with_capacity(seats.len());
    let mut start = 0;
    while start < seats.len() {
        let key = &seats[start].instance.product;
        let count = seats[start..]
            .iter()
            .take_while(|s| s.instance.product == *key)
            .count();
        let group = &seats[start..start + count];
        let cost = |s: &ProductSeats| {
            seat_price(prices, &s.instance)
                .map(|p| p * f64::from(s.seats_bought.unwrap_or(s.billable)))
        };
        for s in group {
            lines.push(ProductLine::new(s.clone(), false, cost(s)));
        }
        let counted: Vec<&ProductSeats> =
            group.iter().filter(|s| !s.instance.is_sandbox()).collect();
        if count > 1 && !counted.is_empty() {
            let costs: Vec<f64> = counted.iter().filter_map(|s| cost(s)).collect();
            lines.push(ProductLine::new(
                total(&counted),
                true,
                (!costs.is_empty()).then(|| costs.iter().sum()),
            ));
        }
        start += count;
    }
    Ok(lines)
}

/// The sum of one product's instances.
fn total(group: &[&ProductSeats]) -> ProductSeats {
    let sum = |f: fn(&ProductSeats) -> u32| group.iter().map(|s| f(s)).sum();
    let bought: Vec<u32> = group.iter().filter_map(|s| s.seats_bought).collect();
    ProductSeats {
        instance: ProductInstance {
            product: group[0].instance.product.clone(),
            instance: None,
            name: match group.len() {
                1 => "total (1 instance, sandboxes apart)".to_owned(),
                n => format!("total ({n} instances, sandboxes apart)"),
            },
            url: None,
            sandbox: None,
        },
        seats_bought: (!bought.is_empty()).then(|| bought.iter().sum()),
        assigned: sum(|s| s.assigned),
        billable: sum(|s| s.billable),
        active_30: sum(|s| s.active_30),
        active_90: sum(|s| s.active_90),
        never_active: sum(|s| s.never_active),
        holders_unknown: group.iter().any(|s| s.holders_unknown),
        not_visible: group
            .iter()
            .filter_map(|s| s.not_visible)
            .reduce(|a, b| a + b),
    }
}

/// Hands `each` the reclaim candidates, until it breaks: billable seats not
/// used for `days` days (or never), optionally of one product; the dearest
/// seats first, within a price the longest idle first.
pub fn reclaim_candidates(
    store: &mut dyn Store,
    days: i64,
    product: Option<&str>,
    prices: &Prices,
    today: Date,
    each: &mut dyn FnMut(Seat) -> ControlFlow<()>,
) -> Result<(), StoreError> {
    let price = |instance: &ProductInstance| seat_price(prices, instance).unwrap_or(0.0);
    store.idle_seats(today - Duration::days(days), product, &price, each)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn instance(id: Option<&str>, url: Option<&str>, sandbox: Option<bool>) -> ProductInstance {
        ProductInstance {
            product: "jira-software".into(),
            instance: id.map(Into::into),
            name: "Jira Software".into(),
            url: url.map(Into::into),
            sandbox,
        }
    }

    #[test]
    fn a_seat_costs_its_instance_price_else_nothing_in_a_sandbox_else_its_products() {
        let prices = Prices::from([
            ("jira-software".to_owned(), 8.6),
            (
                "jira-software@ari:cloud:jira-software::site/eu".to_owned(),
                9.1,
            ),
            ("jira-software@acme-test.atlassian.net".to_owned(), 1.0),
        ]);
        let main = instance(
            Some("ari:cloud:jira-software::site/main"),
            None,
            Some(false),
        );
        let eu = instance(Some("ari:cloud:jira-software::site/eu"), None, None);
        let by_host = instance(
            Some("x"),
            Some("https://acme-test.atlassian.net"),
            Some(true),
        );
        let sandbox = instance(
            Some("y"),
            Some("https://acme-sandbox.atlassian.net"),
            Some(true),
        );
        assert_eq!(seat_price(&prices, &main), Some(8.6));
        assert_eq!(seat_price(&prices, &eu), Some(9.1));
        assert_eq!(seat_price(&prices, &by_host), Some(1.0));
        assert_eq!(seat_price(&prices, &sandbox), Some(0.0));
        assert_eq!(seat_price(&Prices::new(), &main), None);
        assert_eq!(seat_price(&Prices::new(), &sandbox), None);
        let typo = Prices::from([
            ("jira-software@acme-test.atlassian.net".to_owned(), 1.0),
            ("jira-sofware".to_owned(), 8.6),
            ("jira-software@nowhere".to_owned(), 1.0),
        ]);
        assert_eq!(
            unused_prices(&typo, &[&main, &by_host]),
            ["jira-software@nowhere", "jira-sofware"]
        );
    }
}
