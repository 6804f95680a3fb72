//! The operator's `roster.toml`: where the store lives, the network
//! switch, and one table per enabled connector instance. Secrets are never
//! written in the file itself but named there (`{ env = "VAR" }` or
//! `{ file = "path" }`) and read when the file is loaded.
//!
//! ```toml
//! [store]
//! path = "roster.db"
//!
//! [connectors.jira]
//! component = "jira"
//! seat_price = { "jira-software" = 8.60 }
//! streams_at_once = 1
//!
//! [connectors.jira.config]
//! site = "acme"
//! email = "admin@acme.com"
//! api_token = { env = "JIRA_API_TOKEN" }
//! ```

use serde::Deserialize;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The loaded `roster.toml`, secrets resolved. A connector whose secret
/// cannot be read keeps the problem to itself (see
/// [`RosterToml::config_of`]), so that commands which do not run it (the
/// reports, `connectors`, `init`) still work.
#[derive(Debug, Clone, PartialEq)]
pub struct RosterToml {
    /// The file it came from.
    pub file: PathBuf,
    /// The SQLite store (relative paths are relative to the file).
    pub store: PathBuf,
    /// Whether connectors may reach loopback, private and link-local
    /// addresses (the simulator and tests need it).
    pub allow_private: bool,
    /// The enabled connector instances, by name.
    pub connectors: Vec<ConfiguredConnector>,
    /// `[policy.reclaim]`: which idle seats `roster reclaim` takes back.
    pub reclaim: ReclaimPolicy,
}

/// `[policy.reclaim]`: which idle seats `roster reclaim` takes back, and
/// which accounts it keeps whatever their activity.
///
/// ```toml
/// [policy.reclaim]
/// days = 90                           # idle this long, or never active
/// products = ["jira-software"]        # default: every product
/// exclude_groups = ["keep-licence"]
/// exclude_emails = ["ceo@acme.com", "*@contractors.acme.com"]
/// exclude_kinds = ["app", "service"]  # the default
/// min_account_age_days = 30           # the default
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReclaimPolicy {
    /// Days without activity that make a seat idle; `--days` overrides.
    pub days: Option<u32>,
    /// Only these product keys; empty for every product.
    pub products: Vec<String>,
    /// Accounts in any of these groups are kept.
    pub exclude_groups: Vec<String>,
    /// Accounts with these emails are kept; `*@domain` keeps a domain.
    pub exclude_emails: Vec<String>,
    /// Account kinds kept (`human`, `app`, `customer`, `service`,
    /// `unknown`).
    pub exclude_kinds: Vec<String>,
    /// Accounts created fewer days ago are kept: a newcomer who has not
    /// signed in yet is not an idle seat.
    pub min_account_age_days: u32,
}

impl Default for ReclaimPolicy {
    fn default() -> Self {
        ReclaimPolicy {
            days: None,
            products: Vec::new(),
            exclude_groups: Vec::new(),
            exclude_emails: Vec::new(),
            exclude_kinds: vec!["app".into(), "service".into()],
            min_account_age_days: 30,
        }
    }
}

impl ReclaimPolicy {
    /// Why the policy keeps an account of `kind` with `email` in `groups`
    /// created on `created` (a day), if it does; `today` for its age.
    pub fn keeps(
        &self,
        kind: &str,
        email: Option<&str>,
        groups: &[String],
        created: Option<time::Date>,
        today: time::Date,
    ) -> Option<String> {
        if self.exclude_kinds.iter().any(|k| k == kind) {
            return Some(format!("{kind} accounts are kept (exclude_kinds)"));
        }
        if let Some(email) = email {
            let email = email.to_lowercase();
            let listed = self.exclude_emails.iter().find(|e| {
                let e = e.to_lowercase();
                match e.strip_prefix('*') {
                    Some(domain) => email.ends_with(domain),
                    None => email == e,
                }
            });
            if let Some(listed) = listed {
                return Some(format!("`{listed}` is kept (exclude_emails)"));
            }
        }
        if let Some(group) = groups.iter().find(|g| self.exclude_groups.contains(g)) {
            return Some(format!("members of `{group}` are kept (exclude_groups)"));
        }
        let min = time::Duration::days(i64::from(self.min_account_age_days));
        match created {
            Some(day) if today - day < min => Some(format!(
                "created {day}, fewer than {} days ago (min_account_age_days)",
                self.min_account_age_days
            )),
            _ => None,
        }
    }
}

/// One `[connectors.<name>]` table.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfiguredConnector {
    /// The instance name (`jira`, `jira-eu`, ...).
    pub name: String,
    /// Which component runs it.
    pub component: ComponentRef,
    /// The component's expected SHA-256 (hex), if pinned.
    pub sha256: Option<String>,
    /// Monthly price of one seat, per product key, for cost reports.
    pub seat_price: BTreeMap<String, f64>,
    /// How many of its streams a sync reads at once, each in a session of
    /// its own; none for all of them.
    pub streams_at_once: Option<usize>,
    /// The connector's config, secrets resolved (never print it), or the
    /// field whose secret could not be read.
    pub config: Result<Value, SecretProblem>,
}

/// A secret of a connector's config that could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretProblem {
    /// The field, as a dotted path (`config.api_token`).
    pub field: String,
    /// What is wrong and how to fix it.
    pub message: String,
}

/// A built-in connector or a component file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ComponentRef {
    /// A built-in connector by id.
    Builtin(String),
    /// A `.wasm` component file.
    File(PathBuf),
}

/// Why `roster.toml` cannot be used; each names the file and what to fix.
#[derive(Debug, thiserror::Error)]
pub enum RosterTomlError {
    /// The file cannot be read.
    #[error("{file}: cannot read it: {source}")]
    Read {
        /// The file.
        file: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not valid TOML or has the wrong shape.
    #[error("{file}: {message}")]
    Invalid {
        /// The file.
        file: PathBuf,
        /// What is wrong, where.
        message: String,
    },
    /// A connector table is wrong.
    #[error("{file}: connector `{connector}`: {field}: {message}")]
    Connector {
        /// The file.
        file: PathBuf,
        /// The connector instance.
        connector: String,
        /// The field, as a dotted path (`config.api_token`).
        field: String,
        /// What is expected.
        message: String,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    store: StoreTable,
    #[serde(default)]
    network: NetworkTable,
    #[serde(default)]
    connectors: BTreeMap<String, ConnectorTable>,
    #[serde(default)]
    policy: PolicyTable,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct PolicyTable {
    reclaim: Option<ReclaimTable>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReclaimTable {
    days: Option<u32>,
    #[serde(default)]
    products: Vec<String>,
    #[serde(default)]
    exclude_groups: Vec<String>,
    #[serde(default)]
    exclude_emails: Vec<String>,
    exclude_kinds: Option<Vec<String>>,
    min_account_age_days: Option<u32>,
}

/// The account kinds the contract knows.
const KINDS: [&str; 5] = ["human", "app", "customer", "service", "unknown"];

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct StoreTable {
    path: Option<PathBuf>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct NetworkTable {
    #[serde(default)]
    allow_private: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConnectorTable {
    component: String,
    sha256: Option<String>,
    #[serde(default)]
    seat_price: BTreeMap<String, f64>,
    streams_at_once: Option<i64>,
    #[serde(default)]
    config: toml::Table,
}

/// The default store file, beside `roster.toml`.
pub const DEFAULT_STORE: &str = "roster.db";

impl RosterToml {
    /// Loads and checks `file`. `builtin` tells which component ids are
    /// built in; any other value must be a path to a `.wasm` file.
    pub fn load(
        file: &Path,
        builtin: &dyn Fn(&str) -> bool,
    ) -> Result<RosterToml, RosterTomlError> {
        let text = std::fs::read_to_string(file).map_err(|source| RosterTomlError::Read {
            file: file.to_owned(),
            source,
        })?;
        Self::parse(&text, file, builtin, &|var| std::env::var(var).ok())
    }

    /// Parses the text of `file`; `env` reads environment variables.
    pub fn parse(
        text: &str,
        file: &Path,
        builtin: &dyn Fn(&str) -> bool,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<RosterToml, RosterTomlError> {
        let parsed: File = toml::from_str(text).map_err(|e| RosterTomlError::Invalid {
            file: file.to_owned(),
            message: e.to_string().trim_end().replace('\n', " "),
        })?;
        let base = file.parent().unwrap_or(Path::new("."));
        let relative = |p: &Path| {
            if p.is_absolute() {
                p.to_owned()
            } else {
                base.join(p)
            }
        };
        let mut connectors = Vec::new();
        for (name, table) in parsed.connectors {
            let fail = |field: &str, message: String| RosterTomlError::Connector {
                file: file.to_owned(),
                connector: name.clone(),
                field: field.to_owned(),
                message,
            };
            let component = if builtin(&table.component) {
                ComponentRef::Builtin(table.component)
            } else if table.component.ends_with(".wasm") {
                ComponentRef::File(relative(Path::new(&table.component)))
            } else {
                return Err(fail(
                    "component",
                    format!(
                        "`{}` is neither a built-in connector nor a path to a .wasm file \
                         (`roster connectors` lists the built-in ones)",
                        table.component
                    ),
                ));
            };
            if let Some(pin) = &table.sha256
                && (pin.len() != 64 || !pin.bytes().all(|b| b.is_ascii_hexdigit()))
            {
                return Err(fail(
                    "sha256",
                    "expected 64 hexadecimal digits (the component's SHA-256)".into(),
                ));
            }
            for (product, price) in &table.seat_price {
                if !price.is_finite() || *price < 0.0 {
                    return Err(fail(
                        &format!("seat_price.{product}"),
                        "expected a price of zero or more".into(),
                    ));
                }
            }
            let streams_at_once = match table.streams_at_once {
                None => None,
                Some(n) if n >= 1 => Some(n as usize),
                Some(_) => {
                    return Err(fail(
                        "streams_at_once",
                        "expected 1 or more (1 reads the streams one after another)".into(),
                    ));
                }
            };
            let config = table
                .config
                .into_iter()
                .map(|(key, value)| {
                    resolve(&value, base, env)
                        .map(|value| (key.clone(), value))
                        .map_err(|message| SecretProblem {
                            field: format!("config.{key}"),
                            message,
                        })
                })
                .collect::<Result<Map<String, Value>, SecretProblem>>()
                .map(Value::Object);
            connectors.push(ConfiguredConnector {
                name,
                component,
                sha256: table.sha256.map(|s| s.to_ascii_lowercase()),
                seat_price: table.seat_price,
                streams_at_once,
                config,
            });
        }
        let reclaim = match parsed.policy.reclaim {
            None => ReclaimPolicy::default(),
            Some(t) => {
                let defaults = ReclaimPolicy::default();
                let exclude_kinds = t.exclude_kinds.unwrap_or(defaults.exclude_kinds);
                if let Some(k) = exclude_kinds.iter().find(|k| !KINDS.contains(&k.as_str())) {
                    return Err(RosterTomlError::Invalid {
                        file: file.to_owned(),
                        message: format!(
                            "policy.reclaim.exclude_kinds: `{k}` is not an account kind (expected \
                             one of {})",
                            KINDS.join(", ")
                        ),
                    });
                }
                if t.days == Some(0) {
                    return Err(RosterTomlError::Invalid {
                        file: file.to_owned(),
                        message: "policy.reclaim.days: expected 1 or more".into(),
                    });
                }
                ReclaimPolicy {
                    days: t.days,
                    products: t.products,
                    exclude_groups: t.exclude_groups,
                    exclude_emails: t.exclude_emails,
                    exclude_kinds,
                    min_account_age_days: t
                        .min_account_age_days
                        .unwrap_or(defaults.min_account_age_days),
                }
            }
        };
        Ok(RosterToml {
            file: file.to_owned(),
            store: relative(
                parsed
                    .store
                    .path
                    .as_deref()
                    .unwrap_or(Path::new(DEFAULT_STORE)),
            ),
            allow_private: parsed.network.allow_private,
            connectors,
            reclaim,
        })
    }

    /// The connector instance `name`.
    pub fn connector(&self, name: &str) -> Option<&ConfiguredConnector> {
        self.connectors.iter().find(|c| c.name == name)
    }

    /// The config of `connector`, or the error naming the file, the
    /// connector and the secret that could not be read.
    pub fn config_of<'c>(
        &self,
        connector: &'c ConfiguredConnector,
    ) -> Result<&'c Value, RosterTomlError> {
        connector
            .config
            .as_ref()
            .map_err(|problem| RosterTomlError::Connector {
                file: self.file.clone(),
                connector: connector.name.clone(),
                field: problem.field.clone(),
                message: problem.message.clone(),
            })
    }
}

/// A TOML config value as JSON, with `{ env = "VAR" }` and
/// `{ file = "path" }` replaced by what they name.
fn resolve(
    value: &toml::Value,
    base: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Value, String> {
    Ok(match value {
        toml::Value::String(s) => Value::String(s.clone()),
        toml::Value::Integer(i) => Value::from(*i),
        toml::Value::Float(f) => Value::from(*f),
        toml::Value::Boolean(b) => Value::Bool(*b),
        toml::Value::Datetime(d) => Value::String(d.to_string()),
        toml::Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|v| resolve(v, base, env))
                .collect::<Result<_, _>>()?,
        ),
        toml::Value::Table(t) => match (t.get("env"), t.get("file"), t.len()) {
            (Some(toml::Value::String(var)), None, 1) => {
                let value = env(var).ok_or_else(|| {
                    format!("the environment variable `{var}` is not set; export it or use {{ file = \"...\" }}")
                })?;
                Value::String(value)
            }
            (None, Some(toml::Value::String(path)), 1) => {
                let path = base.join(path);
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| format!("cannot read the secret file {}: {e}", path.display()))?;
                Value::String(text.trim_end_matches(['\n', '\r']).to_owned())
            }
            _ => Value::Object(
                t.iter()
                    .map(|(k, v)| Ok((k.clone(), resolve(v, base, env)?)))
                    .collect::<Result<_, String>>()?,
            ),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<RosterToml, RosterTomlError> {
        RosterToml::parse(
            text,
            Path::new("/etc/roster/roster.toml"),
            &|id| id == "jira",
            &|var| (var == "JIRA_TOKEN").then(|| "t0ken".to_owned()),
        )
    }

    #[test]
    fn the_reclaim_policy_keeps_what_it_names_and_refuses_an_unknown_kind() {
        use time::macros::date;
        let defaults = parse("").unwrap().reclaim;
        assert_eq!(defaults, ReclaimPolicy::default());
        let p = parse(
            r#"
            [policy.reclaim]
            days = 60
            exclude_groups = ["keep"]
            exclude_emails = ["CEO@acme.com", "*@contractors.acme.com"]
            min_account_age_days = 14
            "#,
        )
        .unwrap()
        .reclaim;
        assert_eq!(p.days, Some(60));
        assert_eq!(p.exclude_kinds, ["app", "service"], "the default kinds");
        let today = date!(2026 - 12 - 01);
        let old = Some(date!(2025 - 01 - 01));
        let keeps = |kind, email, groups: &[&str], created| {
            let groups: Vec<String> = groups.iter().map(|g| g.to_string()).collect();
            p.keeps(kind, email, &groups, created, today)
        };
        assert_eq!(keeps("human", Some("ana@acme.com"), &["staff"], old), None);
        assert!(
            keeps("app", None, &[], old)
                .unwrap()
                .contains("exclude_kinds")
        );
        assert!(
            keeps("human", Some("ceo@acme.com"), &[], old)
                .unwrap()
                .contains("exclude_emails")
        );
        assert!(keeps("human", Some("bo@contractors.acme.com"), &[], old).is_some());
        assert!(
            keeps("human", Some("bo@acme.com"), &["keep"], old)
                .unwrap()
                .contains("`keep`")
        );
        let recent = Some(date!(2026 - 11 - 20));
        assert!(
            keeps("human", Some("new@acme.com"), &[], recent)
                .unwrap()
                .contains("2026-11-20")
        );
        assert_eq!(keeps("human", Some("new@acme.com"), &[], None), None);

        let err = parse("[policy.reclaim]\nexclude_kinds = [\"robot\"]\n").unwrap_err();
        assert!(
            err.to_string().contains("`robot` is not an account kind"),
            "{err}"
        );
        let err = parse("[policy.reclaim]\ndayz = 3\n").unwrap_err();
        assert!(err.to_string().contains("dayz"), "{err}");
    }

    #[test]
    fn a_full_file_loads_with_secrets_resolved() {
        let s = parse(
            r#"
            [store]
            path = "data/roster.db"
            [network]
            allow_private = true
            [connectors.jira]
            component = "jira"
            seat_price = { "jira-software" = 8.6 }
            [connectors.jira.config]
            site = "acme"
            api_token = { env = "JIRA_TOKEN" }
            [connectors.custom]
            component = "plugins/custom.wasm"
            sha256 = "AB00000000000000000000000000000000000000000000000000000000000000"
            "#,
        )
        .unwrap();
        assert_eq!(s.store, Path::new("/etc/roster/data/roster.db"));
        assert!(s.allow_private);
        let jira = s.connector("jira").unwrap();
        assert_eq!(jira.component, ComponentRef::Builtin("jira".into()));
        assert_eq!(s.config_of(jira).unwrap()["api_token"], "t0ken");
        assert_eq!(jira.seat_price["jira-software"], 8.6);
        let custom = s.connector("custom").unwrap();
        assert_eq!(
            custom.component,
            ComponentRef::File("/etc/roster/plugins/custom.wasm".into())
        );
        assert!(custom.sha256.as_deref().unwrap().starts_with("ab"));
    }

    #[test]
    fn defaults_apply() {
        let s = parse("").unwrap();
        assert_eq!(s.store, Path::new("/etc/roster/roster.db"));
        assert!(!s.allow_private);
        assert!(s.connectors.is_empty());
    }

    #[test]
    fn each_mistake_names_the_file_the_connector_and_the_field() {
        let cases = [
            (
                "[connectors.x]\ncomponent = \"nope\"",
                "connector `x`: component: `nope` is neither a built-in connector",
            ),
            (
                "[connectors.x]\ncomponent = \"jira\"\nsha256 = \"12\"",
                "connector `x`: sha256: expected 64 hexadecimal digits",
            ),
            (
                "[connectors.x]\ncomponent = \"jira\"\nseat_price = { jira = -1.0 }",
                "connector `x`: seat_price.jira: expected a price of zero or more",
            ),
            (
                "[connectors.x]\ncomponent = \"jira\"\nstreams_at_once = 0",
                "connector `x`: streams_at_once: expected 1 or more",
            ),
            (
                "[connectors.x]\nsha256 = \"x\"",
                "missing field `component`",
            ),
            ("[stroe]\npath = \"x\"", "unknown field `stroe`"),
            ("[network]\nallow_private = \"yes\"", "invalid type"),
        ];
        for (text, expected) in cases {
            let err = parse(text).unwrap_err().to_string();
            assert!(err.starts_with("/etc/roster/roster.toml: "), "{err}");
            assert!(err.contains(expected), "{text}\n=> {err}");
        }
    }

    #[test]
    fn a_secret_that_cannot_be_read_stays_with_its_connector() {
        let cases = [
            (
                "api_token = { env = \"MISSING\" }",
                "connector `x`: config.api_token: the environment variable `MISSING` is not set",
            ),
            (
                "key = { file = \"no-such-file\" }",
                "connector `x`: config.key: cannot read the secret file",
            ),
        ];
        for (line, expected) in cases {
            let text = format!(
                "[connectors.x]\ncomponent = \"jira\"\n[connectors.x.config]\n{line}\n\
                 [connectors.y]\ncomponent = \"jira\"\n[connectors.y.config]\nsite = \"acme\""
            );
            let s = parse(&text).expect("the file loads");
            let err = s
                .config_of(s.connector("x").unwrap())
                .unwrap_err()
                .to_string();
            assert!(err.starts_with("/etc/roster/roster.toml: "), "{err}");
            assert!(err.contains(expected), "{line}\n=> {err}");
            assert!(s.config_of(s.connector("y").unwrap()).is_ok());
        }
    }
}
