//! How long to wait before sending a request again: every upstream's
//! rate-limit signal parsed in one place, else jittered backoff.
//!
//! Order: `Retry-After` (seconds or an HTTP date: Jira, Confluence),
//! then `X-RateLimit-Reset` (an ISO time such as the Admin API's, or epoch
//! seconds or milliseconds), else exponential backoff with jitter (Trello
//! sends neither).

use reqwest::header::HeaderMap;
use std::time::{Duration, SystemTime};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Longest backoff delay when the upstream gives no signal.
pub const BACKOFF_MAX: Duration = Duration::from_secs(30);

/// The wait an upstream asked for, if it said. `X-RateLimit-Reset` counts
/// only on a 429 (`rate_limited`): the Admin API sends it on every answer,
/// where it is the end of the rate window, not a wait for a 503.
pub fn signalled_delay(
    headers: &HeaderMap,
    rate_limited: bool,
    now: SystemTime,
) -> Option<Duration> {
    let header = |name: &str| headers.get(name)?.to_str().ok().map(str::trim);
    if let Some(value) = header("retry-after") {
        if let Ok(seconds) = value.parse::<u64>() {
            return Some(Duration::from_secs(seconds));
        }
        if let Ok(at) = httpdate::parse_http_date(value) {
            return Some(at.duration_since(now).unwrap_or(Duration::ZERO));
        }
    }
    if !rate_limited {
        return None;
    }
    let reset = header("x-ratelimit-reset")?;
    let at = parse_reset(reset, now)?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// An `X-RateLimit-Reset` value as a point in time.
fn parse_reset(value: &str, now: SystemTime) -> Option<SystemTime> {
    if let Ok(n) = value.parse::<u64>() {
        return Some(match n {
            // epoch milliseconds
            n if n >= 100_000_000_000 => SystemTime::UNIX_EPOCH + Duration::from_millis(n),
            // epoch seconds
            n if n >= 1_000_000_000 => SystemTime::UNIX_EPOCH + Duration::from_secs(n),
            // seconds from now
            n => now + Duration::from_secs(n),
        });
    }
    // ISO 8601; Jira writes `2026-07-30T12:00Z` without seconds.
    let parsed = OffsetDateTime::parse(value, &Rfc3339).ok().or_else(|| {
        let with_seconds = value.strip_suffix('Z').map(|v| format!("{v}:00Z"))?;
        OffsetDateTime::parse(&with_seconds, &Rfc3339).ok()
    })?;
    Some(SystemTime::from(parsed))
}

/// Exponential backoff with jitter for `attempt` (0-based): a random wait
/// between half and all of `base * 2^attempt`, capped at [`BACKOFF_MAX`].
pub fn backoff(base: Duration, attempt: u32) -> Duration {
    let ceiling = base
        .saturating_mul(2u32.saturating_pow(attempt.min(16)))
        .min(BACKOFF_MAX);
    let half = ceiling / 2;
    half + half.mul_f64(rand::random::<f64>())
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn reads_every_signal() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_785_412_800); // 2026-07-30T12:00:00Z
        type Case<'a> = (&'a [(&'a str, &'a str)], Option<u64>);
        let cases: &[Case] = &[
            (&[("retry-after", "7")], Some(7)),
            (&[("retry-after", "Thu, 30 Jul 2026 12:00:09 GMT")], Some(9)),
            (&[("x-ratelimit-reset", "2026-07-30T12:00:05Z")], Some(5)),
            (&[("x-ratelimit-reset", "2026-07-30T12:01Z")], Some(60)),
            (
                &[("x-ratelimit-reset", "2026-07-30T12:00:03.500Z")],
                Some(3),
            ),
            (&[("x-ratelimit-reset", "1785412810")], Some(10)),
            (&[("x-ratelimit-reset", "1785412804000")], Some(4)),
            (&[("x-ratelimit-reset", "12")], Some(12)),
            (&[("x-ratelimit-reset", "2020-01-01T00:00:00Z")], Some(0)),
            (&[("retry-after", "soon")], None),
            (&[], None),
            (
                &[("retry-after", "2"), ("x-ratelimit-reset", "1785412810")],
                Some(2),
            ),
        ];
        for (h, want) in cases {
            let got = signalled_delay(&headers(h), true, now).map(|d| d.as_secs());
            assert_eq!(got, *want, "{h:?}");
        }
    }

    #[test]
    fn a_503_waits_only_for_retry_after() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_785_412_800);
        let window = headers(&[("x-ratelimit-reset", "2026-07-30T12:01:00Z")]);
        assert_eq!(signalled_delay(&window, false, now), None);
        let asked = headers(&[
            ("retry-after", "3"),
            ("x-ratelimit-reset", "2026-07-30T12:01:00Z"),
        ]);
        assert_eq!(
            signalled_delay(&asked, false, now),
            Some(Duration::from_secs(3))
        );
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let base = Duration::from_millis(250);
        for attempt in 0..20 {
            let ceiling = base
                .saturating_mul(2u32.saturating_pow(attempt))
                .min(BACKOFF_MAX);
            let d = backoff(base, attempt);
            assert!(d >= ceiling / 2 && d <= ceiling, "{attempt}: {d:?}");
        }
    }
}
