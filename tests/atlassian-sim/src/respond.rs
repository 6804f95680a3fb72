//! Building answers: JSON bodies, each API family's error shape, and
//! opaque cursors.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use serde_json::json;

/// A handler's result: the answer, or an error answer already shaped.
pub type Reply = Result<Response, Response>;

/// A JSON answer with `status`.
pub fn json<T: Serialize + ?Sized>(status: u16, body: &T) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => raw_json(status, bytes),
        Err(e) => raw_json(
            500,
            format!("{{\"message\":\"serialisation failed: {e}\"}}").into_bytes(),
        ),
    }
}

/// `200 OK` with a JSON body.
pub fn ok<T: Serialize + ?Sized>(body: &T) -> Reply {
    Ok(json(200, body))
}

/// A JSON answer from bytes already serialised.
pub fn raw_json(status: u16, bytes: Vec<u8>) -> Response {
    let mut response = (status_code(status), bytes).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json;charset=UTF-8"),
    );
    response
}

/// An empty answer (`204 No Content`, say).
pub fn empty(status: u16) -> Response {
    status_code(status).into_response()
}

fn status_code(status: u16) -> StatusCode {
    StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

/// The Admin API's error shape:
/// `{"errors":[{"id","status","code","title","detail"}]}`.
pub fn admin_error(status: u16, code: &str, title: &str, detail: &str) -> Response {
    json(
        status,
        &json!({ "errors": [{
            "id": format!("{:016x}", crate::rng::mix(code.len() as u64 ^ u64::from(status))),
            "status": status.to_string(),
            "code": code,
            "title": title,
            "detail": detail,
        }]}),
    )
}

/// The Atlassian API gateway's shape for 401 and 429:
/// `{"code":401,"message":"..."}`.
pub fn gateway_error(status: u16, message: &str) -> Response {
    json(status, &json!({ "code": status, "message": message }))
}

/// SCIM's error shape (RFC 7644).
pub fn scim_error(status: u16, scim_type: Option<&str>, detail: &str) -> Response {
    let mut body = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
        "status": status.to_string(),
        "detail": detail,
    });
    if let Some(t) = scim_type {
        body["scimType"] = json!(t);
    }
    let mut response = json(status, &body);
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/scim+json"),
    );
    response
}

/// Jira's ErrorCollection: `{"errorMessages":[..],"errors":{}}`.
pub fn jira_error(status: u16, message: &str) -> Response {
    json(status, &json!({ "errorMessages": [message], "errors": {} }))
}

/// Confluence v1's error shape.
pub fn confluence_error(status: u16, reason: &str, message: &str) -> Response {
    json(
        status,
        &json!({
            "statusCode": status,
            "data": { "authorized": status != 401 && status != 403, "valid": true, "errors": [], "successful": false },
            "message": message,
            "reason": reason,
        }),
    )
}

/// Confluence v2's error shape.
pub fn confluence_v2_error(status: u16, code: &str, title: &str) -> Response {
    json(
        status,
        &json!({ "errors": [{ "status": status, "code": code, "title": title, "detail": null }] }),
    )
}

/// Trello's answers to errors: plain text, as the real API sends (`invalid
/// token`, `unauthorized permission requested`, `model not found`).
pub fn trello_error(status: u16, text: &str) -> Response {
    let mut response = (status_code(status), text.to_owned()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

/// Bitbucket's error shape: `{"type":"error","error":{"message":..}}`.
pub fn bitbucket_error(status: u16, message: &str, detail: Option<&str>) -> Response {
    let mut error = json!({ "message": message });
    if let Some(d) = detail {
        error["detail"] = json!(d);
    }
    json(status, &json!({ "type": "error", "error": error }))
}

/// An opaque cursor for position `offset` of a listing.
pub fn cursor(offset: usize) -> String {
    URL_SAFE_NO_PAD.encode(format!("sim:{offset}"))
}

/// The position a cursor stands for; none if it is not one of ours.
pub fn parse_cursor(cursor: &str) -> Option<usize> {
    let bytes = URL_SAFE_NO_PAD.decode(cursor).ok()?;
    std::str::from_utf8(&bytes)
        .ok()?
        .strip_prefix("sim:")?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_foreign_ones_are_refused() {
        assert_eq!(parse_cursor(&cursor(12_345)), Some(12_345));
        assert_eq!(parse_cursor("garbage"), None);
        assert_eq!(parse_cursor(""), None);
    }
}
