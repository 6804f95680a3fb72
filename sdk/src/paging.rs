//! Paging: turning an upstream's pages into the opaque `next-cursor` the
//! host stores, and reading every page of a listing inside one call.
//!
//! Two halves, so that paging can be tested without a host:
//! - the pure half computes what comes next from a decoded page and the
//!   request that produced it: [`Offset`] for position-paged APIs,
//!   [`Paged`] for page shapes that know their next request (SCIM's
//!   [`ScimPage`] here, vendor shapes in vendor crates);
//! - the sending half, [`pages`] and [`every_item`], sends those requests
//!   one after the other.
//!
//! Never stop at a page shorter than asked: servers cap page sizes below
//! what a client asks for, so only the upstream's own end signal (an empty
//! page, a total reached, no next link) ends a listing.

use crate::http::Request;
use crate::{Error, Result};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use std::marker::PhantomData;

/// A decoded page of a listing that knows how to ask for the page after
/// it. Implement it for an API's page shape to read listings with
/// [`pages`], [`every_item`] and [`fan_out`](crate::batch::fan_out).
pub trait Paged: DeserializeOwned {
    /// What the listing lists.
    type Item;

    /// This page's items, and the request for the next page (none at the
    /// end), computed from the page and `request`, the request that
    /// produced it. Sends nothing.
    fn split(self, request: &Request) -> Result<(Vec<Self::Item>, Option<Request>)>;
}

/// A whole list in one answer (a bare JSON array): no next page.
impl<T: DeserializeOwned> Paged for Vec<T> {
    type Item = T;

    fn split(self, _: &Request) -> Result<(Vec<T>, Option<Request>)> {
        Ok((self, None))
    }
}

/// The pages of a listing, one request each, from its first request: an
/// iterator of each page's items. Ends after the last page or the first
/// error; refuses a next page whose request repeats the one before, which
/// would never end.
pub fn pages<P: Paged>(first: Request) -> Pages<P> {
    Pages {
        next: Some(first),
        page: PhantomData,
    }
}

/// Every item of a listing, page after page, from its first request.
pub fn every_item<P: Paged>(first: Request) -> Result<Vec<P::Item>> {
    let mut all = Vec::new();
    for page in pages::<P>(first) {
        all.extend(page?);
    }
    Ok(all)
}

/// The iterator [`pages`] returns.
#[derive(Debug)]
pub struct Pages<P> {
    next: Option<Request>,
    page: PhantomData<fn() -> P>,
}

impl<P: Paged> Pages<P> {
    /// The pages from `next` on (none: no more pages), for a listing whose
    /// first page was read some other way.
    pub fn from(next: Option<Request>) -> Self {
        Pages {
            next,
            page: PhantomData,
        }
    }
}

impl<P: Paged> Iterator for Pages<P> {
    type Item = Result<Vec<P::Item>>;

    fn next(&mut self) -> Option<Self::Item> {
        let request = self.next.take()?;
        let read = request.fetch_json::<P>().and_then(|page| {
            let (items, next) = page.split(&request)?;
            self.next = next.map(|next| not_again(next, &request)).transpose()?;
            Ok(items)
        });
        Some(read)
    }
}

/// `next`, unless it asks for exactly what `request` asked for.
fn not_again(next: Request, request: &Request) -> Result<Request> {
    if next.url() == request.url() && next.body_bytes() == request.body_bytes() {
        return Err(Error::invalid_response(format_args!(
            "the page after {} is that page again: the listing would never end",
            request.url()
        )));
    }
    Ok(next)
}

/// An offset cursor for APIs paged by position: bare arrays that end with
/// an empty page, or pages with a total (`offset`/`limit`,
/// `startAt`/`maxResults`, `start`/`limit`).
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

/// A SCIM list response (RFC 7644): `startIndex` is 1-based and
/// `totalResults` counts every match. The next page's request sets
/// `startIndex` and keeps the rest (`count`, `filter`).
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

    /// The next page's `startIndex`; none at the end (the total reached,
    /// or an empty page).
    pub fn next_start(&self) -> Option<u64> {
        let next = self.start_index + self.resources.len() as u64;
        (!self.resources.is_empty() && next <= self.total_results).then_some(next)
    }

    /// The cursor (next `startIndex`) of the next page; none at the end.
    pub fn next_cursor(&self) -> Option<String> {
        self.next_start().map(|n| n.to_string())
    }
}

impl<T: DeserializeOwned> Paged for ScimPage<T> {
    type Item = T;

    fn split(self, request: &Request) -> Result<(Vec<T>, Option<Request>)> {
        let next = self
            .next_start()
            .map(|n| request.clone().set_query("startIndex", &n.to_string()));
        Ok((self.resources, next))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_arrays_run_past_short_pages_until_empty() {
        let o = Offset::from_cursor(None).unwrap();
        assert_eq!(o.next_until_empty(50).as_deref(), Some("50"));
        // Asked for 100, the server capped the page at 3: not the end.
        let o = Offset::from_cursor(Some("100")).unwrap();
        assert_eq!(o.next_until_empty(3).as_deref(), Some("103"));
        assert!(Offset::from_cursor(Some("x")).is_err());
    }

    #[test]
    fn bare_arrays_in_exact_multiples_end_with_the_empty_page() {
        // Two full pages of 100: the third page is empty, and ends it.
        let mut at = Offset(0);
        let mut asked = Vec::new();
        for items in [100, 100, 0] {
            asked.push(at.0);
            match at.next_until_empty(items) {
                Some(next) => at = Offset::from_cursor(Some(&next)).unwrap(),
                None => break,
            }
        }
        assert_eq!(asked, [0, 100, 200]);
    }

    #[test]
    fn offsets_with_a_total_end_at_it() {
        let o = Offset(100);
        assert_eq!(o.next_until_total(50, 150), None, "exact multiple");
        assert_eq!(o.next_until_total(25, 150).as_deref(), Some("125"), "short");
        assert_eq!(o.next_until_total(0, 150), None, "empty");
    }

    fn scim(json: &str) -> ScimPage<u8> {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn scim_pages_run_past_short_pages_to_the_total() {
        // Asked for 100, got 2 of 5: more follow.
        let page = scim(r#"{"totalResults":5,"startIndex":1,"itemsPerPage":2,"Resources":[1,2]}"#);
        assert_eq!(page.next_cursor().as_deref(), Some("3"));
        let request = Request::get("https://x.example/scim/Users?startIndex=1&count=100");
        let (items, next) = page.split(&request).unwrap();
        assert_eq!(items, [1, 2]);
        assert_eq!(
            next.unwrap().url(),
            "https://x.example/scim/Users?startIndex=3&count=100"
        );
        let page = scim(r#"{"totalResults":5,"startIndex":4,"Resources":[1,2]}"#);
        assert_eq!(page.next_cursor(), None, "the total reached");
        assert_eq!(ScimPage::<u8>::start_from_cursor(None).unwrap(), 1);
    }

    #[test]
    fn scim_pages_in_exact_multiples_end_at_the_total() {
        let page = scim(r#"{"totalResults":4,"startIndex":3,"Resources":[3,4]}"#);
        assert_eq!(page.next_start(), None);
        let request = Request::get("https://x.example/scim/Users?startIndex=3&count=2");
        assert!(page.split(&request).unwrap().1.is_none());
        // An empty page ends a listing whatever the total says.
        let page = scim(r#"{"totalResults":9,"startIndex":5,"Resources":[]}"#);
        assert_eq!(page.next_start(), None);
    }

    #[test]
    fn a_bare_array_is_one_whole_page() {
        let (items, next) = vec![1, 2]
            .split(&Request::get("https://x.example/a"))
            .unwrap();
        assert_eq!(items, [1, 2]);
        assert!(next.is_none());
    }

    #[test]
    fn a_next_page_that_repeats_the_last_is_refused() {
        let request = Request::get("https://x.example/a?cursor=1");
        assert!(not_again(request.clone(), &request).is_err());
        let next = request.clone().set_query("cursor", "2");
        assert!(not_again(next, &request).is_ok());
    }
}
