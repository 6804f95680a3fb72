//! What the simulator's integration tests share: a simulator per test and
//! validation of answers against Atlassian's published OpenAPI documents.
#![allow(dead_code, reason = "each test file uses a different part")]

use atlassian_sim::{SimOptions, Simulator};
use jsonschema::{Draft, Validator};
use serde_json::{Map, Value, json};
use std::cell::RefCell;
use std::collections::HashMap;
use time::macros::datetime;

/// A simulator with `people` accounts, a fixed seed and a fixed clock.
pub async fn sim(people: usize) -> Simulator {
    start(people, false).await
}

/// A multi-site simulator ([`SimOptions::multi_site`]) with `people`
/// accounts, the seed and clock of [`sim`].
pub async fn multi_site_sim(people: usize) -> Simulator {
    start(people, true).await
}

async fn start(people: usize, multi_site: bool) -> Simulator {
    with_options(SimOptions {
        people,
        multi_site,
        ..SimOptions::default()
    })
    .await
}

/// A simulator with `options`, and the seed and clock of [`sim`].
pub async fn with_options(options: SimOptions) -> Simulator {
    Simulator::start(SimOptions {
        seed: 11,
        now: Some(datetime!(2026-11-24 12:00 UTC)),
        ..options
    })
    .await
    .expect("the simulator starts")
}

/// A plain HTTP client for the tests.
pub fn client() -> reqwest::Client {
    // One process-wide TLS provider; a second install is a harmless no-op.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("a client")
}

/// Sends `request` and reads the answer: its status and its body as JSON
/// (`null` when empty, a JSON string when it is not JSON).
pub async fn answer(request: reqwest::RequestBuilder) -> (reqwest::StatusCode, Value) {
    let response = request.send().await.expect("the simulator answers");
    let status = response.status();
    let text = response.text().await.expect("a body");
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    (status, body)
}

/// One of the OpenAPI documents in `openapi/`, ready to validate answers.
pub struct Spec {
    name: &'static str,
    document: Value,
    validators: RefCell<HashMap<String, Validator>>,
}

impl Spec {
    /// Loads `openapi/<file>` (OpenAPI 3.0) and turns its schemas into
    /// JSON Schema (draft 4 with `nullable` spelled out).
    pub fn load(file: &'static str) -> Spec {
        let path = format!("{}/openapi/{file}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let document: Value = serde_json::from_str(&text).expect("the document is JSON");
        Spec {
            name: file,
            document: spell_out_nullable(document),
            validators: RefCell::default(),
        }
    }

    /// Asserts that `body`, answered with `status` to `method` on the
    /// documented path `template` (as the document spells it, such as
    /// `/rest/api/3/users/search`), matches the documented response schema.
    pub fn check(&self, method: &str, template: &str, status: u16, body: &Value) {
        let key = format!("{method} {template} {status}");
        let mut validators = self.validators.borrow_mut();
        let validator = validators.entry(key.clone()).or_insert_with(|| {
            let pointer = self.response_schema_pointer(method, template, status);
            let mut root = Map::new();
            // A URI fragment: the braces of path templates percent-encoded.
            let fragment = pointer.replace('{', "%7B").replace('}', "%7D");
            root.insert("$ref".into(), json!(format!("#{fragment}")));
            root.insert("paths".into(), self.document["paths"].clone());
            if let Some(c) = self.document.get("components") {
                root.insert("components".into(), c.clone());
            }
            jsonschema::options()
                .with_draft(Draft::Draft4)
                .build(&Value::Object(root))
                .unwrap_or_else(|e| panic!("{}: {key}: schema does not compile: {e}", self.name))
        });
        let errors: Vec<String> = validator
            .iter_errors(body)
            .map(|e| format!("  at {}: {e}", e.instance_path()))
            .take(10)
            .collect();
        assert!(
            errors.is_empty(),
            "{}: {key}: the answer breaks the documented schema:\n{}\nanswer: {}",
            self.name,
            errors.join("\n"),
            truncated(body)
        );
    }

    /// JSON pointer to the response schema of an operation.
    fn response_schema_pointer(&self, method: &str, template: &str, status: u16) -> String {
        let escaped = template.replace('~', "~0").replace('/', "~1");
        let method = method.to_ascii_lowercase();
        let op = format!("/paths/{escaped}/{method}");
        let responses = self
            .document
            .pointer(&format!("{op}/responses"))
            .unwrap_or_else(|| panic!("{}: no operation {method} {template}", self.name));
        let code = [status.to_string(), "default".into()]
            .into_iter()
            .find(|c| responses.get(c).is_some())
            .unwrap_or_else(|| panic!("{}: {method} {template} documents no {status}", self.name));
        let mut response = format!("{op}/responses/{code}");
        // Follow a reference to a shared response.
        if let Some(r) = self
            .document
            .pointer(&format!("{response}/$ref"))
            .and_then(Value::as_str)
        {
            response = r.trim_start_matches('#').to_owned();
        }
        let content = self
            .document
            .pointer(&format!("{response}/content"))
            .and_then(Value::as_object)
            .unwrap_or_else(|| panic!("{}: {method} {template} {code} has no body", self.name));
        let media = content
            .keys()
            .find(|k| k.contains("json"))
            .or_else(|| content.keys().next())
            .expect("a media type");
        format!(
            "{response}/content/{}/schema",
            media.replace('~', "~0").replace('/', "~1")
        )
    }
}

/// OpenAPI 3.0's `nullable: true` as JSON Schema: `null` added to the
/// type or enum, or the schema wrapped in `anyOf` with `{"type":"null"}`.
fn spell_out_nullable(value: Value) -> Value {
    match value {
        Value::Array(items) => Value::Array(items.into_iter().map(spell_out_nullable).collect()),
        Value::Object(map) => {
            let mut map: Map<String, Value> = map
                .into_iter()
                .map(|(k, v)| (k, spell_out_nullable(v)))
                .collect();
            if map.remove("nullable") != Some(Value::Bool(true)) {
                return Value::Object(map);
            }
            if let Some(Value::Array(options)) = map.get_mut("enum") {
                options.push(Value::Null);
            }
            match map.get("type").cloned() {
                Some(Value::String(t)) => {
                    map.insert("type".into(), json!([t, "null"]));
                    Value::Object(map)
                }
                _ => json!({ "anyOf": [Value::Object(map), { "type": "null" }] }),
            }
        }
        other => other,
    }
}

fn truncated(body: &Value) -> String {
    let text = body.to_string();
    if text.len() > 600 {
        format!("{}...", &text[..text.floor_char_boundary(600)])
    } else {
        text
    }
}
