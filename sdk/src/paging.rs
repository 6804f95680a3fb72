//! Cursors for the paging styles Atlassian's APIs use. Each helper turns an
//! upstream page into the opaque `next-cursor` the host stores, so that a
//! connector returns one upstream page per call and never stops early.

use crate::{Error, Result};
use serde::Deserialize;
use url::Url;

/// `{"data":[...],"links":{"next":...}}`: the Admin API's cursor paging.
/// `links.next` is a cursor token, or on some endpoints a URL carrying a
/// `cursor` parameter; [`next_cursor`](LinksPage::next_cursor) accepts both.
#[derive(Debug, Deserialize)]
pub struct LinksPage<T> {
    /// The page's items.
    pub data: Vec<T>,
    /// Links to neighbouring pages.
    #[serde(default)]
    pub links: Links,
}

/// The `links` object of a [`LinksPage`].
#[derive(Debug, Default, Deserialize)]
pub struct Links {
    /// The next page, if any.
    #[serde(default)]
    pub next: Option<String>,
}

impl<T> LinksPage<T> {
    /// The cursor of the next page; none at the end.
    pub fn next_cursor(&self) -> Option<String> {
        self.links.next_cursor()
    }
}

impl Links {
    /// The cursor of the next page; none at the end. For answers whose
    /// `data` is one object rather than a list, such as the Admin API's
    /// last-active dates.
    pub fn next_cursor(&self) -> Option<String> {
        let next = self.next.as_deref().filter(|n| !n.is_empty())?;
        match Url::parse(next) {
            Ok(url) => url
                .query_pairs()
                .find(|(k, _)| k == "cursor")
                .map(|(_, v)| v.into_owned()),
            Err(_) => Some(next.to_owned()),
        }
    }
}

/// An offset cursor for APIs paged by position: Jira's
/// `startAt`/`maxResults` (bare arrays, ending with an empty page),
/// Confluence's `start`/`limit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Offset(pub u64);

impl Offset {
    /// Reads the host's cursor (none means the start).
    pub fn from_cursor(cursor: Option<&str>) -> Result<Self> {
        match cursor {
            None => Ok(Offset(0)),
            Some(c) => c
                .parse()
                .map(Offset)
                .map_err(|_| Error::Internal(format!("cursor `{c}` is not an offset"))),
        }
    }

    /// The next cursor for a bare-array API that ends with an empty page:
    /// more may follow as long as this page was not empty. Stopping at a
    /// short page would be wrong, since servers may cap the page size below
    /// what was asked.
    pub fn next_until_empty(self, items_on_page: usize) -> Option<String> {
        (items_on_page > 0).then(|| (self.0 + items_on_page as u64).to_string())
    }

    /// The next cursor when the upstream reports the total.
    pub fn next_until_total(self, items_on_page: usize, total: u64) -> Option<String> {
        let next = self.0 + items_on_page as u64;
        (items_on_page > 0 && next < total).then(|| next.to_string())
    }
}

/// A SCIM list response: `startIndex` is 1-based and `totalResults` counts
/// every match.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScimPage<T> {
    /// Number of matches in all pages.
    pub total_results: u64,
    /// 1-based index of the first item of this page.
    #[serde(default = "one")]
    pub start_index: u64,
    /// The page's items.
    #[serde(rename = "Resources", default = "Vec::new")]
    pub resources: Vec<T>,
}

fn one() -> u64 {
    1
}

impl<T> ScimPage<T> {
    /// The 1-based `startIndex` to ask for from the host's cursor.
    pub fn start_from_cursor(cursor: Option<&str>) -> Result<u64> {
        Offset::from_cursor(cursor).map(|o| o.0.max(1))
    }

    /// The cursor (next `startIndex`) of the next page; none at the end.
    pub fn next_cursor(&self) -> Option<String> {
        let next = self.start_index + self.resources.len() as u64;
        (!self.resources.is_empty() && next <= self.total_results).then(|| next.to_string())
    }
}

/// A Bitbucket page: `{"values":[...],"next":"<absolute URL>"}`. The cursor
/// is the URL itself; the host still checks it against the allowlist.
#[derive(Debug, Deserialize)]
pub struct NextUrlPage<T> {
    /// The page's items.
    pub values: Vec<T>,
    /// Absolute URL of the next page, if any.
    #[serde(default)]
    pub next: Option<String>,
}

impl<T> NextUrlPage<T> {
    /// The next page's URL; none at the end.
    pub fn next_cursor(&self) -> Option<String> {
        self.next.clone().filter(|n| !n.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_cursor_token_or_url() {
        let token: LinksPage<u8> =
            serde_json::from_str(r#"{"data":[1],"links":{"next":"abc=="}}"#).unwrap();
        assert_eq!(token.next_cursor().as_deref(), Some("abc=="));
        let url: LinksPage<u8> = serde_json::from_str(
            r#"{"data":[1],"links":{"next":"https://api.example/v1/orgs/o/users?cursor=x%2By"}}"#,
        )
        .unwrap();
        assert_eq!(url.next_cursor().as_deref(), Some("x+y"));
        let end: LinksPage<u8> =
            serde_json::from_str(r#"{"data":[],"links":{"self":"a","next":null}}"#).unwrap();
        assert_eq!(end.next_cursor(), None);
        let bare: LinksPage<u8> = serde_json::from_str(r#"{"data":[]}"#).unwrap();
        assert_eq!(bare.next_cursor(), None);
    }

    #[test]
    fn offsets_run_until_empty_or_total() {
        let o = Offset::from_cursor(None).unwrap();
        assert_eq!(o.next_until_empty(50).as_deref(), Some("50"));
        let o = Offset::from_cursor(Some("100")).unwrap();
        assert_eq!(o.next_until_empty(3).as_deref(), Some("103"));
        assert_eq!(o.next_until_empty(0), None);
        assert_eq!(o.next_until_total(50, 150), None);
        assert_eq!(o.next_until_total(25, 150).as_deref(), Some("125"));
        assert!(Offset::from_cursor(Some("x")).is_err());
    }

    #[test]
    fn scim_pages_end_at_total() {
        let page: ScimPage<u8> = serde_json::from_str(
            r#"{"totalResults":5,"startIndex":4,"itemsPerPage":2,"Resources":[1,2]}"#,
        )
        .unwrap();
        assert_eq!(page.next_cursor(), None);
        let page: ScimPage<u8> = serde_json::from_str(
            r#"{"totalResults":5,"startIndex":1,"itemsPerPage":2,"Resources":[1,2]}"#,
        )
        .unwrap();
        assert_eq!(page.next_cursor().as_deref(), Some("3"));
        assert_eq!(ScimPage::<u8>::start_from_cursor(None).unwrap(), 1);
    }

    #[test]
    fn next_url_pages() {
        let page: NextUrlPage<u8> =
            serde_json::from_str(r#"{"values":[1],"next":"https://x/2.0/w?page=2"}"#).unwrap();
        assert_eq!(
            page.next_cursor().as_deref(),
            Some("https://x/2.0/w?page=2")
        );
        let last: NextUrlPage<u8> = serde_json::from_str(r#"{"values":[1]}"#).unwrap();
        assert_eq!(last.next_cursor(), None);
    }
}
