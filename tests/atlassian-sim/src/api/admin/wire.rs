//! Wire formats the `api.atlassian.com` APIs share: timestamps and dates
//! serialised without intermediate strings, request bodies and query
//! strings read leniently, and the small envelopes several answers use.

use serde::de::DeserializeOwned;
use serde::{Serialize, Serializer};
use std::fmt;
use time::{Date, OffsetDateTime, UtcOffset};

/// A moment as ISO 8601 in UTC, seconds precision
/// (`2026-07-30T12:00:00Z`).
#[derive(Debug, Clone, Copy)]
pub struct Iso(pub OffsetDateTime);

impl fmt::Display for Iso {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = self.0.to_offset(UtcOffset::UTC);
        write!(
            f,
            "{}T{:02}:{:02}:{:02}Z",
            Day(t.date()),
            t.hour(),
            t.minute(),
            t.second()
        )
    }
}

impl Serialize for Iso {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A day as ISO 8601 (`2026-07-30`).
#[derive(Debug, Clone, Copy)]
pub struct Day(pub Date);

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.0;
        write!(
            f,
            "{:04}-{:02}-{:02}",
            d.year(),
            u8::from(d.month()),
            d.day()
        )
    }
}

impl Serialize for Day {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// The start of a day, as a moment (`2024-05-01T00:00:00Z`).
pub fn midnight(day: Date) -> Iso {
    Iso(day.midnight().assume_utc())
}

/// `{"message": ...}`.
#[derive(Debug, Serialize)]
pub struct Message {
    /// What happened.
    pub message: String,
}

/// The links of a v2 cursor-paged answer: `self`, `prev` and `next` as
/// opaque cursors to send back, null when there is none.
#[derive(Debug, Default, Serialize)]
pub struct CursorLinks {
    /// This page.
    #[serde(rename = "self")]
    pub this: Option<String>,
    /// The page before, if any.
    pub prev: Option<String>,
    /// The page after, if any.
    pub next: Option<String>,
}

/// The links of a v1 or workspace page, as documented: each present only
/// when there is such a page.
#[derive(Debug, Default, Serialize)]
pub struct PageLinks {
    /// This page.
    #[serde(rename = "self", skip_serializing_if = "Option::is_none")]
    pub this: Option<String>,
    /// The page before, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prev: Option<String>,
    /// The page after, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

/// A JSON request body; an empty body reads as `{}`.
pub fn body<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, String> {
    let bytes: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        bytes
    };
    serde_json::from_slice(bytes).map_err(|e| e.to_string())
}

/// The values of query parameter `name`, repeated or comma-separated.
pub fn values<'a>(pairs: &'a [(String, String)], name: &str) -> Vec<&'a str> {
    pairs
        .iter()
        .filter(|(k, _)| k == name)
        .flat_map(|(_, v)| v.split(','))
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .collect()
}

/// The value of query parameter `name`, if given.
pub fn value<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn moments_and_days_are_iso() {
        let at = datetime!(2026-07-03 04:05:06.7 +02:00);
        assert_eq!(Iso(at).to_string(), "2026-07-03T02:05:06Z");
        assert_eq!(Day(at.date()).to_string(), "2026-07-03");
        assert_eq!(midnight(at.date()).to_string(), "2026-07-03T00:00:00Z");
    }

    #[test]
    fn query_values_split_on_commas_and_repeat() {
        let pairs = vec![
            ("status".to_owned(), "active,suspended".to_owned()),
            ("status".to_owned(), "deactivated".to_owned()),
            ("limit".to_owned(), "5".to_owned()),
        ];
        assert_eq!(
            values(&pairs, "status"),
            ["active", "suspended", "deactivated"]
        );
        assert_eq!(value(&pairs, "limit"), Some("5"));
        assert_eq!(value(&pairs, "cursor"), None);
    }
}
