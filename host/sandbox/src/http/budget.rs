//! Request budgets per upstream host. The budget belongs to the upstream,
//! not to the connector: every session of the runtime that calls
//! `acme.atlassian.net` shares its concurrency, its rate, its quota and any
//! pause a 429 imposed.
//!
//! Some upstreams publish a quota per window (Bitbucket Cloud: 1 000
//! requests an hour per user; Trello: 100 requests in 10 s per token);
//! [`KNOWN_QUOTAS`] gives their hosts that
//! quota unless an override says otherwise, so that a sync which would
//! exceed it waits for the window to move on instead of failing on 429s.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

/// Limits for one upstream host.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BudgetLimits {
    /// Requests in flight at once.
    pub concurrency: usize,
    /// Requests started per second, if limited.
    pub per_second: Option<f64>,
    /// Requests started per rolling window, if limited.
    pub quota: Option<Quota>,
}

/// At most `requests` started in any `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    /// Requests a window allows.
    pub requests: u32,
    /// The window's length.
    pub window: Duration,
}

/// The published quotas of upstream hosts, applied to a host no override
/// names: Bitbucket Cloud allows an authenticated user 1 000 requests an
/// hour (rolling); Trello allows a token 100 requests in 10 s (and answers
/// 429 without `Retry-After` past them).
pub const KNOWN_QUOTAS: &[(&str, Quota)] = &[
    (
        "api.bitbucket.org",
        Quota {
            requests: 1_000,
            window: Duration::from_secs(3_600),
        },
    ),
    (
        "api.trello.com",
        Quota {
            requests: 100,
            window: Duration::from_secs(10),
        },
    ),
];

impl Default for BudgetLimits {
    /// Eight in flight, no rate limit: enough to fan out without tripping
    /// Atlassian's burst limits, which answer 429s the host then honours.
    fn default() -> Self {
        BudgetLimits {
            concurrency: 8,
            per_second: None,
            quota: None,
        }
    }
}

/// The budgets of every upstream host, created on first use.
#[derive(Debug, Default)]
pub struct Budgets {
    defaults: BudgetLimits,
    overrides: HashMap<String, BudgetLimits>,
    budgets: Mutex<HashMap<String, Arc<Budget>>>,
}

impl Budgets {
    /// Budgets with `defaults`, and `overrides` by host name.
    pub fn new(defaults: BudgetLimits, overrides: HashMap<String, BudgetLimits>) -> Self {
        Budgets {
            defaults,
            overrides,
            budgets: Mutex::default(),
        }
    }

    /// The budget of `host` (`host:port`).
    pub fn of(&self, host: &str, port: u16) -> Arc<Budget> {
        let key = format!("{host}:{port}");
        let mut budgets = self.budgets.lock().unwrap_or_else(|e| e.into_inner());
        budgets
            .entry(key)
            .or_insert_with(|| {
                let known = KNOWN_QUOTAS.iter().find(|(h, _)| *h == host);
                let limits = self.overrides.get(host).copied().unwrap_or(BudgetLimits {
                    quota: known.map(|(_, q)| *q).or(self.defaults.quota),
                    ..self.defaults
                });
                Arc::new(Budget::new(limits))
            })
            .clone()
    }
}

/// One upstream host's budget.
#[derive(Debug)]
pub struct Budget {
    slots: Arc<Semaphore>,
    interval: Option<Duration>,
    quota: Option<Quota>,
    timing: Mutex<Timing>,
}

#[derive(Debug)]
struct Timing {
    paused_until: Instant,
    next_start: Instant,
    /// With a quota, when each of the last `quota.requests` requests
    /// started (or will), oldest first.
    starts: VecDeque<Instant>,
}

impl Budget {
    fn new(limits: BudgetLimits) -> Self {
        let now = Instant::now();
        Budget {
            slots: Arc::new(Semaphore::new(limits.concurrency.max(1))),
            interval: limits
                .per_second
                .filter(|r| *r > 0.0)
                .map(|r| Duration::from_secs_f64(1.0 / r)),
            quota: limits.quota.filter(|q| q.requests > 0),
            timing: Mutex::new(Timing {
                paused_until: now,
                next_start: now,
                starts: VecDeque::new(),
            }),
        }
    }

    /// Waits for a slot, for the end of any pause, for the rate and for
    /// the quota's window to allow one more; the request may start when
    /// this returns and runs while the permit lives.
    pub async fn acquire(&self) -> OwnedSemaphorePermit {
        let permit = self
            .slots
            .clone()
            .acquire_owned()
            .await
            .expect("budget semaphores are never closed");
        let start = {
            let mut t = self.timing.lock().unwrap_or_else(|e| e.into_inner());
            let mut at = Instant::now().max(t.paused_until);
            if let Some(interval) = self.interval {
                at = at.max(t.next_start);
                t.next_start = at + interval;
            }
            if let Some(quota) = self.quota {
                if t.starts.len() >= quota.requests as usize
                    && let Some(oldest) = t.starts.pop_front()
                {
                    at = at.max(oldest + quota.window);
                }
                t.starts.push_back(at);
            }
            at
        };
        // Sleeping until a past instant still waits for the timer's next
        // millisecond tick, so only sleep when there is a wait.
        if start > Instant::now() {
            tokio::time::sleep_until(start).await;
        }
        permit
    }

    /// Holds every request to this host back for `wait` (the upstream said
    /// so, or is backing off).
    pub fn pause(&self, wait: Duration) {
        let mut t = self.timing.lock().unwrap_or_else(|e| e.into_inner());
        t.paused_until = t.paused_until.max(Instant::now() + wait);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn rate_spaces_requests_and_pause_holds_them() {
        let budgets = Budgets::new(
            BudgetLimits {
                concurrency: 4,
                per_second: Some(10.0),
                quota: None,
            },
            HashMap::new(),
        );
        let b = budgets.of("api.example.com", 443);
        assert!(Arc::ptr_eq(&b, &budgets.of("api.example.com", 443)));
        let t0 = Instant::now();
        for _ in 0..3 {
            drop(b.acquire().await);
        }
        assert_eq!(Instant::now() - t0, Duration::from_millis(200));
        b.pause(Duration::from_secs(5));
        drop(b.acquire().await);
        assert!(Instant::now() - t0 >= Duration::from_millis(5200));
    }

    #[tokio::test(start_paused = true)]
    async fn a_quota_holds_requests_until_its_window_moves_on() {
        let quota = Quota {
            requests: 3,
            window: Duration::from_secs(60),
        };
        let budgets = Budgets::new(
            BudgetLimits::default(),
            HashMap::from([(
                "q.example".to_owned(),
                BudgetLimits {
                    quota: Some(quota),
                    ..BudgetLimits::default()
                },
            )]),
        );
        let b = budgets.of("q.example", 443);
        let t0 = Instant::now();
        for _ in 0..3 {
            drop(b.acquire().await);
        }
        assert_eq!(Instant::now(), t0, "three go at once");
        drop(b.acquire().await);
        assert_eq!(
            Instant::now() - t0,
            Duration::from_secs(60),
            "the fourth waits"
        );
        // Hosts with a published quota get it; others do not.
        let known = budgets.of("api.bitbucket.org", 443);
        assert_eq!(known.quota, Some(KNOWN_QUOTAS[0].1));
        let trello = budgets.of("api.trello.com", 443).quota;
        assert_eq!(trello.map(|q| q.requests), Some(100));
        assert_eq!(budgets.of("acme.atlassian.net", 443).quota, None);
    }
}
