//! A connector's manifest, checked once at load time, and turned into a
//! session's policy once per config.

use crate::config_schema::{ConfigError, ConfigSchema};
use crate::contract::{ConnectorManifest, CredentialScheme};
use crate::policy::{
    HostTemplate, Injection, PolicyError, ReadOnlyPost, ResolvedCredential, SessionPolicy,
};
use crate::secret::{MIN_SECRET_LEN, Redactor};
use serde_json::{Map, Value};

/// A validated manifest.
#[derive(Debug)]
pub struct Manifest {
    raw: ConnectorManifest,
    schema: ConfigSchema,
    hosts: Vec<(String, HostTemplate)>,
    read_only_posts: Vec<ReadOnlyPost>,
}

/// Why a config cannot open a session.
#[derive(Debug, thiserror::Error)]
pub enum ConfigRejected {
    /// It breaks the schema.
    #[error(transparent)]
    Schema(#[from] ConfigError),
    /// The connector's schema refuses the placeholder the host puts in
    /// place of a secret: a bug in the connector.
    #[error(
        "the connector's schema refuses what it would receive in place of its secrets \
         ({0}); a secret (`writeOnly`) field must accept any non-empty string: this is a bug \
         in the connector"
    )]
    Placeholder(ConfigError),
    /// A value cannot fill a host template.
    #[error(transparent)]
    Policy(#[from] PolicyError),
    /// A secret too short to tell apart from other text, which the host
    /// could not keep out of what it passes on.
    #[error(
        "`{0}` holds fewer than {MIN_SECRET_LEN} characters: the host cannot keep so short a \
         secret out of responses and logs, and no real credential is that short; check the value"
    )]
    ShortSecret(String),
}

/// What a config resolves to: the connector's view of it, the policy and
/// the secrets to redact.
#[derive(Debug)]
pub struct Resolved {
    /// The config the connector receives: valid against its schema, each
    /// secret value replaced by
    /// [`SECRET_PLACEHOLDER`](crate::config_schema::SECRET_PLACEHOLDER).
    pub visible: Map<String, Value>,
    /// Where the connector may go, with which credential.
    pub policy: SessionPolicy,
    /// Every secret, and every form the host sends it in.
    pub redactor: Redactor,
}

impl Manifest {
    /// Checks what a connector declared: a sane id, a valid schema, parseable
    /// host templates, and credentials whose secrets are `writeOnly` fields
    /// and whose hosts are among the manifest's.
    pub fn validate(raw: ConnectorManifest) -> Result<Self, String> {
        let id_ok = !raw.id.is_empty()
            && raw.id.len() <= 64
            && raw
                .id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !id_ok {
            return Err(format!(
                "id `{}` must be lowercase letters, digits and dashes",
                raw.id
            ));
        }
        let schema = ConfigSchema::parse(&raw.config_schema)?;
        let mut hosts = Vec::new();
        for text in &raw.hosts {
            let template = HostTemplate::parse(text).map_err(|e| e.to_string())?;
            for field in template.fields() {
                if !schema.has_field(field) {
                    return Err(format!(
                        "host `{text}` uses `{field}`, which the config schema lacks"
                    ));
                }
                if schema.secret_fields().iter().any(|s| s == field) {
                    return Err(format!("host `{text}` uses the secret field `{field}`"));
                }
            }
            hosts.push((text.clone(), template));
        }
        let mut read_only_posts = Vec::new();
        for text in &raw.read_only_posts {
            let post = ReadOnlyPost::parse(text, &hosts).map_err(|e| e.to_string())?;
            for field in post.fields() {
                if !schema.has_field(field) || schema.secret_fields().iter().any(|s| s == field) {
                    return Err(format!(
                        "read-only POST `{text}` uses `{field}`, which is not a plain field of \
                         the config schema"
                    ));
                }
            }
            read_only_posts.push(post);
        }
        let mut ids = Vec::new();
        for c in &raw.credentials {
            if ids.contains(&&c.id) {
                return Err(format!("credential `{}` is declared twice", c.id));
            }
            ids.push(&c.id);
            for h in &c.hosts {
                if !raw.hosts.contains(h) {
                    return Err(format!(
                        "credential `{}` names host `{h}`, which is not among the manifest's hosts",
                        c.id
                    ));
                }
            }
            let is_secret = |f: &str| schema.secret_fields().iter().any(|s| s == f);
            let (secret_fields, other_fields): (Vec<&str>, Vec<&str>) = match &c.scheme {
                CredentialScheme::Bearer(f) => (vec![f], vec![]),
                CredentialScheme::Basic(b) => (vec![&b.password_field], vec![&b.username_field]),
                CredentialScheme::Header(h) => (vec![&h.secret_field], vec![]),
                CredentialScheme::Query(q) => {
                    let (s, o): (Vec<&str>, Vec<&str>) = q
                        .iter()
                        .map(|p| p.field.as_str())
                        .partition(|f| is_secret(f));
                    if s.is_empty() {
                        return Err(format!(
                            "credential `{}` has no secret (writeOnly) field",
                            c.id
                        ));
                    }
                    (s, o)
                }
            };
            for f in secret_fields.iter().chain(&other_fields) {
                if !schema.has_field(f) {
                    return Err(format!(
                        "credential `{}` uses `{f}`, which the config schema lacks",
                        c.id
                    ));
                }
            }
            if let Some(f) = secret_fields.iter().find(|f| !is_secret(f)) {
                return Err(format!(
                    "credential `{}` takes its secret from `{f}`, which is not marked writeOnly: \
                     the connector would see it",
                    c.id
                ));
            }
        }
        Ok(Manifest {
            raw,
            schema,
            hosts,
            read_only_posts,
        })
    }

    /// The manifest as the connector declared it.
    pub fn raw(&self) -> &ConnectorManifest {
        &self.raw
    }

    /// The config schema.
    pub fn schema(&self) -> &ConfigSchema {
        &self.schema
    }

    /// Validates a config and resolves the session's policy from it.
    pub fn resolve(&self, config: &Value) -> Result<Resolved, ConfigRejected> {
        self.schema.validate(config)?;
        let (visible, secrets) = self.schema.split_secrets(config);
        self.schema
            .validate(&Value::Object(visible.clone()))
            .map_err(ConfigRejected::Placeholder)?;
        let mut redactor = Redactor::default();
        for (field, s) in &secrets {
            if s.expose().chars().count() < MIN_SECRET_LEN {
                return Err(ConfigRejected::ShortSecret(field.clone()));
            }
            redactor.add_secret(s.expose());
        }
        let mut resolved_hosts = Vec::new();
        for (text, template) in &self.hosts {
            if let Some(prefix) = template.resolve(&visible)? {
                resolved_hosts.push((text.as_str(), prefix));
            }
        }
        let mut credentials = Vec::new();
        for c in &self.raw.credentials {
            let secret = |f: &String| secrets.get(f).cloned();
            let injection = match &c.scheme {
                CredentialScheme::Bearer(f) => secret(f).map(Injection::Bearer),
                CredentialScheme::Basic(b) => {
                    let username = visible.get(&b.username_field).and_then(Value::as_str);
                    match (username, secret(&b.password_field)) {
                        (Some(u), Some(password)) => {
                            use base64::Engine as _;
                            let pair = format!("{u}:{}", password.expose());
                            redactor.add(&base64::engine::general_purpose::STANDARD.encode(pair));
                            Some(Injection::Basic {
                                username: u.to_owned(),
                                password,
                            })
                        }
                        _ => None,
                    }
                }
                CredentialScheme::Header(h) => secret(&h.secret_field).map(|s| Injection::Header {
                    name: h.name.clone(),
                    prefix: h.prefix.clone().unwrap_or_default(),
                    secret: s,
                }),
                CredentialScheme::Query(params) => params
                    .iter()
                    .map(|p| {
                        let value = secret(&p.field).or_else(|| {
                            visible
                                .get(&p.field)
                                .and_then(Value::as_str)
                                .map(crate::secret::Secret::new)
                        })?;
                        Some((p.name.clone(), value))
                    })
                    .collect::<Option<Vec<_>>>()
                    .map(Injection::Query),
            };
            // A credential whose fields this config leaves out is simply
            // unavailable; asking for it is then denied.
            let Some(injection) = injection else { continue };
            let allowed = resolved_hosts
                .iter()
                .filter(|(text, _)| c.hosts.iter().any(|h| h == text))
                .map(|(_, p)| p.clone())
                .collect();
            credentials.push(ResolvedCredential {
                id: c.id.clone(),
                injection,
                allowed,
            });
        }
        let mut read_only_posts = Vec::new();
        for post in &self.read_only_posts {
            read_only_posts.extend(post.resolve(&visible)?);
        }
        Ok(Resolved {
            visible,
            policy: SessionPolicy {
                allowed: resolved_hosts.into_iter().map(|(_, p)| p).collect(),
                credentials,
                read_only_posts,
            },
            redactor,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::{BasicFields, Capabilities, Credential};
    use serde_json::json;

    fn manifest(token_schema: Value) -> Manifest {
        let schema = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "object",
            "properties": {
                "site": { "type": "string" },
                "email": { "type": "string" },
                "api_token": token_schema,
            },
            "required": ["site", "email", "api_token"],
            "additionalProperties": false,
        });
        Manifest::validate(ConnectorManifest {
            id: "example".into(),
            name: "Example".into(),
            version: "1.0.0".into(),
            description: String::new(),
            config_schema: schema.to_string(),
            hosts: vec!["https://{site}.example.com".into()],
            credentials: vec![Credential {
                id: "admin".into(),
                scheme: CredentialScheme::Basic(BasicFields {
                    username_field: "email".into(),
                    password_field: "api_token".into(),
                }),
                hosts: vec!["https://{site}.example.com".into()],
            }],
            read_only_posts: vec!["https://{site}.example.com/rest/search".into()],
            capabilities: Capabilities {
                streams: vec![],
                actions: vec![],
            },
            products: vec![],
        })
        .expect("a valid manifest")
    }

    #[test]
    fn the_connector_receives_a_config_its_schema_accepts() {
        let m = manifest(json!({ "type": "string", "minLength": 1, "writeOnly": true }));
        let config =
            json!({ "site": "acme", "email": "a@acme.example", "api_token": "t0ps3cret-value" });
        let resolved = m.resolve(&config).expect("resolves");
        assert_eq!(
            resolved.visible["api_token"],
            crate::config_schema::SECRET_PLACEHOLDER
        );
        assert!(
            m.schema()
                .validate(&Value::Object(resolved.visible))
                .is_ok()
        );
        assert!(
            !resolved
                .redactor
                .text("t0ps3cret-value")
                .contains("t0ps3cret")
        );
    }

    #[test]
    fn a_schema_that_refuses_the_placeholder_is_the_connectors_bug() {
        let m = manifest(json!({ "type": "string", "pattern": "^ATATT", "writeOnly": true }));
        let config =
            json!({ "site": "acme", "email": "a@acme.example", "api_token": "ATATT3xFfGF0-token" });
        let err = m.resolve(&config).unwrap_err();
        assert!(matches!(err, ConfigRejected::Placeholder(_)), "{err}");
        let text = err.to_string();
        assert!(text.contains("bug in the connector"), "{text}");
        assert!(
            !text.contains("ATATT3xFfGF0"),
            "the secret stays out: {text}"
        );
    }
}
