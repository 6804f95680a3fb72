//! How long to wait before sending a request again: every upstream's
//! rate-limit signal parsed in one place, else jittered backoff.
//!
//! Order: `Retry-After` (seconds or an HTTP date: Jira, Confluence),
//! then the IETF draft's `RateLimit` header (Atlassian sends it as
//! `Beta-RateLimit: "tenant-app-quota";r=0;t=30`: `t` seconds until the
//! quota has room), then `X-RateLimit-Reset` (an ISO time such as the Admin
//! API's, or epoch seconds or milliseconds), else exponential backoff with
//! jitter (Trello sends none of them).
//!
//! Before a 429: an answer saying that the quota is spent (`r=0` with its
//! `t`, or `X-RateLimit-Remaining: 0` with its reset) pauses the upstream
//! until the quota has room, so the next request does not meet a 429.

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
    if let Some(quota) = quota(headers) {
        return Some(quota.reset);
    }
    let reset = header("x-ratelimit-reset")?;
    let at = parse_reset(reset, now)?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// How long to hold back an upstream whose answer (of any status) says its
/// quota is spent: until `t` of a `RateLimit` header with `r=0`, or until
/// `X-RateLimit-Reset` when `X-RateLimit-Remaining` is 0; none while
/// requests remain or the answer does not say.
pub fn quota_spent(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    if let Some(quota) = quota(headers) {
        return (quota.remaining == 0).then_some(quota.reset);
    }
    let header = |name: &str| headers.get(name)?.to_str().ok().map(str::trim);
    let remaining: u64 = header("x-ratelimit-remaining")?.parse().ok()?;
    if remaining > 0 {
        return None;
    }
    let at = parse_reset(header("x-ratelimit-reset")?, now)?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// What a `RateLimit` header says (the IETF draft's layout, also under
/// Atlassian's `Beta-RateLimit` name): requests remaining (`r`) and
/// seconds until the quota has room again (`t`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Quota {
    remaining: u64,
    reset: Duration,
}

/// The tightest quota the `RateLimit` (or `Beta-RateLimit`) headers name:
/// each list item is `"policy";r=N;t=S`. An item without `r` and `t`
/// (the policy header's `q` and `w` say nothing of now) is skipped.
fn quota(headers: &HeaderMap) -> Option<Quota> {
    ["ratelimit", "beta-ratelimit"]
        .iter()
        .flat_map(|name| headers.get_all(*name))
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .filter_map(|item| {
            let mut remaining = None;
            let mut reset = None;
            for param in item.split(';').skip(1) {
                match param.trim().split_once('=') {
                    Some(("r", v)) => remaining = v.trim().parse::<u64>().ok(),
                    Some(("t", v)) => reset = v.trim().parse::<u64>().ok(),
                    _ => {}
                }
            }
            Some(Quota {
                remaining: remaining?,
                reset: Duration::from_secs(reset?),
            })
        })
        .min_by_key(|q| (q.remaining, std::cmp::Reverse(q.reset)))
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
    fn ratelimit_headers_of_2026_are_read() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_785_412_800);
        const POLICY: (&str, &str) = (
            "beta-ratelimit-policy",
            "\"tenant-app-quota\";q=100100;w=3600",
        );
        type Case<'a> = (&'a [(&'a str, &'a str)], Option<u64>, Option<u64>);
        // (headers, wait after a 429, pause before one)
        let cases: &[Case] = &[
            (
                &[POLICY, ("beta-ratelimit", "\"tenant-app-quota\";r=0;t=42")],
                Some(42),
                Some(42),
            ),
            (
                &[POLICY, ("beta-ratelimit", "\"tenant-app-quota\";r=17;t=42")],
                Some(42),
                None,
            ),
            // The policy header is missing when `r=0`, as developers report.
            (
                &[("beta-ratelimit", "\"tenant-app-quota\";r=0;t=5")],
                Some(5),
                Some(5),
            ),
            (
                &[("ratelimit", "\"burst\";r=3;t=1, \"hour\";r=0;t=900")],
                Some(900),
                Some(900),
            ),
            (&[POLICY], None, None),
            (&[("beta-ratelimit", "garbage")], None, None),
            // Retry-After wins on a 429.
            (
                &[("retry-after", "2"), ("beta-ratelimit", "\"q\";r=0;t=60")],
                Some(2),
                Some(60),
            ),
            // The Admin API's remaining count and ISO reset.
            (
                &[
                    ("x-ratelimit-remaining", "0"),
                    ("x-ratelimit-reset", "2026-07-30T12:00:30Z"),
                ],
                Some(30),
                Some(30),
            ),
            (
                &[
                    ("x-ratelimit-remaining", "12"),
                    ("x-ratelimit-reset", "2026-07-30T12:00:30Z"),
                ],
                Some(30),
                None,
            ),
        ];
        for (h, wait, pause) in cases {
            let h = headers(h);
            let got = signalled_delay(&h, true, now).map(|d| d.as_secs());
            assert_eq!(got, *wait, "{h:?}");
            assert_eq!(quota_spent(&h, now).map(|d| d.as_secs()), *pause, "{h:?}");
        }
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
