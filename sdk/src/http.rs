//! HTTP through the host: a request builder, JSON helpers, and the mapping
//! from upstream statuses to [`Error`]s.

use crate::bindings::roster::connector::http as wit;
use crate::{Error, Result};
use serde::Serialize;
use serde::de::DeserializeOwned;
use url::Url;

pub use wit::{HttpError, Method};

/// An outbound request. Build it, then [`send`](Request::send) it for the raw
/// answer or [`fetch`](Request::fetch) / [`fetch_json`](Request::fetch_json)
/// to turn error statuses into [`Error`]s.
#[derive(Debug, Clone)]
pub struct Request(wit::Request);

impl Request {
    /// A request with the given method and absolute URL.
    pub fn new(method: Method, url: impl AsRef<str>) -> Self {
        Request(wit::Request {
            method,
            url: url.as_ref().to_owned(),
            headers: vec![("accept".into(), "application/json".into())],
            body: None,
            auth: None,
        })
    }

    /// A `GET` request.
    pub fn get(url: impl AsRef<str>) -> Self {
        Self::new(Method::Get, url)
    }

    /// A `POST` request.
    pub fn post(url: impl AsRef<str>) -> Self {
        Self::new(Method::Post, url)
    }

    /// A `PUT` request.
    pub fn put(url: impl AsRef<str>) -> Self {
        Self::new(Method::Put, url)
    }

    /// A `PATCH` request.
    pub fn patch(url: impl AsRef<str>) -> Self {
        Self::new(Method::Patch, url)
    }

    /// A `DELETE` request.
    pub fn delete(url: impl AsRef<str>) -> Self {
        Self::new(Method::Delete, url)
    }

    /// Appends query parameters, percent-encoded.
    pub fn query<K: AsRef<str>, V: AsRef<str>>(
        mut self,
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        if let Ok(mut url) = Url::parse(&self.0.url) {
            url.query_pairs_mut().extend_pairs(pairs);
            self.0.url = url.into();
        }
        self
    }

    /// Adds a header (credentials go through [`auth`](Request::auth)).
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.0.headers.push((name.into(), value.into()));
        self
    }

    /// Sets a JSON body and its content type.
    pub fn json<T: Serialize + ?Sized>(mut self, body: &T) -> Self {
        // Serialising plain data to a Vec cannot fail.
        self.0.body = serde_json::to_vec(body).ok();
        self.header("content-type", "application/json")
    }

    /// Sets a raw body.
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.0.body = Some(body.into());
        self
    }

    /// Asks the host to attach the manifest credential with this id.
    pub fn auth(mut self, credential: &str) -> Self {
        self.0.auth = Some(credential.into());
        self
    }

    /// The method.
    pub fn method(&self) -> Method {
        self.0.method
    }

    /// The URL.
    pub fn url(&self) -> &str {
        &self.0.url
    }

    /// The body, if any.
    pub fn body_bytes(&self) -> Option<&[u8]> {
        self.0.body.as_deref()
    }

    /// Sends the request; any status is a response.
    pub fn send(&self) -> Result<Response, HttpError> {
        wit::send(&self.0).map(Response)
    }

    /// Sends the request and turns a non-2xx status into an [`Error`].
    pub fn fetch(&self) -> Result<Response> {
        self.send()?.error_for_status()
    }

    /// Sends the request and decodes a 2xx JSON body.
    pub fn fetch_json<T: DeserializeOwned>(&self) -> Result<T> {
        self.fetch()?.json()
    }
}

/// Sends a batch concurrently (within the upstream's budget) and returns the
/// answers in request order. Use it to fan out, one request per account.
pub fn send_all(requests: &[Request]) -> Vec<Result<Response, HttpError>> {
    let raw: Vec<wit::Request> = requests.iter().map(|r| r.0.clone()).collect();
    wit::send_all(&raw)
        .into_iter()
        .map(|r| r.map(Response))
        .collect()
}

/// An upstream's answer.
#[derive(Debug, Clone)]
pub struct Response(wit::Response);

impl Response {
    /// The HTTP status.
    pub fn status(&self) -> u16 {
        self.0.status
    }

    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.0.status)
    }

    /// The first value of a header (names are lowercase).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.0
            .headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body.
    pub fn bytes(&self) -> &[u8] {
        &self.0.body
    }

    /// The body as text (invalid UTF-8 replaced).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.body).into_owned()
    }

    /// Decodes the body as JSON, naming where decoding failed.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T> {
        serde_json::from_slice(&self.0.body).map_err(|e| {
            Error::invalid_response(format_args!(
                "{} body does not have the expected shape: {e}",
                self.0.status
            ))
        })
    }

    /// `Ok(self)` for 2xx, otherwise the [`Error`] the status means.
    pub fn error_for_status(self) -> Result<Self> {
        if self.is_success() {
            Ok(self)
        } else {
            Err(self.to_error())
        }
    }

    /// The [`Error`] this (non-2xx) response means, with the upstream's own
    /// message: 401 unauthorized, 403 forbidden, 404 not found, 429 rate
    /// limited, anything else an upstream error.
    pub fn to_error(&self) -> Error {
        let message = upstream_message(&self.0.body);
        match self.0.status {
            401 => Error::Unauthorized(message),
            403 => Error::Forbidden(message),
            404 => Error::NotFound(message),
            429 => Error::RateLimited(
                self.header("retry-after")
                    .and_then(|v| v.trim().parse().ok()),
            ),
            status => Error::Upstream { status, message },
        }
    }
}

/// Pulls a human message out of an error body in any of the shapes
/// Atlassian's APIs use, falling back to the start of the text.
pub fn upstream_message(body: &[u8]) -> String {
    const MAX: usize = 300;
    let Ok(json) = serde_json::from_slice::<serde_json::Value>(body) else {
        let text = String::from_utf8_lossy(body);
        let text = text.trim();
        return if text.is_empty() {
            "(empty body)".into()
        } else {
            text.chars().take(MAX).collect()
        };
    };
    let str_at = |v: &serde_json::Value, key: &str| v.get(key)?.as_str().map(str::to_owned);
    let mut parts: Vec<String> = Vec::new();
    // Admin API: {"errors":[{"code","title","detail"}]}
    if let Some(errors) = json.get("errors").and_then(|e| e.as_array()) {
        for e in errors {
            let text = [str_at(e, "code"), str_at(e, "title"), str_at(e, "detail")]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(": ");
            parts.push(text);
        }
    }
    // Jira: {"errorMessages":[..],"errors":{"field":"msg"}}
    if let Some(messages) = json.get("errorMessages").and_then(|e| e.as_array()) {
        parts.extend(
            messages
                .iter()
                .filter_map(|m| m.as_str().map(str::to_owned)),
        );
    }
    if let Some(errors) = json.get("errors").and_then(|e| e.as_object()) {
        parts.extend(
            errors
                .iter()
                .map(|(k, v)| format!("{k}: {}", v.as_str().unwrap_or_default())),
        );
    }
    // Bitbucket: {"error":{"message","detail"}}
    if let Some(error) = json.get("error").filter(|e| e.is_object()) {
        parts.extend(str_at(error, "message"));
        parts.extend(str_at(error, "detail"));
    }
    // SCIM, Trello, proxies: {"detail"} / {"message"} / {"error":"CODE"}
    if parts.is_empty() {
        parts.extend(str_at(&json, "detail"));
        parts.extend(str_at(&json, "message"));
        parts.extend(str_at(&json, "error"));
    }
    let text = if parts.is_empty() {
        json.to_string()
    } else {
        parts.join("; ")
    };
    text.chars().take(MAX).collect()
}

#[cfg(test)]
mod tests {
    use super::upstream_message;

    #[test]
    fn messages_from_each_error_shape() {
        let cases: &[(&str, &str)] = &[
            (
                r#"{"errors":[{"id":"1","status":"404","code":"ADMIN-404-8","title":"Not Found","detail":"User not found"}]}"#,
                "ADMIN-404-8: Not Found: User not found",
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
                r#"{"type":"error","error":{"message":"No such workspace"}}"#,
                "No such workspace",
            ),
            (
                r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"409","detail":"User exists"}"#,
                "User exists",
            ),
            (
                r#"{"error":"API_TOKEN_LIMIT_EXCEEDED","message":"Rate limit exceeded"}"#,
                "Rate limit exceeded; API_TOKEN_LIMIT_EXCEEDED",
            ),
            ("<html>Bad gateway</html>", "<html>Bad gateway</html>"),
            ("", "(empty body)"),
        ];
        for (body, want) in cases {
            assert_eq!(upstream_message(body.as_bytes()), *want, "{body}");
        }
    }
}
