//! What connectors there are and how to configure them: `roster
//! connectors`, `roster schema`, `roster init`.

use crate::app::{App, ConfigProblem, is_builtin};
use crate::output::{Cell, Format, Table};
use anyhow::Result;
use roster_app::builtin;
use roster_sandbox::Component;
use roster_sandbox::contract::action_name;
use serde_json::Value;
use std::fmt::Write as _;
use std::path::Path;

/// `roster connectors`: built-in ones, then configured instances with the
/// hosts their config resolves to.
pub async fn connectors(config: &Path, format: Format) -> Result<()> {
    let app = App::load(config, false)?;
    let mut table = Table::new(&[
        "name",
        "component",
        "version",
        "contract",
        "streams",
        "actions",
        "hosts",
    ]);
    for (id, _) in builtin::all() {
        let connector = load(&app, id).await?;
        let m = connector.manifest().raw();
        table.row(vec![
            Cell::Empty,
            (*id).into(),
            m.version.clone().into(),
            connector.contract_version().into(),
            streams(&connector).into(),
            actions(&connector).into(),
            m.hosts.join(" ").into(),
        ]);
    }
    for c in &app.settings.connectors {
        let connector = app.component(c).await?;
        let m = connector.manifest();
        let resolved = app.settings.config_of(c).map_err(|e| e.to_string());
        let hosts = match resolved.and_then(|config| m.resolve(config).map_err(|e| e.to_string())) {
            Ok(resolved) => resolved
                .policy
                .allowed
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(" "),
            Err(e) => format!("(config invalid: {e})"),
        };
        table.row(vec![
            c.name.clone().into(),
            m.raw().id.clone().into(),
            m.raw().version.clone().into(),
            connector.contract_version().into(),
            streams(&connector).into(),
            actions(&connector).into(),
            hosts.into(),
        ]);
    }
    table.print(format)?;
    Ok(())
}

fn streams(c: &Component) -> String {
    let s = &c.manifest().raw().capabilities.streams;
    s.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(",")
}

fn actions(c: &Component) -> String {
    let a = &c.manifest().raw().capabilities.actions;
    a.iter()
        .map(|a| action_name(*a))
        .collect::<Vec<_>>()
        .join(",")
}

/// `roster schema <component>`.
pub async fn schema(config: &Path, component: &str) -> Result<()> {
    let app = App::load(config, false)?;
    let connector = load(&app, component).await?;
    println!(
        "{}",
        serde_json::to_string_pretty(connector.manifest().schema().document())?
    );
    Ok(())
}

/// `roster init <component>`: a `[connectors.<name>]` stanza with every
/// config field documented from the schema; secrets read from the
/// environment.
pub async fn init(config: &Path, component: &str, name: Option<&str>) -> Result<()> {
    let app = App::load(config, false)?;
    let connector = load(&app, component).await?;
    print!("{}", stanza(&connector, component, name));
    Ok(())
}

/// The documented stanza for `connector`.
fn stanza(connector: &Component, component: &str, name: Option<&str>) -> String {
    let m = connector.manifest();
    let id = &m.raw().id;
    let name = name.unwrap_or(id);
    let schema = m.schema().document();
    let required: Vec<&str> = schema["required"]
        .as_array()
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# {} {}: {}",
        m.raw().name,
        m.raw().version,
        m.raw().description
    );
    let _ = writeln!(out, "[connectors.{name}]");
    let _ = writeln!(out, "component = {}", toml_string(component));
    let _ = writeln!(
        out,
        "# seat_price = {{ \"{}\" = 0.0 }}  # monthly price per seat, for cost reports",
        m.raw().products.first().map_or("product", String::as_str)
    );
    let _ = writeln!(
        out,
        "# streams_at_once = 1  # streams a sync reads at once (default: all); 1 spares the upstream"
    );
    let _ = writeln!(out);
    let _ = writeln!(out, "[connectors.{name}.config]");
    let properties = schema["properties"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    // Required fields first, in the schema's order; then the optional ones.
    let mut fields: Vec<(&String, &Value)> = properties.iter().collect();
    fields.sort_by_key(|(field, _)| {
        required
            .iter()
            .position(|r| r == field)
            .unwrap_or(usize::MAX)
    });
    for (field, prop) in fields {
        if let Some(doc) = prop["description"].as_str() {
            for line in doc.lines() {
                let _ = writeln!(out, "# {}", line.trim());
            }
        }
        let secret = m.schema().secret_fields().iter().any(|s| s == field);
        let optional = !required.contains(&field.as_str());
        let value = if secret {
            format!("{{ env = \"{}\" }}", env_var(name, field))
        } else {
            placeholder(prop)
        };
        let comment = if optional { "# (optional) " } else { "" };
        let _ = writeln!(out, "{comment}{field} = {value}");
    }
    out
}

/// The environment variable a secret is read from: `JIRA_API_TOKEN`.
fn env_var(name: &str, field: &str) -> String {
    format!("{name}_{field}")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect()
}

/// A placeholder value of the right type for a schema property.
fn placeholder(prop: &Value) -> String {
    if let Some(default) = prop.get("default").filter(|d| !d.is_null()) {
        return json_as_toml(default);
    }
    let ty = match &prop["type"] {
        Value::String(t) => t.as_str(),
        Value::Array(ts) => ts
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .unwrap_or("string"),
        _ => "string",
    };
    match ty {
        "boolean" => "false".into(),
        "integer" | "number" => "0".into(),
        "array" => "[]".into(),
        _ => "\"\"".into(),
    }
}

fn json_as_toml(v: &Value) -> String {
    match v {
        Value::String(s) => toml_string(s),
        other => other.to_string(),
    }
}

fn toml_string(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// A built-in connector by id, or a component file.
async fn load(app: &App, component: &str) -> Result<Component> {
    if let Some(bytes) = builtin::get(component) {
        return Ok(app.runtime.load_bytes(bytes).await?);
    }
    if !component.ends_with(".wasm") || is_builtin(component) {
        let ids: Vec<&str> = builtin::all().iter().map(|(id, _)| *id).collect();
        return Err(ConfigProblem(format!(
            "`{component}` is neither a built-in connector ({}) nor a .wasm file",
            ids.join(", ")
        ))
        .into());
    }
    Ok(app
        .runtime
        .load_file(component.as_ref())
        .await
        .map_err(|e| ConfigProblem(format!("{component}: {e}")))?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_come_from_named_variables_and_placeholders_have_types() {
        assert_eq!(env_var("jira-eu", "api_token"), "JIRA_EU_API_TOKEN");
        assert_eq!(
            placeholder(&serde_json::json!({"type": "boolean"})),
            "false"
        );
        assert_eq!(
            placeholder(&serde_json::json!({"type": ["string", "null"]})),
            "\"\""
        );
        assert_eq!(
            placeholder(&serde_json::json!({"type": "string", "default": "https://x"})),
            "\"https://x\""
        );
    }
}
