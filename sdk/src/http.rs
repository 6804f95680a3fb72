//! HTTP through the host: a request builder, JSON helpers, and the mapping
//! from upstream statuses to [`Error`]s, with the upstream's own message.

use crate::bindings::roster::connector::http as wit;
use crate::{Error, Result};
use serde::Serialize;
use serde::de::DeserializeOwned;
use url::Url;

pub use wit::{HttpError, Method};

/// Reads the human message out of an upstream's error body, or `None` when
/// the body is not in one of that upstream's shapes (then
/// [`upstream_message`] reads it). Set one with
/// [`Request::error_reader`] for an API whose error bodies have shapes of
/// their own.
pub type ErrorReader = fn(&[u8]) -> Option<String>;

/// The reader of requests that name none: every body is left to
/// [`upstream_message`].
fn no_reader(_: &[u8]) -> Option<String> {
    None
}

/// An outbound request. Build it, then [`send`](Request::send) it for the raw
/// answer or [`fetch`](Request::fetch) / [`fetch_json`](Request::fetch_json)
/// to turn error statuses into [`Error`]s.
#[derive(Debug, Clone)]
pub struct Request {
    raw: wit::Request,
    errors: ErrorReader,
}

impl Request {
    /// A request with the given method and absolute URL.
    pub fn new(method: Method, url: impl AsRef<str>) -> Self {
        Request {
            raw: wit::Request {
                method,
                url: url.as_ref().to_owned(),
                headers: vec![("accept".into(), "application/json".into())],
                body: None,
                auth: None,
            },
            errors: no_reader,
        }
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
        if let Ok(mut url) = Url::parse(&self.raw.url) {
            url.query_pairs_mut().extend_pairs(pairs);
            self.raw.url = url.into();
        }
        self
    }

    /// Sets the query parameter `name` to `value`: in place of its first
    /// occurrence (dropping any others), or appended when the URL has none.
    /// What a paging helper uses to ask for another page of the same
    /// listing.
    pub fn set_query(mut self, name: &str, value: &str) -> Self {
        let Ok(mut url) = Url::parse(&self.raw.url) else {
            return self;
        };
        let mut pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        match pairs.iter().position(|(k, _)| k == name) {
            Some(at) => {
                pairs[at].1 = value.to_owned();
                let mut seen = false;
                pairs.retain(|(k, _)| k != name || !std::mem::replace(&mut seen, true));
                url.query_pairs_mut().clear().extend_pairs(pairs);
            }
            None => {
                url.query_pairs_mut().append_pair(name, value);
            }
        }
        self.raw.url = url.into();
        self
    }

    /// The same request (method, headers, body, credential) at another
    /// absolute URL: the next page of a listing whose pages link to each
    /// other.
    pub fn at(mut self, url: impl AsRef<str>) -> Self {
        self.raw.url = url.as_ref().to_owned();
        self
    }

    /// Adds a header (credentials go through [`auth`](Request::auth)).
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.raw.headers.push((name.into(), value.into()));
        self
    }

    /// Sets a JSON body and its content type (replacing a JSON body set
    /// before).
    pub fn json<T: Serialize + ?Sized>(mut self, body: &T) -> Self {
        // Serialising plain data to a Vec cannot fail.
        self.raw.body = serde_json::to_vec(body).ok();
        let json = "application/json";
        if !self
            .raw
            .headers
            .iter()
            .any(|(k, v)| k.eq_ignore_ascii_case("content-type") && v == json)
        {
            self = self.header("content-type", json);
        }
        self
    }

    /// Sets a raw body.
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.raw.body = Some(body.into());
        self
    }

    /// Asks the host to attach the manifest credential with this id.
    pub fn auth(mut self, credential: &str) -> Self {
        self.raw.auth = Some(credential.into());
        self
    }

    /// Reads the messages of this request's error answers with `reader`
    /// (falling back to [`upstream_message`]), for an upstream whose error
    /// bodies have shapes of their own.
    pub fn error_reader(mut self, reader: ErrorReader) -> Self {
        self.errors = reader;
        self
    }

    /// The method.
    pub fn method(&self) -> Method {
        self.raw.method
    }

    /// The URL.
    pub fn url(&self) -> &str {
        &self.raw.url
    }

    /// The body, if any.
    pub fn body_bytes(&self) -> Option<&[u8]> {
        self.raw.body.as_deref()
    }

    /// The id of the manifest credential the host will attach, if any.
    pub fn credential(&self) -> Option<&str> {
        self.raw.auth.as_deref()
    }

    /// Sends the request; any status is a response.
    pub fn send(&self) -> Result<Response, HttpError> {
        wit::send(&self.raw).map(|raw| self.answer(raw))
    }

    fn answer(&self, raw: wit::Response) -> Response {
        Response {
            raw,
            errors: self.errors,
        }
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

/// Requests the host runs in one [`send_all`] batch by default; it refuses
/// those past it, unsent.
pub const MAX_BATCH: usize = 500;

/// Sends a batch concurrently (within the upstream's budget) and returns the
/// answers in request order. Use it to fan out, one request per account.
/// At most [`MAX_BATCH`] requests a batch, whose answers together stay
/// within half the instance's memory cap (past it, `too-large`).
pub fn send_all(requests: &[Request]) -> Vec<Result<Response, HttpError>> {
    let raw: Vec<wit::Request> = requests.iter().map(|r| r.raw.clone()).collect();
    wit::send_all(&raw)
        .into_iter()
        .zip(requests)
        .map(|(answer, request)| answer.map(|raw| request.answer(raw)))
        .collect()
}

/// An upstream's answer.
#[derive(Debug, Clone)]
pub struct Response {
    raw: wit::Response,
    errors: ErrorReader,
}

impl Response {
    /// An answer with this status, headers (lowercase names) and body, as
    /// if the host had received it: for a connector's unit tests.
    pub fn new(status: u16, headers: Vec<(String, String)>, body: impl Into<Vec<u8>>) -> Self {
        Response {
            raw: wit::Response {
                status,
                headers,
                body: body.into(),
            },
            errors: no_reader,
        }
    }

    /// Reads the message of this answer's error body with `reader`, as
    /// [`Request::error_reader`] does for the answers of a request.
    pub fn error_reader(mut self, reader: ErrorReader) -> Self {
        self.errors = reader;
        self
    }

    /// The HTTP status.
    pub fn status(&self) -> u16 {
        self.raw.status
    }

    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.raw.status)
    }

    /// The first value of a header (names are lowercase).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.raw
            .headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body.
    pub fn bytes(&self) -> &[u8] {
        &self.raw.body
    }

    /// The body as text (invalid UTF-8 replaced).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.raw.body).into_owned()
    }

    /// Decodes the body as JSON, naming where decoding failed.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T> {
        serde_json::from_slice(&self.raw.body).map_err(|e| {
            Error::invalid_response(format_args!(
                "{} body does not have the expected shape: {e}",
                self.raw.status
            ))
        })
    }

    /// The upstream's own message in this (error) answer: what the request's
    /// [`ErrorReader`] finds in the body, else [`upstream_message`]; at most
    /// [`MESSAGE_CHARS`] characters.
    pub fn message(&self) -> String {
        match (self.errors)(&self.raw.body) {
            Some(text) => text.chars().take(MESSAGE_CHARS).collect(),
            None => upstream_message(&self.raw.body),
        }
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
        let message = self.message();
        match self.raw.status {
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

/// Most characters of an upstream's message kept in an [`Error`]: enough
/// for any real explanation, short enough that an HTML error page does not
/// flood the operator's terminal.
pub const MESSAGE_CHARS: usize = 300;

/// The human message of an error body in the shapes most APIs share: the
/// JSON fields `detail` (SCIM, RFC 7807 problems), `message` and `error`
/// (when a string), joined with `; `; else the JSON itself, or the start of
/// a text body. At most [`MESSAGE_CHARS`] characters.
pub fn upstream_message(body: &[u8]) -> String {
    let Ok(json) = serde_json::from_slice::<serde_json::Value>(body) else {
        let text = String::from_utf8_lossy(body);
        let text = text.trim();
        return if text.is_empty() {
            "(empty body)".into()
        } else {
            text.chars().take(MESSAGE_CHARS).collect()
        };
    };
    let parts: Vec<&str> = ["detail", "message", "error"]
        .iter()
        .filter_map(|key| json.get(key)?.as_str())
        .collect();
    let text = if parts.is_empty() {
        json.to_string()
    } else {
        parts.join("; ")
    };
    text.chars().take(MESSAGE_CHARS).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generic_messages() {
        let cases: &[(&str, &str)] = &[
            (
                r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"409","detail":"User exists"}"#,
                "User exists",
            ),
            (
                r#"{"error":"API_TOKEN_LIMIT_EXCEEDED","message":"Rate limit exceeded"}"#,
                "Rate limit exceeded; API_TOKEN_LIMIT_EXCEEDED",
            ),
            (r#"{"code":7}"#, r#"{"code":7}"#),
            (
                r#"{"error":{"message":"nested"}}"#,
                r#"{"error":{"message":"nested"}}"#,
            ),
            ("<html>Bad gateway</html>", "<html>Bad gateway</html>"),
            ("  ", "(empty body)"),
            ("", "(empty body)"),
        ];
        for (body, want) in cases {
            assert_eq!(upstream_message(body.as_bytes()), *want, "{body}");
        }
        let long = "x".repeat(1000);
        assert_eq!(upstream_message(long.as_bytes()).len(), MESSAGE_CHARS);
    }

    fn shouting(body: &[u8]) -> Option<String> {
        let text = std::str::from_utf8(body).ok()?.strip_prefix("ERR ")?;
        Some(text.to_uppercase())
    }

    #[test]
    fn statuses_become_errors_with_the_reader_s_message() {
        let answer = |status| Response::new(status, Vec::new(), "ERR no".as_bytes());
        assert_eq!(
            answer(403).error_reader(shouting).to_error(),
            Error::Forbidden("NO".into())
        );
        assert_eq!(
            answer(404).to_error(),
            Error::NotFound("ERR no".into()),
            "without a reader, the generic reading"
        );
        assert_eq!(
            answer(401).error_reader(shouting).to_error(),
            Error::Unauthorized("NO".into())
        );
        let other = Response::new(500, Vec::new(), r#"{"message":"boom"}"#).error_reader(shouting);
        assert_eq!(
            other.to_error(),
            Error::Upstream {
                status: 500,
                message: "boom".into()
            },
            "what the reader does not know falls back"
        );
        let limited = Response::new(429, vec![("retry-after".into(), " 7".into())], "");
        assert_eq!(limited.to_error(), Error::RateLimited(Some(7)));
        assert!(
            Response::new(204, Vec::new(), "")
                .error_for_status()
                .is_ok()
        );
    }

    #[test]
    fn set_query_replaces_or_appends() {
        let r = Request::get("https://x.example/a?limit=5&cursor=1&cursor=2");
        assert_eq!(
            r.clone().set_query("cursor", "n x").url(),
            "https://x.example/a?limit=5&cursor=n+x"
        );
        assert_eq!(
            r.set_query("startAt", "50").url(),
            "https://x.example/a?limit=5&cursor=1&cursor=2&startAt=50"
        );
    }

    #[test]
    fn json_bodies_name_their_type_once() {
        let r = Request::post("https://x.example/a")
            .json(&serde_json::json!({"a": 1}))
            .json(&serde_json::json!({"a": 2}));
        assert_eq!(r.body_bytes(), Some(br#"{"a":2}"#.as_slice()));
        let types = r
            .raw
            .headers
            .iter()
            .filter(|(k, _)| k == "content-type")
            .count();
        assert_eq!(types, 1);
    }
}
