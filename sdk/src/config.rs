//! Typed connector config: secrets and validated URL parts.

use crate::{Error, Result};
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer};
use std::borrow::Cow;
use url::Url;

/// A config field holding a secret (API key, token, password).
///
/// Its schema is a non-empty string marked `"writeOnly": true`. The host
/// keeps the value: the connector only learns that it is configured, and
/// names it in a [`Credential`](crate::Credential) for the host to attach.
/// Use `Option<Secret>` for an optional secret. Secret fields must be
/// top-level properties of the config.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Secret;

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // The host passes `true` in place of the value; whatever arrives is
        // dropped unread.
        serde::de::IgnoredAny::deserialize(deserializer)?;
        Ok(Secret)
    }
}

impl JsonSchema for Secret {
    fn schema_name() -> Cow<'static, str> {
        "Secret".into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": "string", "minLength": 1, "writeOnly": true })
    }
}

/// Parses a configured base URL (`https://api.example.com`, or a proxy or
/// simulator address), refusing what cannot be a base: another scheme,
/// credentials in the URL, a query or a fragment. The result ends in `/`
/// so that [`Url::join`] with a relative path appends to it.
pub fn base_url(field: &str, value: &str) -> Result<Url> {
    let mut url = Url::parse(value)
        .map_err(|e| Error::config(field, format_args!("`{value}` is not a URL ({e})")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Error::config(field, "must start with https:// or http://"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::config(
            field,
            "must not contain a user name or password",
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::config(
            field,
            "must not contain a query or a fragment",
        ));
    }
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

/// Two optional config fields that only work together (a directory id and
/// its key, say): both given, or neither; one alone is a config error that
/// names the missing one.
pub fn both_or_neither<A, B>(a: (&str, Option<A>), b: (&str, Option<B>)) -> Result<Option<(A, B)>> {
    match (a, b) {
        ((_, Some(a)), (_, Some(b))) => Ok(Some((a, b))),
        ((_, None), (_, None)) => Ok(None),
        ((given, Some(_)), (missing, None)) | ((missing, None), (given, Some(_))) => {
            Err(Error::config(
                missing,
                format_args!("is required with `{given}`: give both, or neither"),
            ))
        }
    }
}

/// Builds a base URL from a site name and a template with one `{}`
/// (`https://{}.atlassian.net`), after checking that the name is a single
/// DNS label (letters, digits and inner dashes, at most 63 characters): a
/// value such as `acme.evil.com` or `a/b` is a config error, not a URL.
pub fn site_url(field: &str, value: &str, template: &str) -> Result<Url> {
    let valid = !value.is_empty()
        && value.len() <= 63
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !value.starts_with('-')
        && !value.ends_with('-');
    if !valid {
        return Err(Error::config(
            field,
            format_args!(
                "`{value}` is not a plain name: use only letters, digits and dashes \
                 (for acme.atlassian.net write `acme`)"
            ),
        ));
    }
    base_url(field, &template.replace("{}", &value.to_ascii_lowercase()))
}

/// Checks that a configured id (an organization or directory id) can be
/// one path segment: 1 to 128 letters, digits, `-` and `_`. Anything else
/// is a config error naming `field`, never part of a URL.
pub fn plain_id(field: &str, value: &str) -> Result<()> {
    let valid = !value.is_empty()
        && value.len() <= 128
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if valid {
        Ok(())
    } else {
        Err(Error::config(
            field,
            format_args!("`{value}` is not an id: use only letters, digits, `-` and `_`"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_url_gets_a_trailing_slash() {
        let url = base_url("base_url", "http://127.0.0.1:8080/prefix").unwrap();
        assert_eq!(url.as_str(), "http://127.0.0.1:8080/prefix/");
        assert_eq!(
            url.join("rest/api/3/users").unwrap().as_str(),
            "http://127.0.0.1:8080/prefix/rest/api/3/users"
        );
    }

    #[test]
    fn base_url_refuses_what_is_not_a_base() {
        for bad in [
            "ftp://x.example",
            "https://u:p@x.example",
            "https://x.example/?a=1",
            "https://x.example/#f",
            "not a url",
        ] {
            let err = base_url("base_url", bad).unwrap_err();
            assert!(
                matches!(&err, Error::InvalidConfig(m) if m.starts_with("`base_url`")),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn paired_fields_come_together_or_not_at_all() {
        assert_eq!(
            both_or_neither(("a", Some(1)), ("b", Some(2))).unwrap(),
            Some((1, 2))
        );
        assert_eq!(
            both_or_neither::<u8, u8>(("a", None), ("b", None)).unwrap(),
            None
        );
        for (a, b, missing) in [(Some(1), None, "`b`"), (None, Some(2), "`a`")] {
            let err = both_or_neither(("a", a), ("b", b)).unwrap_err();
            assert!(
                matches!(&err, Error::InvalidConfig(m) if m.starts_with(missing)),
                "{err}"
            );
        }
    }

    #[test]
    fn site_must_be_a_label() {
        let url = site_url("site", "Acme", "https://{}.atlassian.net").unwrap();
        assert_eq!(url.as_str(), "https://acme.atlassian.net/");
        for bad in ["", "acme.evil.com", "a/b", "-a", "acme@evil", "a b"] {
            assert!(
                site_url("site", bad, "https://{}.atlassian.net").is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn ids_are_one_path_segment() {
        for good in ["k7a3-b2_c9", "0", &"a".repeat(128)] {
            assert!(plain_id("org_id", good).is_ok(), "{good}");
        }
        for bad in ["", "a/b", "a b", "..", "a?b", "é", &"a".repeat(129)] {
            let err = plain_id("org_id", bad).unwrap_err();
            assert!(err.to_string().contains("`org_id`"), "{bad}: {err}");
        }
    }

    #[test]
    fn secret_schema_is_write_only_and_value_is_dropped() {
        #[derive(Deserialize, JsonSchema)]
        #[allow(dead_code)]
        struct Config {
            /// The key.
            key: Secret,
            other: Option<Secret>,
        }
        let schema = schemars::schema_for!(Config).to_value();
        assert_eq!(schema["properties"]["key"]["writeOnly"], true);
        assert_eq!(schema["properties"]["key"]["description"], "The key.");
        assert_eq!(schema["required"], serde_json::json!(["key"]));
        let c: Config = serde_json::from_str(r#"{"key": true}"#).unwrap();
        assert_eq!(c.key, Secret);
        assert_eq!(c.other, None);
    }
}
