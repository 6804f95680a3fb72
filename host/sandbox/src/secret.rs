//! Secret values: a type that never prints, and a redactor that removes
//! every secret a session knows from text before it leaves the host.

use std::fmt;

/// A secret value (token, key, password). `Debug` and `Display` print
/// `[redacted]`, so no log line or error can show it by accident; the value
/// is reachable only through [`Secret::expose`].
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The value, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Replaces every known secret (and the encodings the host sends it in)
/// with `[redacted]`.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    needles: Vec<Vec<u8>>,
}

/// What a secret is replaced with.
pub const REDACTED: &str = "[redacted]";

/// Secrets shorter than this are not searched for: they would match
/// ordinary text everywhere and no real credential is that short.
const MIN_SECRET_LEN: usize = 4;

impl Redactor {
    /// Adds a value to redact.
    pub fn add(&mut self, value: &str) {
        if value.len() >= MIN_SECRET_LEN && !self.needles.iter().any(|n| n == value.as_bytes()) {
            self.needles.push(value.as_bytes().to_vec());
            // Longest first, so that a secret containing another is removed whole.
            self.needles.sort_by_key(|n| std::cmp::Reverse(n.len()));
        }
    }

    /// Whether there is nothing to redact.
    pub fn is_empty(&self) -> bool {
        self.needles.is_empty()
    }

    /// Redacts bytes, returning them unchanged (without copying) when no
    /// secret occurs.
    pub fn bytes(&self, data: Vec<u8>) -> Vec<u8> {
        let mut data = data;
        for needle in &self.needles {
            if memchr::memmem::find(&data, needle).is_none() {
                continue;
            }
            let mut out = Vec::with_capacity(data.len());
            let mut rest = &data[..];
            while let Some(i) = memchr::memmem::find(rest, needle) {
                out.extend_from_slice(&rest[..i]);
                out.extend_from_slice(REDACTED.as_bytes());
                rest = &rest[i + needle.len()..];
            }
            out.extend_from_slice(rest);
            data = out;
        }
        data
    }

    /// Redacts text.
    pub fn text(&self, text: &str) -> String {
        let bytes = self.bytes(text.as_bytes().to_vec());
        String::from_utf8(bytes)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print() {
        let s = Secret::new("hunter22");
        assert_eq!(format!("{s} {s:?}"), "[redacted] [redacted]");
        assert_eq!(s.expose(), "hunter22");
    }

    #[test]
    fn redactor_removes_every_occurrence() {
        let mut r = Redactor::default();
        r.add("tok-123");
        r.add("tok-123-long");
        r.add("ab");
        assert_eq!(
            r.text("a tok-123 b tok-123-long c ab"),
            "a [redacted] b [redacted] c ab"
        );
        let untouched = b"nothing here".to_vec();
        assert_eq!(r.bytes(untouched.clone()), untouched);
    }
}
