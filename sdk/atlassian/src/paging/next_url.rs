//! Pages that link to the next one by URL: Bitbucket's `next` (absolute)
//! and Confluence v2's `_links.next` (from the site's root). The link is
//! followed only on the host the connector was configured for.

use roster_sdk::http::Request;
use roster_sdk::paging::Paged;
use roster_sdk::{Error, Result, Url};
use serde::Deserialize;
use serde::de::DeserializeOwned;

/// The request for the page a link points to: `request` (which produced
/// the page holding the link; same method, headers and credential) at
/// `next`, resolved against `request`'s URL. A link to another origin
/// (scheme, host or port) than `request`'s is refused, never followed.
pub fn follow(next: &str, request: &Request) -> Result<Request> {
    let from = Url::parse(request.url())?;
    let to = from.join(next).map_err(|e| {
        Error::invalid_response(format_args!(
            "the next page's link `{next}` is not a URL ({e})"
        ))
    })?;
    if to.origin() != from.origin() {
        return Err(Error::invalid_response(format_args!(
            "the next page's link `{next}` leaves {}: refused",
            from.origin().ascii_serialization()
        )));
    }
    Ok(request.clone().at(to))
}

/// The followed link, or none for an absent or empty one.
fn next_request(next: Option<&str>, request: &Request) -> Result<Option<Request>> {
    next.filter(|n| !n.is_empty())
        .map(|n| follow(n, request))
        .transpose()
}

/// A Bitbucket page: `{"values":[...],"next":"<absolute URL>"}` (`size`
/// and `previous` are optional). As a host cursor, the next page's URL
/// itself: see [`next_cursor`](NextUrlPage::next_cursor).
#[derive(Debug, Deserialize)]
pub struct NextUrlPage<T> {
    /// The page's items.
    #[serde(default = "Vec::new")]
    pub values: Vec<T>,
    /// The next page's URL, if any.
    #[serde(default)]
    pub next: Option<String>,
}

impl<T> NextUrlPage<T> {
    /// The next page's URL, checked as [`follow`] checks it, for the host to
    /// store as the cursor; none at the end. Rebuild the request from a
    /// stored cursor with [`follow`] too, against the listing's first
    /// request, so that it is checked again.
    pub fn next_cursor(&self, request: &Request) -> Result<Option<String>> {
        Ok(next_request(self.next.as_deref(), request)?.map(|r| r.url().to_owned()))
    }
}

impl<T: DeserializeOwned> Paged for NextUrlPage<T> {
    type Item = T;

    fn split(self, request: &Request) -> Result<(Vec<T>, Option<Request>)> {
        let next = next_request(self.next.as_deref(), request)?;
        Ok((self.values, next))
    }
}

/// A Confluence v2 page: `{"results":[...],"_links":{"next":"/wiki/api/v2/...?cursor=..."}}`.
#[derive(Debug, Deserialize)]
pub struct ResultsPage<T> {
    /// The page's items.
    #[serde(default = "Vec::new")]
    pub results: Vec<T>,
    /// Links to neighbouring pages.
    #[serde(rename = "_links", default)]
    pub links: ResultsLinks,
}

/// The `_links` of a [`ResultsPage`].
#[derive(Debug, Default, Deserialize)]
pub struct ResultsLinks {
    /// The next page, from the site's root, if any.
    #[serde(default)]
    pub next: Option<String>,
}

impl<T: DeserializeOwned> Paged for ResultsPage<T> {
    type Item = T;

    fn split(self, request: &Request) -> Result<(Vec<T>, Option<Request>)> {
        let next = next_request(self.links.next.as_deref(), request)?;
        Ok((self.results, next))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn members() -> Request {
        Request::get("https://api.bitbucket.org/2.0/workspaces/acme/members?pagelen=100").auth("bb")
    }

    fn bitbucket(json: &str) -> NextUrlPage<u8> {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn a_short_page_with_a_next_link_is_not_the_end() {
        // Asked for 100 a page, got 2, and a link: more follow.
        let page = bitbucket(
            r#"{"values":[1,2],"pagelen":100,"next":"https://api.bitbucket.org/2.0/workspaces/acme/members?pagelen=100&page=2"}"#,
        );
        let cursor = page.next_cursor(&members()).unwrap();
        let (items, next) = page.split(&members()).unwrap();
        assert_eq!(items, [1, 2]);
        let next = next.unwrap();
        assert_eq!(
            next.url(),
            "https://api.bitbucket.org/2.0/workspaces/acme/members?pagelen=100&page=2"
        );
        assert_eq!(cursor.as_deref(), Some(next.url()));
        assert_eq!(next.credential(), Some("bb"), "the same request, elsewhere");
    }

    #[test]
    fn the_last_full_page_has_no_next() {
        for json in [
            r#"{"values":[1,2],"size":4,"page":2}"#,
            r#"{"values":[1,2],"next":""}"#,
        ] {
            let page = bitbucket(json);
            assert_eq!(page.next_cursor(&members()).unwrap(), None);
            assert!(page.split(&members()).unwrap().1.is_none());
        }
    }

    #[test]
    fn a_link_to_another_origin_is_refused() {
        for elsewhere in [
            "https://evil.example/2.0/workspaces/acme/members?page=2",
            "http://api.bitbucket.org/2.0/workspaces/acme/members?page=2",
            "https://api.bitbucket.org:8443/2.0/workspaces/acme/members?page=2",
            "//evil.example/x",
            "javascript:alert(1)",
        ] {
            let page = || bitbucket(&format!(r#"{{"values":[1],"next":"{elsewhere}"}}"#));
            let err = page().split(&members()).unwrap_err();
            assert!(
                matches!(&err, Error::InvalidResponse(m) if m.contains("refused")),
                "{elsewhere}: {err}"
            );
            assert!(page().next_cursor(&members()).is_err(), "{elsewhere}");
        }
    }

    #[test]
    fn confluence_links_start_at_the_site_root() {
        let spaces = Request::get("https://acme.atlassian.net/wiki/api/v2/spaces?limit=250");
        let page: ResultsPage<u8> = serde_json::from_str(
            r#"{"results":[1],"_links":{"next":"/wiki/api/v2/spaces?limit=250&cursor=abc","base":"https://acme.atlassian.net/wiki"}}"#,
        )
        .unwrap();
        let (items, next) = page.split(&spaces).unwrap();
        assert_eq!(items, [1]);
        assert_eq!(
            next.unwrap().url(),
            "https://acme.atlassian.net/wiki/api/v2/spaces?limit=250&cursor=abc"
        );
        let last: ResultsPage<u8> =
            serde_json::from_str(r#"{"results":[1,2],"_links":{}}"#).unwrap();
        assert!(last.split(&spaces).unwrap().1.is_none());
        let away: ResultsPage<u8> = serde_json::from_str(
            r#"{"results":[1],"_links":{"next":"https://other.atlassian.net/wiki/api/v2/spaces"}}"#,
        )
        .unwrap();
        assert!(away.split(&spaces).is_err());
    }
}
