//! Upstream misbehaviour, switchable per run: rate limiting with each
//! product's real signals, server errors, latency, slow, truncated and
//! dropped responses.

use std::time::Duration;

/// What the simulator does besides answering correctly. The default is a
/// perfect upstream.
#[derive(Debug, Clone, PartialEq)]
pub struct Behaviour {
    /// Rate limiting, applied per upstream (admin, site, Trello, Bitbucket).
    pub rate_limit: Option<RateLimit>,
    /// Share of requests answered `503 Service Unavailable` (no
    /// `Retry-After`), in `[0, 1]`.
    pub unavailable: f64,
    /// Share of requests answered `500 Internal Server Error`.
    pub internal_errors: f64,
    /// Added to every response.
    pub latency: Duration,
    /// Share of responses delayed by [`Behaviour::slow_delay`].
    pub slow: f64,
    /// The delay of a slow response.
    pub slow_delay: Duration,
    /// Share of responses whose body is cut off half way (the connection
    /// closes before `Content-Length` bytes arrive).
    pub truncated: f64,
    /// Share of requests whose connection drops before the body is sent.
    pub resets: f64,
    /// Share of writes (see `LoggedRequest::is_write`) whose connection
    /// drops after the write was applied and before its answer's body: the
    /// answer is lost, the change is made.
    pub write_resets: f64,
    /// Whether the Admin API's v2 user search with `expand=productAccess`
    /// carries `lastActiveTimestamp`. Off, connectors must fall back to the
    /// v1 last-active-dates endpoint, one call per account.
    pub search_last_active: bool,
    /// Whether Bitbucket's `next` links point at another host (a lying or
    /// compromised upstream), which a connector must not follow.
    pub foreign_next: bool,
    /// Writes whose path or query contains one of these texts are answered
    /// `500` without being applied: one failing action among others.
    pub failing_writes: Vec<String>,
}

impl Default for Behaviour {
    fn default() -> Self {
        Behaviour {
            rate_limit: None,
            unavailable: 0.0,
            internal_errors: 0.0,
            latency: Duration::ZERO,
            slow: 0.0,
            slow_delay: Duration::from_secs(2),
            truncated: 0.0,
            resets: 0.0,
            write_resets: 0.0,
            search_last_active: true,
            foreign_next: false,
            failing_writes: Vec::new(),
        }
    }
}

/// When an upstream answers 429.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RateLimit {
    /// At most `requests` per fixed `window` per upstream; the answer says
    /// when the window ends, in the product's own way.
    Window {
        /// Requests allowed per window.
        requests: u32,
        /// The window's length.
        window: Duration,
    },
    /// Every `n`th request per upstream is refused, whatever the pace
    /// (deterministic, for tests); the answer asks for `wait`.
    Every {
        /// Which requests are refused.
        n: u32,
        /// The wait the answer asks for (rounded up to whole seconds where
        /// the product's signal is in seconds).
        wait: Duration,
    },
}

/// What one request gets, decided before the handler runs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Fate {
    /// Answer normally.
    Answer,
    /// Refuse with 429; the caller may retry after this long.
    RateLimited(Duration),
    /// Answer with this server error status.
    ServerError(u16),
    /// Answer normally but cut the body half way.
    Truncate,
    /// Drop the connection before the body.
    Reset,
}
