//! Confluence's users: CQL user search, lookup and group memberships.

use super::views::{self, GroupView, Page, PageLinks, SearchResult, User};
use super::{account, authenticate, bad_request, number, reader};
use crate::api::site::{self, Params};
use crate::model::{Org, Person};
use crate::respond::{self, Reply};
use crate::server::Shared;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::routing::get;
use serde::Serialize;
use std::sync::Arc;

/// The most users one search page holds, whatever is asked.
const MAX_SEARCH_PAGE: usize = 1000;

/// The most groups one membership page holds.
const MAX_GROUP_PAGE: usize = 200;

/// The routes of Confluence's user resources.
pub fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/wiki/rest/api/search/user", get(search))
        .route("/wiki/rest/api/user", get(user))
        .route("/wiki/rest/api/user/current", get(current))
        .route("/wiki/rest/api/user/memberof", get(member_of))
}

/// Whether a CQL query is the one user search supports: `type=user`
/// (spacing and quotes aside).
fn is_type_user(cql: &str) -> bool {
    let compact: String = cql
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '"' && *c != '\'')
        .collect();
    compact.eq_ignore_ascii_case("type=user")
}

/// Who `sitePermissionTypeFilter` lets through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Filter {
    /// `none`: licensed users.
    Licensed,
    /// `externalCollaborator`: guests.
    Guests,
    /// `all`.
    All,
}

impl Filter {
    /// The name of this filter's cached listing.
    fn listing(self) -> &'static str {
        match self {
            Filter::Licensed => "confluence-licensed",
            Filter::Guests => "confluence-guests",
            Filter::All => "confluence-all",
        }
    }

    fn admits(self, org: &Org, person: &Person) -> bool {
        views::known(person)
            && match self {
                Filter::Licensed => views::licensed(org, person),
                Filter::Guests => views::guest(org, person),
                Filter::All => true,
            }
    }
}

/// Confluence's `SearchPageResponseSearchResult`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SearchPage<'a> {
    results: Vec<SearchResult<'a>>,
    start: usize,
    limit: usize,
    size: usize,
    total_size: usize,
    cql_query: &'a str,
    search_duration: u32,
    #[serde(rename = "_links")]
    links: PageLinks,
}

/// `GET /wiki/rest/api/search/user?cql=type=user`: users by licence
/// (`sitePermissionTypeFilter`), paged by `start` and `limit`.
async fn search(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Query(params): Query<Params>,
) -> Reply {
    reader(&shared, &headers)?;
    let cql = params
        .non_empty("cql")
        .ok_or_else(|| bad_request("The 'cql' parameter is required."))?;
    if !is_type_user(cql) {
        return Err(bad_request(&format!(
            "Could not parse cql : {cql}. User search supports 'type=user' only."
        )));
    }
    let filter = match params.get("sitePermissionTypeFilter").unwrap_or("none") {
        "none" => Filter::Licensed,
        "externalCollaborator" => Filter::Guests,
        "all" => Filter::All,
        other => {
            return Err(bad_request(&format!(
                "Invalid sitePermissionTypeFilter '{other}': use none, externalCollaborator or all."
            )));
        }
    };
    let start = number(&params, "start", 0)?;
    let limit = number(&params, "limit", 25)?.min(MAX_SEARCH_PAGE);
    let base = shared.urls.site.as_str();
    let org = shared.org();
    let matching = shared.listing(&org, filter.listing(), |org, p| {
        site::in_directory(org, p) && filter.admits(org, &org.people[p])
    });
    let total = matching.len();
    let results: Vec<SearchResult> = matching
        .iter()
        .skip(start)
        .take(limit)
        .map(|&p| SearchResult::of(&org, base, &org.people[p], &params))
        .collect();
    let more = start + results.len() < total && limit > 0;
    respond::ok(&SearchPage {
        size: results.len(),
        results,
        start,
        limit,
        total_size: total,
        cql_query: cql,
        search_duration: 12,
        links: PageLinks::new(base, "/rest/api/search/user", &params, start, limit, more),
    })
}

/// `GET /wiki/rest/api/user?accountId=..&expand=operations`.
async fn user(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Query(params): Query<Params>,
) -> Reply {
    reader(&shared, &headers)?;
    let org = shared.org();
    let p = account(&org, &params)?;
    respond::ok(&User::of(&org, &shared.urls.site, &org.people[p], &params))
}

/// `GET /wiki/rest/api/user/current`: the caller, whatever their
/// permissions (an anonymous caller is refused).
async fn current(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Query(params): Query<Params>,
) -> Reply {
    let caller = authenticate(&shared, &headers)?;
    let org = shared.org();
    let person = &org.people[caller.person];
    respond::ok(&User::of(&org, &shared.urls.site, person, &params))
}

/// `GET /wiki/rest/api/user/memberof?accountId=..`: the person's groups,
/// by name.
async fn member_of(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Query(params): Query<Params>,
) -> Reply {
    reader(&shared, &headers)?;
    let start = number(&params, "start", 0)?;
    let limit = number(&params, "limit", MAX_GROUP_PAGE)?.min(MAX_GROUP_PAGE);
    let base = shared.urls.site.as_str();
    let org = shared.org();
    let p = account(&org, &params)?;
    let mut groups: Vec<usize> = org.people[p].groups.clone();
    groups.sort_by(|&a, &b| org.groups[a].name.cmp(&org.groups[b].name));
    let range = site::window(groups.len(), start, limit);
    let more = range.end < groups.len();
    let results: Vec<GroupView> = groups[range]
        .iter()
        .map(|&g| GroupView::of(base, &org.groups[g]))
        .collect();
    respond::ok(&Page {
        size: results.len(),
        results,
        start,
        limit,
        total_size: None,
        links: PageLinks::new(base, "/rest/api/user/memberof", &params, start, limit, more),
    })
}

#[cfg(test)]
mod tests {
    use super::is_type_user;

    #[test]
    fn only_the_all_users_query_is_supported() {
        for cql in ["type=user", "type = user", "type=\"user\"", "TYPE=User"] {
            assert!(is_type_user(cql), "{cql}");
        }
        for cql in ["type=page", "user.fullname~ana", ""] {
            assert!(!is_type_user(cql), "{cql}");
        }
    }
}
