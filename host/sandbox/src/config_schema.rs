//! A connector's config: validated against the manifest's JSON Schema, and
//! split into what the connector sees and the secrets only the host keeps.

use crate::secret::{Redactor, Secret};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::fmt;

/// What a connector receives in place of each secret (`writeOnly`) value
/// of its config: a string, so that the config it receives is still valid
/// against its own schema (a secret is a non-empty string there), which
/// says that the secret is configured and nothing of what it is.
pub const SECRET_PLACEHOLDER: &str = "(held by the host)";

/// A compiled config schema and the names of its secret fields.
pub struct ConfigSchema {
    validator: jsonschema::Validator,
    secret_fields: Vec<String>,
    document: Value,
}

impl fmt::Debug for ConfigSchema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConfigSchema")
            .field("secret_fields", &self.secret_fields)
            .finish_non_exhaustive()
    }
}

/// One thing wrong with a config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigProblem {
    /// The field, as a JSON path (`site`, `products/0`); empty for the whole
    /// config.
    pub field: String,
    /// The rule it breaks.
    pub problem: String,
}

/// Everything wrong with a config, each naming the field and the rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.problems.iter().map(|p| if p.field.is_empty() { p.problem.clone() } else { format!("`{}`: {}", p.field, p.problem) }).collect::<Vec<_>>().join("; "))]
pub struct ConfigError {
    /// The problems, in schema order.
    pub problems: Vec<ConfigProblem>,
}

impl ConfigError {
    fn one(field: &str, problem: impl Into<String>) -> Self {
        ConfigError {
            problems: vec![ConfigProblem {
                field: field.into(),
                problem: problem.into(),
            }],
        }
    }
}

impl ConfigSchema {
    /// Compiles a manifest's `config-schema`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let document: Value = serde_json::from_str(text)
            .map_err(|e| format!("the config schema is not JSON: {e}"))?;
        let validator = jsonschema::validator_for(&document)
            .map_err(|e| format!("the config schema is not a valid JSON Schema: {e}"))?;
        let secret_fields = document
            .get("properties")
            .and_then(Value::as_object)
            .map(|props| {
                props
                    .iter()
                    .filter(|(_, p)| p.get("writeOnly").and_then(Value::as_bool) == Some(true))
                    .map(|(name, _)| name.clone())
                    .collect()
            })
            .unwrap_or_default();
        Ok(ConfigSchema {
            validator,
            secret_fields,
            document,
        })
    }

    /// The schema document.
    pub fn document(&self) -> &Value {
        &self.document
    }

    /// The top-level fields marked `writeOnly`.
    pub fn secret_fields(&self) -> &[String] {
        &self.secret_fields
    }

    /// Whether `field` is a top-level property of the schema.
    pub fn has_field(&self, field: &str) -> bool {
        self.document
            .get("properties")
            .and_then(|p| p.get(field))
            .is_some()
    }

    /// Checks a config, naming every field that breaks a rule. Secret
    /// values never appear in the messages.
    pub fn validate(&self, config: &Value) -> Result<(), ConfigError> {
        if !config.is_object() {
            return Err(ConfigError::one("", "the config must be a JSON object"));
        }
        let redactor = self.redactor(config);
        let mut problems: Vec<ConfigProblem> = self
            .validator
            .iter_errors(config)
            .map(|e| {
                let mut field = e
                    .instance_path()
                    .to_string()
                    .trim_start_matches('/')
                    .to_owned();
                if let jsonschema::error::ValidationErrorKind::Required { property } = e.kind() {
                    let name = property
                        .as_str()
                        .map(str::to_owned)
                        .unwrap_or_else(|| property.to_string());
                    field = if field.is_empty() {
                        name
                    } else {
                        format!("{field}/{name}")
                    };
                    return ConfigProblem {
                        field,
                        problem: "is required".into(),
                    };
                }
                let problem = if self.secret_fields.contains(&field) {
                    describe_kind_without_value(e.kind())
                } else {
                    redactor.text(&e.to_string())
                };
                ConfigProblem { field, problem }
            })
            .collect();
        problems.dedup();
        if problems.is_empty() {
            Ok(())
        } else {
            Err(ConfigError { problems })
        }
    }

    /// Splits a valid config: the connector's copy, with each secret value
    /// replaced by [`SECRET_PLACEHOLDER`], and the secrets.
    pub fn split_secrets(&self, config: &Value) -> (Map<String, Value>, HashMap<String, Secret>) {
        let mut visible = config.as_object().cloned().unwrap_or_default();
        let mut secrets = HashMap::new();
        for field in &self.secret_fields {
            if let Some(value) = visible.get_mut(field) {
                if let Value::String(s) = value {
                    secrets.insert(field.clone(), Secret::new(s.as_str()));
                }
                *value = Value::String(SECRET_PLACEHOLDER.to_owned());
            }
        }
        (visible, secrets)
    }

    fn redactor(&self, config: &Value) -> Redactor {
        let mut r = Redactor::default();
        for field in &self.secret_fields {
            if let Some(Value::String(s)) = config.get(field) {
                r.add_secret(s);
            }
        }
        r
    }
}

/// A rule broken by a secret field, without quoting the value.
fn describe_kind_without_value(kind: &jsonschema::error::ValidationErrorKind) -> String {
    use jsonschema::error::ValidationErrorKind as K;
    match kind {
        K::Type { .. } => "must be a string".into(),
        K::MinLength { limit } => format!("must be at least {limit} characters long"),
        K::MaxLength { limit } => format!("must be at most {limit} characters long"),
        K::Pattern { pattern } => format!("must match the pattern {pattern}"),
        _ => "is not a valid value".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema() -> ConfigSchema {
        ConfigSchema::parse(
            &json!({
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "type": "object",
                "properties": {
                    "site": { "type": "string", "pattern": "^[a-z0-9-]+$" },
                    "email": { "type": "string", "format": "email" },
                    "api_token": { "type": "string", "minLength": 8, "writeOnly": true },
                    "limit": { "type": "integer", "minimum": 1 }
                },
                "required": ["site", "api_token"],
                "additionalProperties": false
            })
            .to_string(),
        )
        .unwrap()
    }

    #[test]
    fn errors_name_the_field_and_the_rule() {
        let s = schema();
        assert_eq!(s.secret_fields(), ["api_token"]);
        let err = s
            .validate(&json!({"site": "Acme!", "limit": 0, "api_token": "short", "extra": 1}))
            .unwrap_err();
        let fields: Vec<&str> = err.problems.iter().map(|p| p.field.as_str()).collect();
        assert!(fields.contains(&"site"), "{err}");
        assert!(fields.contains(&"limit"), "{err}");
        assert!(fields.contains(&"api_token"), "{err}");
        assert!(
            !err.to_string().contains("short"),
            "secret value leaked: {err}"
        );
        let missing = s.validate(&json!({})).unwrap_err();
        assert_eq!(
            missing.problems,
            vec![
                ConfigProblem {
                    field: "site".into(),
                    problem: "is required".into()
                },
                ConfigProblem {
                    field: "api_token".into(),
                    problem: "is required".into()
                },
            ]
        );
        assert!(s.validate(&json!([])).is_err());
        assert!(
            s.validate(&json!({"site": "acme", "api_token": "longenough"}))
                .is_ok()
        );
    }

    #[test]
    fn secrets_are_split_out() {
        let s = schema();
        let (visible, secrets) =
            s.split_secrets(&json!({"site": "acme", "api_token": "t0ps3cret"}));
        assert_eq!(
            Value::Object(visible.clone()),
            json!({"site": "acme", "api_token": SECRET_PLACEHOLDER})
        );
        assert!(
            s.validate(&Value::Object(visible)).is_ok(),
            "what the connector receives is valid against its schema"
        );
        assert_eq!(secrets["api_token"].expose(), "t0ps3cret");
    }
}
