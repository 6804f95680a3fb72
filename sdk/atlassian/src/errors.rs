//! Atlassian error bodies, read into the SDK's typed [`Error`]s.

use roster_sdk::Error;
use serde_json::Value;

/// The message of an error body in one of Atlassian's shapes, or none for
/// a body in none of them (the SDK's
/// [`upstream_message`](roster_sdk::http::upstream_message) then reads it:
/// SCIM's `detail`, Trello's and the proxies' `message`, text):
///
/// - the Admin API and Confluence v2, `{"errors":[{"code","title","detail"}]}`;
/// - Jira and Confluence v1, `{"errorMessages":[...],"errors":{"field":"..."}}`;
/// - Bitbucket, `{"type":"error","error":{"message","detail"}}`.
///
/// The [`ErrorReader`](roster_sdk::http::ErrorReader) of every request a
/// [`Rest`](crate::Rest) builds.
pub fn message(body: &[u8]) -> Option<String> {
    let json: Value = serde_json::from_slice(body).ok()?;
    let text = |v: &Value, key: &str| v.get(key)?.as_str().map(str::to_owned);
    let mut parts: Vec<String> = Vec::new();
    if let Some(errors) = json.get("errors").and_then(Value::as_array) {
        parts.extend(errors.iter().map(|e| {
            [text(e, "code"), text(e, "title"), text(e, "detail")]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(": ")
        }));
    }
    if let Some(messages) = json.get("errorMessages").and_then(Value::as_array) {
        parts.extend(
            messages
                .iter()
                .filter_map(|m| m.as_str().map(str::to_owned)),
        );
    }
    if let Some(errors) = json.get("errors").and_then(Value::as_object) {
        parts.extend(
            errors
                .iter()
                .map(|(k, v)| format!("{k}: {}", v.as_str().unwrap_or_default())),
        );
    }
    if let Some(error) = json.get("error").filter(|e| e.is_object()) {
        parts.extend(text(error, "message"));
        parts.extend(text(error, "detail"));
    }
    parts.retain(|p| !p.is_empty());
    (!parts.is_empty()).then(|| parts.join("; "))
}

/// Names the permission behind a refusal: `what` needs `permission`,
/// which the token's user lacks. For `map_err` on a request whose 403
/// means one missing permission; other errors pass unchanged.
///
/// ```
/// use roster_atlassian::errors::needs;
/// use roster_sdk::Error;
///
/// let refused = Error::Forbidden("You are not authorized".into());
/// let named = needs("the global permission `Administer Jira`", "listing group members")(refused);
/// assert_eq!(
///     named.to_string(),
///     "forbidden: listing group members needs the global permission `Administer Jira`, \
///      which the token's user lacks (You are not authorized)"
/// );
/// ```
pub fn needs(permission: &str, what: &str) -> impl FnOnce(Error) -> Error {
    move |e| match e {
        Error::Forbidden(upstream) => Error::Forbidden(format!(
            "{what} needs {permission}, which the token's user lacks ({upstream})"
        )),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_from_each_atlassian_shape() {
        let cases: &[(&str, &str)] = &[
            (
                r#"{"errors":[{"id":"1","status":"404","code":"ADMIN-404-8","title":"Not Found","detail":"User not found"}]}"#,
                "ADMIN-404-8: Not Found: User not found",
            ),
            (
                r#"{"errors":[{"status":400,"code":"INVALID_REQUEST_PARAMETER","title":"Bad limit","detail":null}]}"#,
                "INVALID_REQUEST_PARAMETER: Bad limit",
            ),
            (
                r#"{"errorMessages":["You are not authorized"],"errors":{}}"#,
                "You are not authorized",
            ),
            (
                r#"{"errorMessages":[],"errors":{"email":"taken"}}"#,
                "email: taken",
            ),
            (
                r#"{"errorMessages":["Bad"],"errors":{"email":"taken","name":"short"}}"#,
                "Bad; email: taken; name: short",
            ),
            (
                r#"{"type":"error","error":{"message":"No such workspace","detail":"acme"}}"#,
                "No such workspace; acme",
            ),
        ];
        for (body, want) in cases {
            assert_eq!(message(body.as_bytes()).as_deref(), Some(*want), "{body}");
        }
    }

    #[test]
    fn other_bodies_are_left_to_the_sdk() {
        for body in [
            r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"detail":"User exists"}"#,
            r#"{"error":"API_TOKEN_LIMIT_EXCEEDED","message":"Rate limit exceeded"}"#,
            r#"{"errorMessages":[],"errors":{}}"#,
            r#"{"errors":[{"id":"1"}]}"#,
            r#"{"error":{}}"#,
            "<html>Bad gateway</html>",
            "",
        ] {
            assert_eq!(message(body.as_bytes()), None, "{body}");
        }
    }

    #[test]
    fn the_whole_reading_matches_what_operators_saw() {
        use roster_sdk::http::Response;
        let read = |body: &str| {
            Response::new(500, Vec::new(), body)
                .error_reader(message)
                .message()
        };
        assert_eq!(
            read(r#"{"error":"API_TOKEN_LIMIT_EXCEEDED","message":"Rate limit exceeded"}"#),
            "Rate limit exceeded; API_TOKEN_LIMIT_EXCEEDED"
        );
        assert_eq!(
            read(r#"{"errorMessages":[],"errors":{}}"#),
            r#"{"errorMessages":[],"errors":{}}"#
        );
        assert_eq!(read(""), "(empty body)");
        assert_eq!(
            read(&format!(r#"{{"errorMessages":["{}"]}}"#, "x".repeat(400))).len(),
            roster_sdk::http::MESSAGE_CHARS
        );
    }

    #[test]
    fn needs_names_the_permission_of_a_refusal_only() {
        let named = needs("site administration", "removing a user")(Error::Forbidden("no".into()));
        assert_eq!(
            named,
            Error::Forbidden(
                "removing a user needs site administration, which the token's user lacks (no)"
                    .into()
            )
        );
        let other = Error::NotFound("gone".into());
        assert_eq!(needs("x", "y")(other.clone()), other);
    }
}
