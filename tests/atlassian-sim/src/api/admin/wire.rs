//! Wire formats the `api.atlassian.com` APIs share: timestamps and dates
//! serialised without intermediate strings, request bodies and query
//! strings read leniently, and the small envelopes several answers use.

use serde::de::DeserializeOwned;
use serde::{Serialize, Serializer};
use std::fmt;
use time::{Date, OffsetDateTime, UtcOffset};

/// Writes the last `out.len()` decimal digits of `n` into `out`.
fn digits(out: &mut [u8], n: u32) {
    let mut n = n;
    for slot in out.iter_mut().rev() {
        *slot = b'0' + (n % 10) as u8;
        n /= 10;
    }
}

/// `YYYY-MM-DD` into the first ten bytes of `out` (years 0 to 9999).
fn write_day(out: &mut [u8], day: Date) {
    digits(&mut out[0..4], day.year().clamp(0, 9999) as u32);
    out[4] = b'-';
    digits(&mut out[5..7], u32::from(u8::from(day.month())));
    out[7] = b'-';
    digits(&mut out[8..10], u32::from(day.day()));
}

/// A moment as ISO 8601 in UTC, seconds precision
/// (`2026-07-30T12:00:00Z`). Serialised from a stack buffer: answers
/// carry many of these.
#[derive(Debug, Clone, Copy)]
pub struct Iso(pub OffsetDateTime);

impl Iso {
    fn bytes(self) -> [u8; 20] {
        let t = self.0.to_offset(UtcOffset::UTC);
        let mut out = *b"0000-00-00T00:00:00Z";
        write_day(&mut out, t.date());
        digits(&mut out[11..13], u32::from(t.hour()));
        digits(&mut out[14..16], u32::from(t.minute()));
        digits(&mut out[17..19], u32::from(t.second()));
        out
    }
}

impl fmt::Display for Iso {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(std::str::from_utf8(&self.bytes()).map_err(|_| fmt::Error)?)
    }
}

impl Serialize for Iso {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let bytes = self.bytes();
        s.serialize_str(std::str::from_utf8(&bytes).map_err(serde::ser::Error::custom)?)
    }
}

/// A day as ISO 8601 (`2026-07-30`).
#[derive(Debug, Clone, Copy)]
pub struct Day(pub Date);

impl Day {
    fn bytes(self) -> [u8; 10] {
        let mut out = [0; 10];
        write_day(&mut out, self.0);
        out
    }
}

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(std::str::from_utf8(&self.bytes()).map_err(|_| fmt::Error)?)
    }
}

impl Serialize for Day {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let bytes = self.bytes();
        s.serialize_str(std::str::from_utf8(&bytes).map_err(serde::ser::Error::custom)?)
    }
}

/// Two strings serialised as one, without joining them first (a link
/// base and an id, say).
#[derive(Debug, Clone, Copy)]
pub struct Joined<'a>(pub &'a str, pub &'a str);

impl Serialize for Joined<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&format_args!("{}{}", self.0, self.1))
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

/// `200 OK` with `body` serialised into a buffer of `capacity` bytes
/// reserved up front, sparing large pages the copies of a growing buffer.
pub fn ok_sized<T: Serialize>(body: &T, capacity: usize) -> crate::respond::Reply {
    let mut bytes = Vec::with_capacity(capacity);
    match serde_json::to_writer(&mut bytes, body) {
        Ok(()) => Ok(crate::respond::raw_json(200, bytes)),
        Err(_) => crate::respond::ok(body),
    }
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
