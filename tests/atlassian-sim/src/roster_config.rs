//! Configs of Roster's built-in connectors against this simulator: one
//! place that knows how each connector reaches it, used by the demo, the
//! benches and the tests, and by `atlassian-sim --roster-toml FILE` so
//! that anyone can point `roster` at a running simulator in one step.
//!
//! A connector added to Roster gets its entry in [`CONNECTORS`] and
//! [`fields`]; Roster's tests fail for a built-in connector without one.

use crate::{Credentials, Urls};
use serde_json::{Map, Value};
use std::fmt::Write as _;
use std::path::Path;

/// The built-in connectors this module has a config for.
pub const CONNECTORS: &[&str] = &[
    "atlassian-admin",
    "bitbucket",
    "confluence",
    "jira",
    "trello",
];

/// One field of a connector's config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Field {
    /// A value written as it is.
    Plain(String),
    /// A secret: never written into `roster.toml` itself.
    Secret(String),
}

/// The config fields of the built-in connector `id` against a simulator
/// at `urls` with credentials `c`; none for an id not in [`CONNECTORS`].
pub fn fields(id: &str, urls: &Urls, c: &Credentials) -> Option<Vec<(&'static str, Field)>> {
    let plain = |v: &str| Field::Plain(v.to_owned());
    let secret = |v: &str| Field::Secret(v.to_owned());
    Some(match id {
        "atlassian-admin" => vec![
            ("org_id", plain(&c.org_id)),
            ("api_key", secret(&c.org_api_key)),
            ("base_url", plain(&urls.admin)),
        ],
        "bitbucket" => vec![
            ("workspace", plain(&c.bitbucket_workspace)),
            ("email", plain(&c.admin_email)),
            ("api_token", secret(&c.bitbucket_api_token)),
            ("base_url", plain(&urls.bitbucket)),
        ],
        "jira" | "confluence" => vec![
            ("site", plain(&c.site)),
            ("email", plain(&c.admin_email)),
            ("api_token", secret(&c.admin_api_token)),
            ("base_url", plain(&urls.site)),
        ],
        "trello" => vec![
            ("api_key", secret(&c.trello_key)),
            ("token", secret(&c.trello_token)),
            ("workspace", plain(&c.trello_workspace)),
            ("enterprise_id", plain(&c.trello_enterprise)),
            ("base_url", plain(trello_origin(urls))),
        ],
        _ => return None,
    })
}

/// Trello's origin: the connector adds the API's `/1` itself.
fn trello_origin(urls: &Urls) -> &str {
    urls.trello.strip_suffix("/1").unwrap_or(&urls.trello)
}

/// The config of `id` as the JSON a session is opened with, secrets in
/// place; none for an id not in [`CONNECTORS`].
pub fn json(id: &str, urls: &Urls, c: &Credentials) -> Option<Value> {
    let fields = fields(id, urls, c)?;
    let object: Map<String, Value> = fields
        .into_iter()
        .map(|(k, v)| {
            let (Field::Plain(v) | Field::Secret(v)) = v;
            (k.to_owned(), Value::String(v))
        })
        .collect();
    Some(Value::Object(object))
}

/// Writes the `roster.toml` `file` enabling each of `ids` against the
/// simulator, with the store (`roster.db`) beside it and each secret in a
/// file of its own under `secrets/` beside it, named from the config
/// (`{ file = "secrets/…" }`). Returns the ids it has no config for, which
/// it leaves out.
pub fn write_roster_toml(
    file: &Path,
    ids: &[&str],
    urls: &Urls,
    c: &Credentials,
) -> std::io::Result<Vec<String>> {
    let dir = file
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let secrets = dir.join("secrets");
    std::fs::create_dir_all(&secrets)?;
    let mut out = String::from(
        "# Roster's built-in connectors against the Atlassian Cloud simulator.\n\
         [store]\npath = \"roster.db\"\n\n[network]\nallow_private = true\n",
    );
    let mut skipped = Vec::new();
    for id in ids {
        let Some(fields) = fields(id, urls, c) else {
            skipped.push((*id).to_owned());
            continue;
        };
        let _ = write!(
            out,
            "\n[connectors.{id}]\ncomponent = \"{id}\"\n[connectors.{id}.config]\n"
        );
        for (field, value) in fields {
            let value = match value {
                Field::Plain(v) => quoted(&v),
                Field::Secret(v) => {
                    let name = format!("{id}-{field}");
                    std::fs::write(secrets.join(&name), v)?;
                    format!("{{ file = \"secrets/{name}\" }}")
                }
            };
            let _ = writeln!(out, "{field} = {value}");
        }
    }
    std::fs::write(file, out)?;
    Ok(skipped)
}

/// A TOML basic string.
fn quoted(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn every_known_connector_has_fields_and_secrets_stay_out_of_the_file() {
        let sim = crate::Simulator::start(crate::SimOptions {
            people: 10,
            ..crate::SimOptions::default()
        })
        .await
        .expect("the simulator starts");
        let (urls, c) = (sim.urls(), sim.credentials());
        let dir = std::env::temp_dir().join(format!("roster-config-{}", std::process::id()));
        let skipped = write_roster_toml(
            &dir.join("r.toml"),
            &["jira", "atlassian-admin", "nope"],
            urls,
            c,
        )
        .expect("written");
        assert_eq!(skipped, ["nope"]);
        let text = std::fs::read_to_string(dir.join("r.toml")).unwrap();
        assert!(!text.contains(&c.admin_api_token) && !text.contains(&c.org_api_key));
        assert!(text.contains("api_token = { file = \"secrets/jira-api_token\" }"));
        let token = std::fs::read_to_string(dir.join("secrets/jira-api_token")).unwrap();
        assert_eq!(token, c.admin_api_token);
        for id in CONNECTORS {
            let config = json(id, urls, c).expect("a config");
            assert!(config.get("base_url").is_some(), "{id}");
        }
        assert!(json("nope", urls, c).is_none());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
