//! The paging styles of Atlassian's APIs. Each is a page shape
//! implementing [`Paged`](roster_sdk::paging::Paged), whose pure half
//! computes the next page's request from a decoded page and the request
//! that produced it, so that [`every_item`](roster_sdk::paging::every_item),
//! [`pages`](roster_sdk::paging::pages) and
//! [`fan_out`](roster_sdk::batch::fan_out) read every page of it:
//!
//! | style | used by | ends |
//! |---|---|---|
//! | [`PageBean`]: `startAt`, `maxResults`, `total`, `isLast` | Jira | `isLast`, the total, an empty page |
//! | [`StartPage`]: `start`, `limit`, `totalSize`, `_links.next` | Confluence v1 | no `next` |
//! | bare arrays: [`Offset`](roster_sdk::paging::Offset) (SDK) | Jira's `users/search` | an empty page |
//! | [`LinksPage`]: `links.next`, a cursor token or a URL with `cursor` | the Admin API | no `next` |
//! | [`NextUrlPage`], [`ResultsPage`]: a next-page URL on the same host | Bitbucket, Confluence v2 | no `next` |
//! | [`ScimPage`](roster_sdk::paging::ScimPage) (SDK): `startIndex`, `totalResults` | SCIM | the total |
//!
//! None of them stops at a page shorter than asked: Atlassian's servers cap
//! page sizes below what a client asks for, and drop items after paging.
//!
//! [`Listings`] reads many listings of one counted style ([`Planned`]) at
//! once, a bounded number of requests at a time.

pub mod bean;
pub mod links;
pub mod listings;
pub mod next_url;
pub mod start;

pub use bean::PageBean;
pub use links::{CursorOnlyPage, Links, LinksPage};
pub use listings::{Listings, Planned, each_page};
pub use next_url::{NextUrlPage, ResultsPage, follow};
pub use start::StartPage;
