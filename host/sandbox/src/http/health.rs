//! What the host absorbed on a session's behalf: the retries each upstream
//! needed, by cause, and the last request it gave up on, so that an
//! operator sees a degrading upstream before it fails and a failure names
//! the request behind it.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Mutex;

/// Why a request was sent again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// `429 Too Many Requests`.
    RateLimited,
    /// `500`, `502`, `503` or `504`.
    ServerError,
    /// A reset, a timeout or a body shorter than its `Content-Length`.
    Connection,
}

/// Retries of one upstream (`host:port`), by cause.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Retries {
    /// After a 429.
    pub rate_limited: u64,
    /// After a 5xx.
    pub server_errors: u64,
    /// After a connection fault.
    pub connection: u64,
}

impl Retries {
    /// All retries.
    pub fn total(&self) -> u64 {
        self.rate_limited + self.server_errors + self.connection
    }

    /// Adds `other`'s counts.
    pub fn add(&mut self, other: &Retries) {
        self.rate_limited += other.rate_limited;
        self.server_errors += other.server_errors;
        self.connection += other.connection;
    }
}

impl fmt::Display for Retries {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} retries ({} rate limited, {} server errors, {} connection faults)",
            self.total(),
            self.rate_limited,
            self.server_errors,
            self.connection
        )
    }
}

/// What the host absorbed since it was last asked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Absorbed {
    /// Retries by upstream (`host:port`).
    pub retries: BTreeMap<String, Retries>,
    /// The last request the host stopped retrying, in words: method,
    /// upstream, path, the last failure and the number of attempts.
    pub gave_up: Option<String>,
}

/// A session's running account, shared by its concurrent requests.
#[derive(Debug, Default)]
pub struct Health(Mutex<Absorbed>);

impl Health {
    /// Counts one retry of a request to `upstream`.
    pub(super) fn retried(&self, upstream: &str, fault: Fault) {
        let mut absorbed = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let retries = match absorbed.retries.get_mut(upstream) {
            Some(r) => r,
            None => absorbed.retries.entry(upstream.to_owned()).or_default(),
        };
        match fault {
            Fault::RateLimited => retries.rate_limited += 1,
            Fault::ServerError => retries.server_errors += 1,
            Fault::Connection => retries.connection += 1,
        }
    }

    /// Records that the host stopped retrying a request.
    pub(super) fn gave_up(&self, what: String) {
        tracing::warn!("{what}");
        self.0.lock().unwrap_or_else(|e| e.into_inner()).gave_up = Some(what);
    }

    /// What was absorbed since the last call, which starts a new account.
    pub fn take(&self) -> Absorbed {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_by_upstream_and_cause_and_starts_afresh_when_taken() {
        let health = Health::default();
        health.retried("a:443", Fault::RateLimited);
        health.retried("a:443", Fault::Connection);
        health.retried("b:443", Fault::ServerError);
        health.gave_up("GET b/x: 500 on each of 7 attempts".into());
        let absorbed = health.take();
        assert_eq!(absorbed.retries["a:443"].total(), 2);
        assert_eq!(absorbed.retries["b:443"].server_errors, 1);
        assert_eq!(
            absorbed.retries["a:443"].to_string(),
            "2 retries (1 rate limited, 0 server errors, 1 connection faults)"
        );
        assert!(absorbed.gave_up.unwrap().contains("7 attempts"));
        assert_eq!(health.take(), Absorbed::default());
    }
}
