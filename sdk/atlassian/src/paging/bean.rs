//! Jira's and Confluence's `PageBean`: `startAt`/`maxResults` positions,
//! with a `total` and `isLast` when the endpoint counts.

use roster_sdk::Result;
use roster_sdk::http::{HttpError, Request, Response, send_all};
use roster_sdk::paging::Paged;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use std::collections::VecDeque;

/// Pages of the listings after their first pages that [`Listings`]
/// sends in one batch: enough to keep the host's concurrency busy, few
/// enough that the answers of one batch stay around a megabyte.
pub const FOLLOWING_PAGES_PER_BATCH: usize = 64;

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

/// Every page of several `PageBean` listings (the members of each of many
/// groups), as one [`Listings`] read to its end.
///
/// Hands each page's values to `take` with the index of its listing:
/// first pages in request order, then the others listing by listing.
pub fn each_page<T: DeserializeOwned>(
    firsts: &[Request],
    take: impl FnMut(usize, Vec<T>),
) -> Result<()> {
    Listings::new(firsts.to_vec()).read(usize::MAX, take)
}

/// Several `PageBean` listings, read a bounded number of requests at a
/// time so that a read of any size can be spread across calls: the first
/// pages, then, from the totals they report, every other page in batches
/// of [`FOLLOWING_PAGES_PER_BATCH`], each batch read before the next is
/// sent so that a large site's answers never sit in memory all at once. A
/// listing whose total does not tell (none, or one its `isLast` belies) is
/// followed page by page. A request that fails stays to be sent again by
/// the next [`read`](Listings::read): a failure costs that page, not the
/// pages read before it.
#[derive(Debug)]
pub struct Listings {
    pending: VecDeque<Pending>,
}

/// A page still to read: the index of its listing, and what its answer
/// tells of the pages after it.
#[derive(Debug)]
struct Pending {
    owner: usize,
    request: Request,
    kind: PageKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PageKind {
    /// A listing's first page: its total plans the others.
    First,
    /// A page its listing's total planned.
    Planned,
    /// A page of a listing without a usable total: its answer says whether
    /// another follows.
    Followed,
}

impl Listings {
    /// The listings that start with `firsts`, nothing read yet.
    pub fn new(firsts: Vec<Request>) -> Self {
        let pending = firsts
            .into_iter()
            .enumerate()
            .map(|(owner, request)| Pending {
                owner,
                request,
                kind: PageKind::First,
            })
            .collect();
        Listings { pending }
    }

    /// Whether every page has been read.
    pub fn is_done(&self) -> bool {
        self.pending.is_empty()
    }

    /// Sends at most `budget` requests, handing each page's values to
    /// `take` with the index of its listing. On a failure, the rest of its
    /// batch is still taken in, the failed pages stay pending, and the
    /// first failure is returned.
    pub fn read<T: DeserializeOwned>(
        &mut self,
        budget: usize,
        mut take: impl FnMut(usize, Vec<T>),
    ) -> Result<()> {
        let mut sent = 0;
        while !self.pending.is_empty() && sent < budget {
            // First pages go in one batch, however many: their totals plan
            // the rest.
            let firsts = self
                .pending
                .iter()
                .take_while(|p| p.kind == PageKind::First)
                .count();
            let size = if firsts > 0 {
                firsts
            } else {
                FOLLOWING_PAGES_PER_BATCH
            };
            let size = size.min(budget - sent).min(self.pending.len());
            let batch: Vec<Pending> = self.pending.drain(..size).collect();
            let requests: Vec<Request> = batch.iter().map(|p| p.request.clone()).collect();
            sent += requests.len();
            let mut failed = Vec::new();
            let mut first_error = None;
            for (answer, page) in send_all(&requests).into_iter().zip(batch) {
                match decode::<PageBean<T>>(answer) {
                    Ok(bean) => {
                        self.plan_after(&page, &bean);
                        take(page.owner, bean.values);
                    }
                    Err(e) => {
                        first_error.get_or_insert(e);
                        failed.push(page);
                    }
                }
            }
            for page in failed.into_iter().rev() {
                self.pending.push_front(page);
            }
            if let Some(e) = first_error {
                return Err(e);
            }
        }
        Ok(())
    }

    /// Queues what `bean`, the answer to `page`, says comes after it.
    fn plan_after<T>(&mut self, page: &Pending, bean: &PageBean<T>) {
        let owner = page.owner;
        if page.kind == PageKind::First {
            let following = bean.following(&page.request);
            if !following.is_empty() {
                self.pending
                    .extend(following.into_iter().map(|request| Pending {
                        owner,
                        request,
                        kind: PageKind::Planned,
                    }));
                return;
            }
        }
        if page.kind != PageKind::Planned
            && let Some(start) = bean.next_start()
        {
            self.pending.push_back(Pending {
                owner,
                request: at(&page.request, start),
                kind: PageKind::Followed,
            });
        }
    }
}

/// A 2xx JSON answer of a batch, or the error it means.
fn decode<T: DeserializeOwned>(answer: Result<Response, HttpError>) -> Result<T> {
    answer?.error_for_status()?.json()
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
