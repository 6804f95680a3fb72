//! The Admin API's cursor paging: `{"data":[...],"links":{"next":...}}`.

use roster_sdk::http::{Method, Request};
use roster_sdk::paging::Paged;
use roster_sdk::{Error, Result, Url};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

/// An Admin API page. The next page's request carries the cursor as
/// `?cursor=` (a `GET`) or as a `cursor` field beside the body's others (a
/// `POST` search); see [`CursorOnlyPage`] for a listing that takes the
/// cursor alone.
#[derive(Debug, Deserialize)]
pub struct LinksPage<T> {
    /// The page's items.
    pub data: Vec<T>,
    /// Links to neighbouring pages.
    #[serde(default)]
    pub links: Links,
}

/// The `links` of an Admin API answer.
#[derive(Debug, Default, Deserialize)]
pub struct Links {
    /// The next page, if any: a cursor token, or on some endpoints a URL
    /// with a `cursor` parameter.
    #[serde(default)]
    pub next: Option<String>,
}

impl Links {
    /// The cursor of the next page; none at the end. A `next` that is an
    /// `http(s)` URL gives its `cursor` parameter; one without is an error
    /// rather than the end, which would silently cut the listing short.
    pub fn next_cursor(&self) -> Result<Option<String>> {
        let Some(next) = self.next.as_deref().filter(|n| !n.is_empty()) else {
            return Ok(None);
        };
        match Url::parse(next) {
            Ok(url) if matches!(url.scheme(), "http" | "https") => url
                .query_pairs()
                .find(|(k, _)| k == "cursor")
                .map(|(_, v)| Some(v.into_owned()))
                .ok_or_else(|| {
                    Error::invalid_response(format_args!(
                        "the next page's link `{next}` has no `cursor` parameter"
                    ))
                }),
            _ => Ok(Some(next.to_owned())),
        }
    }

    /// The request for the next page: `request`, which produced this page,
    /// asking for the next cursor (see [`with_cursor`]); none at the end.
    pub fn next_request(&self, request: &Request) -> Result<Option<Request>> {
        self.next_cursor()?
            .map(|cursor| with_cursor(request, &cursor))
            .transpose()
    }
}

impl<T> LinksPage<T> {
    /// The cursor of the next page; none at the end. See
    /// [`Links::next_cursor`].
    pub fn next_cursor(&self) -> Result<Option<String>> {
        self.links.next_cursor()
    }
}

impl<T: DeserializeOwned> Paged for LinksPage<T> {
    type Item = T;

    fn split(self, request: &Request) -> Result<(Vec<T>, Option<Request>)> {
        let next = self.links.next_request(request)?;
        Ok((self.data, next))
    }
}

/// `request` asking for the page at `cursor`: `?cursor=` set for a `GET`
/// or `DELETE`; the JSON body's `cursor` field set, its other fields kept
/// (filters, `limit`, `expand`), for a `POST`, `PUT` or `PATCH`.
pub fn with_cursor(request: &Request, cursor: &str) -> Result<Request> {
    match request.method() {
        Method::Post | Method::Put | Method::Patch => {
            let mut body: Value = match request.body_bytes() {
                Some(bytes) => serde_json::from_slice(bytes).map_err(|e| {
                    Error::Internal(format!("the listing's body is not JSON ({e})"))
                })?,
                None => json!({}),
            };
            let fields = body.as_object_mut().ok_or_else(|| {
                Error::Internal("a cursor goes into a JSON object body, not this one".into())
            })?;
            fields.insert("cursor".into(), cursor.into());
            Ok(request.clone().json(&body))
        }
        _ => Ok(request.clone().set_query("cursor", cursor)),
    }
}

/// A [`LinksPage`] of a `POST` listing that takes the cursor alone: the
/// next page's body is `{"cursor": ...}` and nothing else, as the
/// workspace search wants (with a cursor it refuses any other field).
#[derive(Debug, Deserialize)]
#[serde(transparent)]
pub struct CursorOnlyPage<T>(pub LinksPage<T>);

impl<T: DeserializeOwned> Paged for CursorOnlyPage<T> {
    type Item = T;

    fn split(self, request: &Request) -> Result<(Vec<T>, Option<Request>)> {
        let next = self
            .0
            .next_cursor()?
            .map(|cursor| request.clone().json(&json!({ "cursor": cursor })));
        Ok((self.0.data, next))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(json: &str) -> LinksPage<u8> {
        serde_json::from_str(json).unwrap()
    }

    fn body(request: &Request) -> Value {
        serde_json::from_slice(request.body_bytes().unwrap()).unwrap()
    }

    #[test]
    fn next_is_a_cursor_token_or_a_url_with_a_cursor() {
        let token = page(r#"{"data":[1],"links":{"next":"abc=="}}"#);
        assert_eq!(token.next_cursor().unwrap().as_deref(), Some("abc=="));
        let url = page(
            r#"{"data":[1],"links":{"next":"https://api.example/v1/orgs/o/users?cursor=x%2By"}}"#,
        );
        assert_eq!(url.next_cursor().unwrap().as_deref(), Some("x+y"));
        let bare = page(r#"{"data":[1],"links":{"next":"https://api.example/v1/orgs/o/users"}}"#);
        assert!(matches!(bare.next_cursor(), Err(Error::InvalidResponse(_))));
    }

    #[test]
    fn no_next_is_the_end_even_after_a_full_page() {
        // An exact multiple of the page size: the last full page says no more.
        for json in [
            r#"{"data":[1,2],"links":{"self":"a","next":null}}"#,
            r#"{"data":[1,2],"links":{"next":""}}"#,
            r#"{"data":[]}"#,
        ] {
            let (items, next) = page(json).split(&Request::get("https://x/a")).unwrap();
            assert!(next.is_none(), "{json}");
            assert_eq!(items.len(), page(json).data.len());
        }
    }

    #[test]
    fn a_short_page_with_a_next_is_not_the_end() {
        // Asked for 100, got 1, and a cursor: more follow.
        let short = page(r#"{"data":[1],"links":{"next":"c2"}}"#);
        let get = Request::get("https://api.example/admin/v2/orgs/o/groups?limit=100&cursor=c1");
        let (_, next) = short.split(&get).unwrap();
        assert_eq!(
            next.unwrap().url(),
            "https://api.example/admin/v2/orgs/o/groups?limit=100&cursor=c2"
        );
    }

    #[test]
    fn a_post_search_keeps_its_filters_beside_the_cursor() {
        let search = Request::post("https://api.example/search")
            .json(&json!({"limit": 100, "roleIds": ["atlassian/admin"]}));
        let next = page(r#"{"data":[1],"links":{"next":"c2"}}"#)
            .links
            .next_request(&search)
            .unwrap()
            .unwrap();
        assert_eq!(
            body(&next),
            json!({"cursor": "c2", "limit": 100, "roleIds": ["atlassian/admin"]})
        );
        let again = with_cursor(&next, "c3").unwrap();
        assert_eq!(body(&again)["cursor"], "c3");
        let empty = with_cursor(&Request::post("https://api.example/search"), "c").unwrap();
        assert_eq!(body(&empty), json!({"cursor": "c"}));
        let list = Request::post("https://x/a").json(&json!([1]));
        assert!(with_cursor(&list, "c").is_err());
    }

    #[test]
    fn a_cursor_only_listing_sends_the_cursor_alone() {
        let first = Request::post("https://api.example/admin/v2/orgs/o/workspaces")
            .json(&json!({"limit": 100}));
        let page: CursorOnlyPage<u8> =
            serde_json::from_str(r#"{"data":[1],"links":{"next":"w2"}}"#).unwrap();
        let (items, next) = page.split(&first).unwrap();
        assert_eq!(items, [1]);
        assert_eq!(body(&next.unwrap()), json!({"cursor": "w2"}));
        let last: CursorOnlyPage<u8> = serde_json::from_str(r#"{"data":[]}"#).unwrap();
        assert!(last.split(&first).unwrap().1.is_none());
    }
}
