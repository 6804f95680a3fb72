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

/// Replaces every known secret, and each form an upstream may reflect it
/// in (see [`Redactor::add_secret`]), with `[redacted]`.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    needles: Vec<Vec<u8>>,
}

/// What a secret is replaced with.
pub const REDACTED: &str = "[redacted]";

/// Secrets shorter than this cannot be told apart from ordinary text, so
/// they cannot be redacted: the host refuses them in a config (no real
/// credential is that short).
pub const MIN_SECRET_LEN: usize = 4;

impl Redactor {
    /// Adds a secret and the forms an upstream that reflects it may hand
    /// back: percent-encoded as the host puts it in a query
    /// (`application/x-www-form-urlencoded`, `+` for a space), with `%20`,
    /// with lower-case hex, and JSON-escaped (also with `\/`).
    pub fn add_secret(&mut self, value: &str) {
        self.add(value);
        let form: String = url::form_urlencoded::byte_serialize(value.as_bytes()).collect();
        self.add(&form.replace('+', "%20"));
        self.add(&lower_hex_escapes(&form));
        self.add(&form);
        if let Ok(json) = serde_json::to_string(value) {
            let escaped = &json[1..json.len() - 1];
            self.add(escaped);
            self.add(&escaped.replace('/', "\\/"));
        }
    }

    /// Adds a value to redact as it is.
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

/// `text` with the hex digits of each `%XX` escape in lower case.
fn lower_hex_escapes(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find('%') {
        out.push_str(&rest[..i]);
        let escape = rest.get(i..i + 3).unwrap_or(&rest[i..]);
        out.push_str(&escape.to_ascii_lowercase());
        rest = &rest[i + escape.len()..];
    }
    out.push_str(rest);
    out
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

    #[test]
    fn a_secret_is_redacted_in_every_form_an_upstream_reflects() {
        let mut r = Redactor::default();
        r.add_secret("k/y+z \"q\\é");
        for reflected in [
            "k/y+z \"q\\é",
            "k%2Fy%2Bz+%22q%5C%C3%A9",
            "k%2Fy%2Bz%20%22q%5C%C3%A9",
            "k%2fy%2bz+%22q%5c%c3%a9",
            "k/y+z \\\"q\\\\é",
            "k\\/y+z \\\"q\\\\é",
        ] {
            assert_eq!(
                r.text(&format!("<{reflected}>")),
                "<[redacted]>",
                "{reflected}"
            );
        }
        assert_eq!(lower_hex_escapes("a%2Fb%C3%"), "a%2fb%c3%");
    }
}
