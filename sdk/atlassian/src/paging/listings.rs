//! Many offset listings at once (the members of every group of a site),
//! read a bounded number of requests at a time, whatever their page
//! shape: Jira's [`PageBean`](super::PageBean), Confluence v1's
//! [`StartPage`](super::StartPage).

use roster_sdk::Result;
use roster_sdk::http::{HttpError, Request, Response, send_all};
use roster_sdk::paging::Paged;
use std::collections::VecDeque;
use std::marker::PhantomData;

/// Pages of the listings after their first pages that [`Listings`]
/// sends in one batch: enough to keep the host's concurrency busy, few
/// enough that the answers of one batch stay around a megabyte.
pub const FOLLOWING_PAGES_PER_BATCH: usize = 64;

/// A page that may count its listing, so that its answer plans every page
/// after it at once.
pub trait Planned: Paged {
    /// The requests for every page after this one, from the count it
    /// reports; `request` produced it. Empty when the page does not count
    /// its listing (then its [`split`](Paged::split) alone says whether a
    /// page follows).
    fn following(&self, request: &Request) -> Vec<Request>;
}

/// Every page of several listings of pages `P` (the members of each of
/// many groups), as one [`Listings`] read to its end.
///
/// Hands each page's items to `take` with the index of its listing:
/// first pages in request order, then the others listing by listing.
pub fn each_page<P: Planned>(
    firsts: &[Request],
    take: impl FnMut(usize, Vec<P::Item>),
) -> Result<()> {
    Listings::<P>::new(firsts.to_vec()).read(usize::MAX, take)
}

/// Several listings of pages `P`, read a bounded number of requests at a
/// time so that a read of any size can be spread across calls: the first
/// pages, then, from the counts they report, every other page in batches
/// of [`FOLLOWING_PAGES_PER_BATCH`], each batch read before the next is
/// sent so that a large site's answers never sit in memory all at once. A
/// listing whose first page plans nothing is followed page by page. A
/// request that fails stays to be sent again by the next
/// [`read`](Listings::read): a failure costs that page, not the pages read
/// before it.
#[derive(Debug)]
pub struct Listings<P> {
    pending: VecDeque<Pending>,
    page: PhantomData<fn() -> P>,
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
    /// A listing's first page: its count plans the others.
    First,
    /// A page its listing's count planned.
    Planned,
    /// A page of a listing without a usable count: its answer says whether
    /// another follows.
    Followed,
}

impl<P: Planned> Listings<P> {
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
        Listings {
            pending,
            page: PhantomData,
        }
    }

    /// Whether every page has been read.
    pub fn is_done(&self) -> bool {
        self.pending.is_empty()
    }

    /// Sends at most `budget` requests, handing each page's items to
    /// `take` with the index of its listing. On a failure, the rest of its
    /// batch is still taken in, the failed pages stay pending, and the
    /// first failure is returned.
    pub fn read(&mut self, budget: usize, mut take: impl FnMut(usize, Vec<P::Item>)) -> Result<()> {
        let mut sent = 0;
        while !self.pending.is_empty() && sent < budget {
            // First pages go in one batch, however many: their counts plan
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
                match decode::<P>(answer).and_then(|p| self.plan_after(&page, p)) {
                    Ok(items) => take(page.owner, items),
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

    /// Queues what `answer`, the answer to `page`, says comes after it;
    /// returns its items.
    fn plan_after(&mut self, page: &Pending, answer: P) -> Result<Vec<P::Item>> {
        let owner = page.owner;
        let following = match page.kind {
            PageKind::First => answer.following(&page.request),
            PageKind::Planned | PageKind::Followed => Vec::new(),
        };
        let (items, next) = answer.split(&page.request)?;
        if !following.is_empty() {
            self.pending
                .extend(following.into_iter().map(|request| Pending {
                    owner,
                    request,
                    kind: PageKind::Planned,
                }));
        } else if page.kind != PageKind::Planned
            && let Some(request) = next
        {
            self.pending.push_back(Pending {
                owner,
                request,
                kind: PageKind::Followed,
            });
        }
        Ok(items)
    }
}

/// A 2xx JSON answer of a batch, or the error it means.
fn decode<T: serde::de::DeserializeOwned>(answer: Result<Response, HttpError>) -> Result<T> {
    answer?.error_for_status()?.json()
}
