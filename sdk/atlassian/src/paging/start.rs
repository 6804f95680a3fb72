//! Confluence v1's pages (`/wiki/rest/api`): `start` and `limit`
//! positions, `size`, a `totalSize` when asked for, and `_links.next`
//! (relative to the API's context, `/wiki`) while more follow.

use super::listings::Planned;
use super::next_url::follow;
use roster_sdk::http::Request;
use roster_sdk::paging::Paged;
use roster_sdk::{Error, Result};
use serde::Deserialize;
use serde::de::DeserializeOwned;

/// A Confluence v1 page:
/// `{"results":[...],"start":0,"limit":200,"size":200,"totalSize":n,"_links":{"next":"/rest/api/...?start=200"}}`.
///
/// Only `_links.next` says another page follows: a page may hold fewer
/// items than its `limit` and still not be the last (the group API leaves
/// suspended members out after paging), and a full page may be the last.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StartPage<T> {
    /// The page's items.
    #[serde(default = "Vec::new")]
    pub results: Vec<T>,
    /// Position of the page's first item.
    #[serde(default)]
    pub start: u64,
    /// Most items a page holds, as the server applied it.
    #[serde(default)]
    pub limit: u64,
    /// Items in every page, when the request asked for it
    /// (`shouldReturnTotalSize=true`) or the endpoint always counts.
    #[serde(default)]
    pub total_size: Option<u64>,
    /// Links to the next page.
    #[serde(rename = "_links", default)]
    pub links: StartLinks,
}

/// A v1 page's `_links`.
#[derive(Debug, Default, Deserialize)]
pub struct StartLinks {
    /// The next page, relative to the API's context (`/wiki`); absent on
    /// the last page.
    #[serde(default)]
    pub next: Option<String>,
}

impl<T> StartPage<T> {
    /// Positions a page spans: the server's own `limit`, and at least the
    /// items this page holds.
    fn step(&self) -> u64 {
        self.limit.max(self.results.len() as u64).max(1)
    }

    /// Where the next page starts, for a listing paged by host cursor:
    /// this page's start and the positions it spans, while its next link
    /// says another page follows; none at the end.
    pub fn next_start(&self) -> Option<u64> {
        self.links
            .next
            .as_deref()
            .filter(|n| !n.is_empty())
            .map(|_| self.start + self.step())
    }
}

/// The request for the page `next` (a v1 `_links.next`) names: relative to
/// the API's context, which is where `request`'s path reaches `/rest/`, so
/// that a `base_url` with a path prefix keeps it. Another origin is
/// refused (see [`follow`]), and so is a link back to `request` itself,
/// which would never end.
pub fn follow_next(next: &str, request: &Request) -> Result<Request> {
    let url = roster_sdk::Url::parse(request.url())?;
    let path = url.path();
    let next = match (next.starts_with("/rest/"), path.find("/rest/")) {
        (true, Some(at)) => format!("{}{next}", &path[..at]),
        _ => next.to_owned(),
    };
    let followed = follow(&next, request)?;
    if followed.url() == request.url() {
        return Err(Error::invalid_response(format_args!(
            "the next page's link `{next}` is the page itself"
        )));
    }
    Ok(followed)
}

impl<T: DeserializeOwned> Paged for StartPage<T> {
    type Item = T;

    fn split(self, request: &Request) -> Result<(Vec<T>, Option<Request>)> {
        let next = match self.links.next.as_deref().filter(|n| !n.is_empty()) {
            Some(next) => Some(follow_next(next, request)?),
            None => None,
        };
        Ok((self.results, next))
    }
}

/// A counted page plans the others: `request` at each later `start`, up
/// to the total.
impl<T: DeserializeOwned> Planned for StartPage<T> {
    fn following(&self, request: &Request) -> Vec<Request> {
        let (Some(total), Some(_)) = (self.total_size, self.links.next.as_deref()) else {
            return Vec::new();
        };
        let step = self.step();
        (self.start + step..total)
            .step_by(step as usize)
            .map(|start| request.clone().set_query("start", &start.to_string()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(json: &str) -> StartPage<u8> {
        serde_json::from_str(json).unwrap()
    }

    fn first() -> Request {
        Request::get(
            "https://acme.atlassian.net/wiki/rest/api/group/g/membersByGroupId?limit=200&start=0",
        )
    }

    #[test]
    fn a_short_page_with_a_next_link_is_not_the_last() {
        let short = page(
            r#"{"results":[1,2],"start":0,"limit":200,"size":2,
                "_links":{"base":"https://acme.atlassian.net/wiki","context":"/wiki",
                "next":"/rest/api/group/g/membersByGroupId?limit=200&start=200"}}"#,
        );
        assert_eq!(short.next_start(), Some(200), "by the limit, not the size");
        let (items, next) = short.split(&first()).unwrap();
        assert_eq!(items, [1, 2]);
        assert_eq!(
            next.unwrap().url(),
            "https://acme.atlassian.net/wiki/rest/api/group/g/membersByGroupId?limit=200&start=200"
        );
        let last = page(r#"{"results":[1,2,3],"start":200,"limit":3,"size":3,"_links":{}}"#);
        assert_eq!(last.next_start(), None);
        assert!(last.split(&first()).unwrap().1.is_none(), "no next link");
    }

    #[test]
    fn the_context_is_where_the_request_reaches_rest() {
        let proxied = Request::get("http://127.0.0.1:9/confluence/wiki/rest/api/group?start=0");
        let next = follow_next("/rest/api/group?start=200", &proxied).unwrap();
        assert_eq!(
            next.url(),
            "http://127.0.0.1:9/confluence/wiki/rest/api/group?start=200"
        );
    }

    #[test]
    fn a_link_elsewhere_or_to_itself_is_refused() {
        let elsewhere = follow_next("https://evil.example/wiki/rest/api/group", &first());
        assert!(elsewhere.unwrap_err().to_string().contains("refused"));
        let itself = follow_next(
            "/rest/api/group/g/membersByGroupId?limit=200&start=0",
            &first(),
        );
        assert!(itself.unwrap_err().to_string().contains("the page itself"));
    }

    #[test]
    fn a_counted_page_plans_the_rest_by_its_own_limit() {
        // Asked for 500, the server applied 200.
        let counted = page(
            r#"{"results":[1],"start":0,"limit":200,"size":1,"totalSize":450,
                "_links":{"next":"/rest/api/group/g/membersByGroupId?limit=200&start=200"}}"#,
        );
        let starts: Vec<String> = counted
            .following(&first())
            .iter()
            .map(|r| r.url().rsplit("start=").next().unwrap_or("").to_owned())
            .collect();
        assert_eq!(starts, ["200", "400"]);
        let whole = page(r#"{"results":[1],"start":0,"limit":200,"totalSize":150,"_links":{}}"#);
        assert!(
            whole.following(&first()).is_empty(),
            "one page holds it all"
        );
        let uncounted = page(r#"{"results":[1],"start":0,"limit":200,"_links":{"next":"/x"}}"#);
        assert!(uncounted.following(&first()).is_empty());
    }
}
