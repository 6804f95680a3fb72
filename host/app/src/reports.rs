//! The operator's reports over the current snapshot: the licence report
//! (seats, activity, utilisation, cost per product) and reclaim candidates.
//! The store counts; this module adds what the operator's `roster.toml`
//! says (seat prices) and the order an operator wants.

use crate::store::{ProductSeats, Seat, Store, StoreError};
use std::ops::ControlFlow;
use time::{Date, Duration};

pub use crate::store::Prices;

/// One product's line of the licence report: its seats, and what they
/// cost and how much of them is used.
#[derive(Debug, Clone, PartialEq)]
pub struct ProductLine {
    /// Seats bought, assigned, billable and active, counted per person.
    pub seats: ProductSeats,
    /// `active_30 / seats_bought`: how much of what is paid for is used.
    pub utilisation: Option<f64>,
    /// Monthly cost of the seats bought (or, unknown, of the billable
    /// seats) where a seat price is configured.
    pub monthly_cost: Option<f64>,
}

/// The licence report: one line per product, as of `today`.
pub fn licences(
    store: &mut dyn Store,
    prices: &Prices,
    today: Date,
) -> Result<Vec<ProductLine>, StoreError> {
    Ok(store
        .product_seats(today)?
        .into_iter()
        .map(|s| ProductLine {
            utilisation: s
                .seats_bought
                .filter(|&n| n > 0)
                .map(|n| f64::from(s.active_30) / f64::from(n)),
            monthly_cost: prices
                .get(&s.product)
                .map(|p| p * f64::from(s.seats_bought.unwrap_or(s.billable))),
            seats: s,
        })
        .collect())
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
    store.idle_seats(today - Duration::days(days), product, prices, each)
}
