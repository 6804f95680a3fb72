//! The network policy of one session, parsed once when it opens: which URLs
//! the connector may call and which credential may go where.
//!
//! A manifest declares host *templates* (`https://{site}.atlassian.net`,
//! `{base_url}`); opening a session fills them from the validated config
//! into [`AllowedPrefix`]es, and every request is checked against those.

use crate::contract::Method;
use crate::secret::Secret;
use serde_json::{Map, Value};
use std::fmt;
use url::{Host, Url};

/// Why a manifest's templates or a config's values are unusable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// A host template in the manifest cannot be parsed.
    #[error("host template `{template}`: {problem}")]
    Template {
        /// The template text.
        template: String,
        /// What is wrong with it.
        problem: String,
    },
    /// A config value cannot fill a template.
    #[error("config field `{field}`: {problem}")]
    Value {
        /// The config field.
        field: String,
        /// What is wrong with its value.
        problem: String,
    },
}

/// One part of a template: literal text or a `{field}` placeholder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    /// Text used as it is.
    Literal(String),
    /// Filled from the config field of this name.
    Field(String),
}

/// A parsed host template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostTemplate {
    /// `{field}`: the whole base URL comes from the config.
    Whole(String),
    /// `scheme://label.{field}.label[:port][/segment/{field}]`.
    Pattern {
        /// `http` or `https`.
        scheme: String,
        /// Host labels, each literal or a field.
        labels: Vec<Part>,
        /// Explicit port, if any.
        port: Option<u16>,
        /// Path segments, each literal or a field.
        segments: Vec<Part>,
    },
}

impl HostTemplate {
    /// Parses a manifest host template.
    pub fn parse(template: &str) -> Result<Self, PolicyError> {
        let err = |problem: &str| PolicyError::Template {
            template: template.into(),
            problem: problem.into(),
        };
        if let Some(field) = whole_field(template) {
            return Ok(HostTemplate::Whole(field.to_owned()));
        }
        let (scheme, rest) = template
            .split_once("://")
            .ok_or_else(|| err("must start with https:// or http://, or be a single {field}"))?;
        if !matches!(scheme, "http" | "https") {
            return Err(err("the scheme must be https or http"));
        }
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (rest, ""),
        };
        if authority.contains('@') {
            return Err(err("must not contain user information"));
        }
        if path.contains(['?', '#']) {
            return Err(err("must not contain a query or a fragment"));
        }
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p.parse::<u16>().map_err(|_| err("bad port"))?)),
            None => (authority, None),
        };
        if host.is_empty() {
            return Err(err("has no host"));
        }
        let labels = host
            .split('.')
            .map(|label| parse_part(label, is_dns_label))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| err("each host label must be a DNS label or a whole {field}"))?;
        let segments = path
            .split('/')
            .filter(|s| !s.is_empty())
            .map(|segment| parse_part(segment, is_path_segment))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| err("each path segment must be plain text or a whole {field}"))?;
        Ok(HostTemplate::Pattern {
            scheme: scheme.into(),
            labels,
            port,
            segments,
        })
    }

    /// The config fields the template uses.
    pub fn fields(&self) -> Vec<&str> {
        match self {
            HostTemplate::Whole(field) => vec![field],
            HostTemplate::Pattern {
                labels, segments, ..
            } => labels
                .iter()
                .chain(segments)
                .filter_map(|p| match p {
                    Part::Field(f) => Some(f.as_str()),
                    Part::Literal(_) => None,
                })
                .collect(),
        }
    }

    /// Fills the template from the config. `Ok(None)` when a field it needs
    /// is absent (an optional host that this config does not use).
    pub fn resolve(
        &self,
        config: &Map<String, Value>,
    ) -> Result<Option<AllowedPrefix>, PolicyError> {
        match self {
            HostTemplate::Whole(field) => {
                let Some(value) = string_field(config, field)? else {
                    return Ok(None);
                };
                AllowedPrefix::from_base_url(value)
                    .map(Some)
                    .map_err(|problem| PolicyError::Value {
                        field: field.clone(),
                        problem,
                    })
            }
            HostTemplate::Pattern {
                scheme,
                labels,
                port,
                segments,
            } => {
                let mut host = Vec::with_capacity(labels.len());
                for part in labels {
                    match fill(
                        part,
                        config,
                        is_dns_label,
                        "a DNS label (letters, digits, dashes)",
                    )? {
                        Some(v) => host.push(v.to_ascii_lowercase()),
                        None => return Ok(None),
                    }
                }
                let mut path = String::from("/");
                for part in segments {
                    match fill(part, config, is_path_segment, "a single path segment")? {
                        Some(v) => {
                            path.push_str(&v);
                            path.push('/');
                        }
                        None => return Ok(None),
                    }
                }
                let default_port = if scheme == "https" { 443 } else { 80 };
                Ok(Some(AllowedPrefix {
                    scheme: scheme.clone(),
                    host: host.join("."),
                    port: port.unwrap_or(default_port),
                    path,
                }))
            }
        }
    }
}

fn whole_field(text: &str) -> Option<&str> {
    let inner = text.strip_prefix('{')?.strip_suffix('}')?;
    is_field_name(inner).then_some(inner)
}

fn is_field_name(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

fn parse_part(text: &str, literal_ok: fn(&str) -> bool) -> Option<Part> {
    if let Some(field) = whole_field(text) {
        Some(Part::Field(field.to_owned()))
    } else if literal_ok(text) {
        Some(Part::Literal(text.to_owned()))
    } else {
        None
    }
}

fn fill(
    part: &Part,
    config: &Map<String, Value>,
    valid: fn(&str) -> bool,
    expected: &str,
) -> Result<Option<String>, PolicyError> {
    match part {
        Part::Literal(text) => Ok(Some(text.clone())),
        Part::Field(field) => match string_field(config, field)? {
            None => Ok(None),
            Some(v) if valid(v) => Ok(Some(v.to_owned())),
            Some(v) => Err(PolicyError::Value {
                field: field.clone(),
                problem: format!("`{v}` is not {expected}"),
            }),
        },
    }
}

fn string_field<'a>(
    config: &'a Map<String, Value>,
    field: &str,
) -> Result<Option<&'a str>, PolicyError> {
    match config.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(PolicyError::Value {
            field: field.into(),
            problem: "must be a string to be used in a host".into(),
        }),
    }
}

/// A DNS label: 1 to 63 letters, digits or inner dashes.
pub fn is_dns_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// A path segment of unreserved characters, not `.` or `..`.
fn is_path_segment(s: &str) -> bool {
    !s.is_empty()
        && s != "."
        && s != ".."
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
}

/// A resolved allowlist entry: requests must have this scheme, host and
/// port, and a path under `path`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedPrefix {
    /// `http` or `https`.
    pub scheme: String,
    /// Lowercase host name or IP literal.
    pub host: String,
    /// Effective port.
    pub port: u16,
    /// Path prefix, starting and ending with `/`.
    pub path: String,
}

impl AllowedPrefix {
    fn from_base_url(value: &str) -> Result<Self, String> {
        let url = Url::parse(value).map_err(|e| format!("`{value}` is not a URL ({e})"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!("`{value}` must use https or http"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(format!(
                "`{value}` must not contain a user name or password"
            ));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(format!("`{value}` must not contain a query or a fragment"));
        }
        let host = url
            .host_str()
            .ok_or_else(|| format!("`{value}` has no host"))?
            .to_ascii_lowercase();
        let mut path = url.path().to_owned();
        if !path.ends_with('/') {
            path.push('/');
        }
        Ok(AllowedPrefix {
            scheme: url.scheme().into(),
            port: url.port_or_known_default().unwrap_or(443),
            host,
            path,
        })
    }

    /// Whether `url` falls under this prefix (same scheme, host and port; a
    /// path equal to the prefix or below it, on a segment boundary).
    pub fn matches(&self, url: &Url) -> bool {
        let Some(host) = url.host_str() else {
            return false;
        };
        if url.scheme() != self.scheme
            || !host.eq_ignore_ascii_case(&self.host)
            || url.port_or_known_default() != Some(self.port)
        {
            return false;
        }
        let path = url.path();
        self.path == "/" || path.starts_with(&self.path) || format!("{path}/") == self.path
    }
}

impl fmt::Display for AllowedPrefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let default = if self.scheme == "https" { 443 } else { 80 };
        write!(f, "{}://{}", self.scheme, self.host)?;
        if self.port != default {
            write!(f, ":{}", self.port)?;
        }
        write!(f, "{}", self.path)
    }
}

/// A manifest's read-only `POST` endpoint: one of its host templates
/// followed by a path whose segments are literal, a `{field}`, or `*` (any
/// one segment).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadOnlyPost {
    /// The host template it starts with.
    host: HostTemplate,
    /// The path below it.
    segments: Vec<PathPart>,
}

/// A segment of a [`ReadOnlyPost`]'s path.
#[derive(Debug, Clone, PartialEq, Eq)]
enum PathPart {
    /// Literal text or a `{field}`.
    Part(Part),
    /// `*`: any one segment.
    Any,
}

impl ReadOnlyPost {
    /// Parses `template`, which must start with one of `hosts` (the
    /// manifest's host templates, as text and parsed) and go on with a path.
    pub fn parse(template: &str, hosts: &[(String, HostTemplate)]) -> Result<Self, PolicyError> {
        let err = |problem: &str| PolicyError::Template {
            template: template.into(),
            problem: problem.into(),
        };
        let (host, path) = hosts
            .iter()
            .filter_map(|(text, host)| {
                let path = template.strip_prefix(text.trim_end_matches('/'))?;
                path.starts_with('/').then_some((host, path))
            })
            .max_by_key(|(_, path)| std::cmp::Reverse(path.len()))
            .ok_or_else(|| err("must start with one of the manifest's hosts, then a path"))?;
        if path.contains(['?', '#']) {
            return Err(err("must not contain a query or a fragment"));
        }
        let segments = path
            .split('/')
            .filter(|s| !s.is_empty())
            .map(|segment| match segment {
                "*" => Some(PathPart::Any),
                other => parse_part(other, is_path_segment).map(PathPart::Part),
            })
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| err("each path segment must be plain text, a whole {field} or `*`"))?;
        if segments.is_empty() {
            return Err(err("must name a path below its host"));
        }
        Ok(ReadOnlyPost {
            host: host.clone(),
            segments,
        })
    }

    /// The config fields the template uses.
    pub fn fields(&self) -> Vec<&str> {
        let mut fields = self.host.fields();
        fields.extend(self.segments.iter().filter_map(|s| match s {
            PathPart::Part(Part::Field(f)) => Some(f.as_str()),
            _ => None,
        }));
        fields
    }

    /// Fills the template from the config; `Ok(None)` when a field it
    /// needs is absent.
    pub fn resolve(
        &self,
        config: &Map<String, Value>,
    ) -> Result<Option<ReadEndpoint>, PolicyError> {
        let Some(prefix) = self.host.resolve(config)? else {
            return Ok(None);
        };
        let mut segments = Vec::with_capacity(self.segments.len());
        for segment in &self.segments {
            segments.push(match segment {
                PathPart::Any => None,
                PathPart::Part(part) => {
                    match fill(part, config, is_path_segment, "a single path segment")? {
                        Some(v) => Some(v),
                        None => return Ok(None),
                    }
                }
            });
        }
        Ok(Some(ReadEndpoint { prefix, segments }))
    }
}

/// A read-only `POST` endpoint, filled from the config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadEndpoint {
    prefix: AllowedPrefix,
    /// Each segment below the prefix: literal, or none for any.
    segments: Vec<Option<String>>,
}

impl ReadEndpoint {
    /// Whether `url` is this endpoint (any query).
    pub fn matches(&self, url: &Url) -> bool {
        if !self.prefix.matches(url) {
            return false;
        }
        let Some(below) = url.path().strip_prefix(self.prefix.path.as_str()) else {
            return false;
        };
        let parts: Vec<&str> = below.split('/').filter(|s| !s.is_empty()).collect();
        parts.len() == self.segments.len()
            && parts
                .iter()
                .zip(&self.segments)
                .all(|(part, want)| want.as_deref().is_none_or(|w| w == *part))
    }
}

/// How a resolved credential is attached.
#[derive(Debug, Clone)]
pub enum Injection {
    /// `Authorization: Bearer <token>`.
    Bearer(Secret),
    /// `Authorization: Basic base64(user:password)`.
    Basic {
        /// The user name (not secret).
        username: String,
        /// The password or token.
        password: Secret,
    },
    /// `<name>: <prefix><secret>`.
    Header {
        /// Header name.
        name: String,
        /// Value prefix.
        prefix: String,
        /// The secret.
        secret: Secret,
    },
    /// Query parameters.
    Query(Vec<(String, Secret)>),
}

/// A credential resolved for a session: how to attach it and where it may go.
#[derive(Debug, Clone)]
pub struct ResolvedCredential {
    /// Id the connector refers to.
    pub id: String,
    /// How it is attached.
    pub injection: Injection,
    /// Where it may be sent.
    pub allowed: Vec<AllowedPrefix>,
}

/// The resolved policy of one session.
#[derive(Debug, Clone, Default)]
pub struct SessionPolicy {
    /// URLs the connector may call.
    pub allowed: Vec<AllowedPrefix>,
    /// Credentials it may ask for.
    pub credentials: Vec<ResolvedCredential>,
    /// `POST` endpoints the manifest declares as reads.
    pub read_only_posts: Vec<ReadEndpoint>,
}

/// What the policy says about one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The URL may be called.
    Allowed,
    /// It may not: the reason, for the connector and the operator.
    Denied(String),
}

impl SessionPolicy {
    /// Checks a URL (and the credential asked for) against the policy.
    pub fn check(&self, url: &Url, credential: Option<&str>) -> Verdict {
        if !url.username().is_empty() || url.password().is_some() {
            return Verdict::Denied("URLs with user information are refused".into());
        }
        if !matches!(url.scheme(), "http" | "https") {
            return Verdict::Denied(format!("scheme `{}` is not http(s)", url.scheme()));
        }
        if !self.allowed.iter().any(|p| p.matches(url)) {
            let allowed: Vec<String> = self.allowed.iter().map(ToString::to_string).collect();
            return Verdict::Denied(format!(
                "{} is not in the allowlist ({})",
                origin_and_path(url),
                if allowed.is_empty() {
                    "empty".into()
                } else {
                    allowed.join(", ")
                }
            ));
        }
        if let Some(id) = credential {
            match self.credentials.iter().find(|c| c.id == id) {
                None => return Verdict::Denied(format!("unknown credential `{id}`")),
                Some(c) if !c.allowed.iter().any(|p| p.matches(url)) => {
                    return Verdict::Denied(format!(
                        "credential `{id}` may not be sent to {}",
                        origin_and_path(url)
                    ));
                }
                Some(_) => {}
            }
        }
        Verdict::Allowed
    }

    /// Whether a request only reads: a `GET`, a `HEAD`, or a `POST` to one
    /// of the reads the manifest declares. Only reads run in a dry run,
    /// and only reads are sent again after an ambiguous failure.
    pub fn is_read(&self, method: Method, url: &Url) -> bool {
        match method {
            Method::Get | Method::Head => true,
            Method::Post => self.read_only_posts.iter().any(|r| r.matches(url)),
            Method::Put | Method::Patch | Method::Delete => false,
        }
    }

    /// The credential with this id.
    pub fn credential(&self, id: &str) -> Option<&ResolvedCredential> {
        self.credentials.iter().find(|c| c.id == id)
    }
}

/// `scheme://host[:port]/path`, without query (which may carry secrets).
pub fn origin_and_path(url: &Url) -> String {
    let host = match url.host() {
        Some(Host::Ipv6(ip)) => format!("[{ip}]"),
        Some(h) => h.to_string(),
        None => String::new(),
    };
    match url.port() {
        Some(port) => format!("{}://{host}:{port}{}", url.scheme(), url.path()),
        None => format!("{}://{host}{}", url.scheme(), url.path()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn config(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn templates_parse_or_are_refused() {
        let good = [
            "https://{site}.atlassian.net",
            "https://api.atlassian.com/admin",
            "http://localhost:8080/x/{ws}",
            "{base_url}",
        ];
        for t in good {
            assert!(HostTemplate::parse(t).is_ok(), "{t}");
        }
        let bad = [
            "ftp://x.example",
            "https://user@x.example",
            "https://x{site}.example",
            "https://x.example/?q=1",
            "https://x.example:99999",
            "https://",
            "x.example",
            "https://x.example/a{b}",
            "{base url}",
        ];
        for t in bad {
            assert!(HostTemplate::parse(t).is_err(), "{t}");
        }
    }

    #[test]
    fn templates_fill_from_validated_values() {
        let t = HostTemplate::parse("https://{site}.atlassian.net").unwrap();
        let p = t
            .resolve(&config(json!({"site": "Acme"})))
            .unwrap()
            .unwrap();
        assert_eq!(p.to_string(), "https://acme.atlassian.net/");
        for bad in ["acme.evil.com", "evil.com#", "a/b", "-x", "", "x@y"] {
            let r = t.resolve(&config(json!({ "site": bad })));
            assert!(
                matches!(&r, Err(PolicyError::Value { field, .. }) if field == "site"),
                "{bad}: {r:?}"
            );
        }
        assert_eq!(t.resolve(&config(json!({}))).unwrap(), None);
        assert!(t.resolve(&config(json!({"site": 3}))).is_err());

        let seg = HostTemplate::parse("https://api.example.com/ws/{ws}").unwrap();
        assert!(seg.resolve(&config(json!({"ws": ".."}))).is_err());
        assert!(seg.resolve(&config(json!({"ws": "a%2f"}))).is_err());
        let p = seg
            .resolve(&config(json!({"ws": "acme"})))
            .unwrap()
            .unwrap();
        assert_eq!(p.path, "/ws/acme/");
    }

    #[test]
    fn whole_base_urls_are_checked() {
        let t = HostTemplate::parse("{base_url}").unwrap();
        let p = t
            .resolve(&config(json!({"base_url": "http://127.0.0.1:9000"})))
            .unwrap()
            .unwrap();
        assert_eq!(p.to_string(), "http://127.0.0.1:9000/");
        for bad in [
            "https://u:p@x.example",
            "file:///etc/passwd",
            "https://x.example?a=b",
            "nope",
        ] {
            assert!(
                t.resolve(&config(json!({ "base_url": bad }))).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn prefixes_match_on_segment_boundaries() {
        let p = AllowedPrefix {
            scheme: "https".into(),
            host: "api.example.com".into(),
            port: 443,
            path: "/admin/".into(),
        };
        let yes = [
            "https://api.example.com/admin/v1/orgs",
            "https://API.example.com/admin",
            "https://api.example.com:443/admin/",
        ];
        let no = [
            "https://api.example.com/administrator",
            "http://api.example.com/admin/x",
            "https://api.example.com:8443/admin/x",
            "https://api.example.com.evil.com/admin/x",
            "https://evil.com/admin/x",
        ];
        for u in yes {
            assert!(p.matches(&Url::parse(u).unwrap()), "{u}");
        }
        for u in no {
            assert!(!p.matches(&Url::parse(u).unwrap()), "{u}");
        }
    }

    #[test]
    fn credentials_go_only_to_their_hosts() {
        let api = AllowedPrefix::from_base_url("https://api.example.com").unwrap();
        let other = AllowedPrefix::from_base_url("https://other.example.com").unwrap();
        let policy = SessionPolicy {
            allowed: vec![api.clone(), other],
            read_only_posts: Vec::new(),
            credentials: vec![ResolvedCredential {
                id: "key".into(),
                injection: Injection::Bearer(Secret::new("s")),
                allowed: vec![api],
            }],
        };
        let url = |s: &str| Url::parse(s).unwrap();
        assert_eq!(
            policy.check(&url("https://api.example.com/x"), Some("key")),
            Verdict::Allowed
        );
        assert_eq!(
            policy.check(&url("https://other.example.com/x"), None),
            Verdict::Allowed
        );
        for (u, cred) in [
            ("https://other.example.com/x", Some("key")),
            ("https://api.example.com/x", Some("nope")),
            ("https://evil.example.com/x", None),
            ("https://api.example.com@evil.example.com/x", None),
            ("https://user:pw@api.example.com/x", None),
        ] {
            assert!(
                matches!(policy.check(&url(u), cred), Verdict::Denied(_)),
                "{u} {cred:?}"
            );
        }
    }

    #[test]
    fn read_only_posts_parse_under_a_host_and_match_whole_paths() {
        let hosts: Vec<(String, HostTemplate)> = ["{base_url}", "https://api.atlassian.com"]
            .into_iter()
            .map(|t| (t.to_owned(), HostTemplate::parse(t).unwrap()))
            .collect();
        let search = ReadOnlyPost::parse(
            "{base_url}/admin/v2/orgs/{org_id}/directories/*/users/search",
            &hosts,
        )
        .unwrap();
        assert_eq!(search.fields(), ["base_url", "org_id"]);
        for bad in [
            "https://elsewhere.example/search",
            "{base_url}",
            "{base_url}/a?b=c",
            "{base_url}/a{b}/c",
            "{base_url}search",
        ] {
            assert!(ReadOnlyPost::parse(bad, &hosts).is_err(), "{bad}");
        }
        let endpoint = search
            .resolve(&config(
                json!({ "base_url": "http://127.0.0.1:9/api", "org_id": "o-1" }),
            ))
            .unwrap()
            .unwrap();
        let url = |s: &str| Url::parse(s).unwrap();
        for (u, read) in [
            (
                "http://127.0.0.1:9/api/admin/v2/orgs/o-1/directories/-/users/search",
                true,
            ),
            (
                "http://127.0.0.1:9/api/admin/v2/orgs/o-1/directories/d7/users/search?x=1",
                true,
            ),
            (
                "http://127.0.0.1:9/api/admin/v2/orgs/o-2/directories/-/users/search",
                false,
            ),
            (
                "http://127.0.0.1:9/api/admin/v2/orgs/o-1/directories/-/users/search/x",
                false,
            ),
            (
                "http://127.0.0.1:9/api/admin/v2/orgs/o-1/directories/users/search",
                false,
            ),
            (
                "http://127.0.0.1:9/admin/v2/orgs/o-1/directories/-/users/search",
                false,
            ),
            (
                "http://127.0.0.2:9/api/admin/v2/orgs/o-1/directories/-/users/search",
                false,
            ),
        ] {
            assert_eq!(endpoint.matches(&url(u)), read, "{u}");
        }
        let on_atlassian = ReadOnlyPost::parse(
            "https://api.atlassian.com/v2/orgs/{org_id}/workspaces",
            &hosts,
        )
        .unwrap()
        .resolve(&config(json!({ "org_id": "o-1" })))
        .unwrap()
        .unwrap();
        assert!(on_atlassian.matches(&url("https://api.atlassian.com/v2/orgs/o-1/workspaces")));
        assert!(
            search
                .resolve(&config(json!({ "org_id": "o-1" })))
                .unwrap()
                .is_none(),
            "without base_url the endpoint is not there"
        );
    }
}
