//! Jira's and Confluence's `PageBean`: `startAt`/`maxResults` positions,
//! with a `total` and `isLast` when the endpoint counts.

use super::listings::Planned;
use roster_sdk::Result;
use roster_sdk::http::Request;
use roster_sdk::paging::Paged;
use serde::Deserialize;
use serde::de::DeserializeOwned;

/// A `PageBean`: `{"startAt","maxResults","total","isLast","values":[...]}`.
/// The next page's request sets `startAt` and keeps the rest.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PageBean<T> {
    /// Position of the page's first item.
    #[serde(default)]
    pub start_at: u64,
    /// Most items a page holds, as the server applied it: it may be less
    /// than was asked.
    #[serde(default)]
    pub max_results: u64,
    /// Items in every page, when the endpoint counts them.
    #[serde(default)]
    pub total: Option<u64>,
    /// Whether this is the last page, when the endpoint says.
    #[serde(default)]
    pub is_last: Option<bool>,
    /// The page's items.
    #[serde(default = "Vec::new")]
    pub values: Vec<T>,
}

impl<T> PageBean<T> {
    /// Positions a page spans: the server's own `maxResults`, and at least
    /// the items this page holds. A page may hold fewer (Jira drops
    /// inactive members after paging), so positions follow `maxResults`,
    /// not the count of items.
    pub fn step(&self) -> u64 {
        self.max_results.max(self.values.len() as u64).max(1)
    }

    /// Where the next page starts; none at the end: an empty page, `isLast`,
    /// or (without `isLast`) the total reached. A page shorter than asked is
    /// not the end.
    pub fn next_start(&self) -> Option<u64> {
        if self.values.is_empty() || self.is_last == Some(true) {
            return None;
        }
        let next = self.start_at + self.step();
        match (self.is_last, self.total) {
            (None, Some(total)) => (next < total).then_some(next),
            _ => Some(next),
        }
    }

    /// Where each page after this one starts, known from the total: none
    /// at the end, and none without a total (then only
    /// [`next_start`](PageBean::next_start) tells).
    pub fn following_starts(&self) -> Vec<u64> {
        let (Some(first), Some(total)) = (self.next_start(), self.total) else {
            return Vec::new();
        };
        (first..total).step_by(self.step() as usize).collect()
    }

    /// The requests for every page after this one, from the total:
    /// `request` (which produced this page) at each following `startAt`.
    pub fn following(&self, request: &Request) -> Vec<Request> {
        self.following_starts()
            .into_iter()
            .map(|start| at(request, start))
            .collect()
    }
}

/// `request` asking for the page at `start`.
fn at(request: &Request, start: u64) -> Request {
    request.clone().set_query("startAt", &start.to_string())
}

impl<T: DeserializeOwned> Paged for PageBean<T> {
    type Item = T;

    fn split(self, request: &Request) -> Result<(Vec<T>, Option<Request>)> {
        let next = self.next_start().map(|start| at(request, start));
        Ok((self.values, next))
    }
}

/// A `PageBean`'s count plans every page after the first.
impl<T: DeserializeOwned> Planned for PageBean<T> {
    fn following(&self, request: &Request) -> Vec<Request> {
        PageBean::following(self, request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bean(json: &str) -> PageBean<u8> {
        serde_json::from_str(json).unwrap()
    }

    fn first() -> Request {
        Request::get("https://acme.atlassian.net/rest/api/3/group/member?groupId=g&maxResults=100")
    }

    fn starts(requests: &[Request]) -> Vec<String> {
        requests
            .iter()
            .map(|r| r.url().rsplit("startAt=").next().unwrap_or("").to_owned())
            .collect()
    }

    #[test]
    fn a_page_capped_below_what_was_asked_is_not_the_last() {
        // Asked for 100, the server capped pages at 50 and says so.
        let page =
            bean(r#"{"startAt":0,"maxResults":50,"total":120,"isLast":false,"values":[1,2,3]}"#);
        assert_eq!(page.next_start(), Some(50));
        assert_eq!(page.following_starts(), [50, 100]);
        assert_eq!(starts(&page.following(&first())), ["50", "100"]);
        let (items, next) = page.split(&first()).unwrap();
        assert_eq!(items, [1, 2, 3]);
        assert_eq!(
            next.unwrap().url(),
            "https://acme.atlassian.net/rest/api/3/group/member?groupId=g&maxResults=100&startAt=50"
        );
    }

    #[test]
    fn a_page_shorter_than_its_own_max_is_not_the_last_either() {
        // Jira drops inactive members after paging: 2 items, 50 positions.
        let page = bean(r#"{"startAt":50,"maxResults":50,"total":160,"values":[1,2]}"#);
        assert_eq!(page.next_start(), Some(100));
        assert_eq!(page.following_starts(), [100, 150]);
        // Without a total or isLast, only an empty page ends.
        let page = bean(r#"{"startAt":0,"maxResults":50,"values":[1]}"#);
        assert_eq!(page.next_start(), Some(50));
        assert!(page.following_starts().is_empty());
        assert_eq!(bean(r#"{"startAt":50,"values":[]}"#).next_start(), None);
    }

    #[test]
    fn exact_multiples_end_at_the_total() {
        let last = bean(r#"{"startAt":50,"maxResults":50,"total":100,"isLast":true,"values":[1]}"#);
        assert_eq!(last.next_start(), None);
        assert!(last.split(&first()).unwrap().1.is_none());
        let counted = bean(r#"{"startAt":50,"maxResults":50,"total":100,"values":[1]}"#);
        assert_eq!(counted.next_start(), None, "no isLast: the total decides");
        let whole =
            bean(r#"{"startAt":0,"maxResults":50,"total":100,"isLast":false,"values":[1]}"#);
        assert_eq!(
            whole.following_starts(),
            [50],
            "the last full page, no empty one"
        );
    }

    #[test]
    fn is_last_is_believed_over_a_total() {
        let page = bean(r#"{"startAt":0,"maxResults":50,"total":100,"isLast":true,"values":[1]}"#);
        assert_eq!(page.next_start(), None);
        let page = bean(r#"{"startAt":0,"maxResults":50,"total":10,"isLast":false,"values":[1]}"#);
        assert_eq!(page.next_start(), Some(50));
    }

    #[test]
    fn a_later_page_replaces_start_at() {
        let second = at(&first(), 50);
        assert_eq!(starts(&[at(&second, 100)]), ["100"]);
        assert_eq!(at(&second, 100).url().matches("startAt").count(), 1);
    }
}
