//! Confluence's JSON shapes: `User`, `Group`, the v1 page envelope and
//! user search results, borrowing from the organisation.

use crate::api::site::{self, Link, Params};
use crate::model::{AccountType, Group, Org, Person, ProductKey, Role};
use serde::Serialize;
use std::fmt;
use time::Date;

/// Whether Confluence knows the account (people and apps; portal
/// customers are Jira Service Management's only).
pub fn known(person: &Person) -> bool {
    person.account_type != AccountType::Customer
}

/// Whether the person holds a Confluence licence (a role other than guest,
/// through a group), whatever their status.
pub fn licensed(org: &Org, person: &Person) -> bool {
    org.access(person, ProductKey::Confluence)
        .is_some_and(|a| a.role != Role::Guest)
}

/// Whether the person is a Confluence guest (external collaborator).
pub fn guest(org: &Org, person: &Person) -> bool {
    org.access(person, ProductKey::Confluence)
        .is_some_and(|a| a.role == Role::Guest)
}

/// Confluence's `OperationCheckResult`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Operation {
    operation: &'static str,
    target_type: &'static str,
}

const USE: Operation = Operation {
    operation: "use",
    target_type: "application",
};
const ADMINISTER: Operation = Operation {
    operation: "administer",
    target_type: "application",
};

/// What a person may do in Confluence: nothing unless they can use it.
fn operations(org: &Org, person: &Person) -> &'static [Operation] {
    if !site::can_use(org, person, ProductKey::Confluence) {
        return &[];
    }
    match org.access(person, ProductKey::Confluence) {
        Some(a) if a.role == Role::Admin => &[USE, ADMINISTER],
        _ => &[USE],
    }
}

/// Confluence's `Icon` as a profile picture.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Picture<'a> {
    path: Link<'a>,
    width: u16,
    height: u16,
    is_default: bool,
}

/// `_links` holding only `self`.
#[derive(Serialize)]
struct SelfLink<'a> {
    #[serde(rename = "self")]
    link: Link<'a>,
}

/// What `expand` could have added.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Expandable {
    operations: &'static str,
    personal_space: &'static str,
}

/// Confluence's `User`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct User<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    account_id: &'a str,
    account_type: &'static str,
    email: Option<&'a str>,
    public_name: &'a str,
    profile_picture: Picture<'a>,
    display_name: &'a str,
    time_zone: &'static str,
    is_external_collaborator: bool,
    external_collaborator: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    operations: Option<&'static [Operation]>,
    #[serde(rename = "_expandable", skip_serializing_if = "Option::is_none")]
    expandable: Option<Expandable>,
    #[serde(rename = "_links")]
    links: SelfLink<'a>,
}

impl<'a> User<'a> {
    /// The user, with operations when `expand` lists them.
    pub fn of(org: &Org, base: &'a str, person: &'a Person, params: &Params) -> Self {
        let expanded = params.lists("expand", "operations");
        let guest = guest(org, person);
        User {
            kind: "known",
            account_id: &person.account_id,
            account_type: match person.account_type {
                AccountType::Atlassian => "atlassian",
                AccountType::App => "app",
                AccountType::Customer => "",
            },
            email: site::visible_email(person),
            public_name: &person.nickname,
            profile_picture: Picture {
                path: Link {
                    base: "",
                    path: "/wiki/aa-avatar/",
                    id: &person.account_id,
                },
                width: 48,
                height: 48,
                is_default: false,
            },
            display_name: &person.name,
            time_zone: site::time_zone(person),
            is_external_collaborator: guest,
            external_collaborator: guest,
            operations: expanded.then(|| operations(org, person)),
            expandable: (!expanded).then_some(Expandable {
                operations: "",
                personal_space: "",
            }),
            links: SelfLink {
                link: Link {
                    base,
                    path: "/wiki/rest/api/user?accountId=",
                    id: &person.account_id,
                },
            },
        }
    }
}

/// Confluence's `Group`.
#[derive(Serialize)]
pub struct GroupView<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    name: &'a str,
    id: &'a str,
    #[serde(rename = "_links")]
    links: SelfLink<'a>,
}

impl<'a> GroupView<'a> {
    /// The group.
    pub fn of(base: &'a str, group: &'a Group) -> Self {
        GroupView {
            kind: "group",
            name: &group.name,
            id: &group.id,
            links: SelfLink {
                link: Link {
                    base,
                    path: "/wiki/rest/api/group/by-id?id=",
                    id: &group.id,
                },
            },
        }
    }
}

/// A v1 page's `_links`: `next` (relative to the context) when more
/// follow.
#[derive(Serialize)]
pub struct PageLinks {
    base: String,
    context: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    next: Option<String>,
    #[serde(rename = "self")]
    link: String,
}

impl PageLinks {
    /// Links for the page at `start` of `path` (relative to `/wiki`),
    /// repeating the request's other parameters.
    pub fn new(
        site: &str,
        path: &str,
        params: &Params,
        start: usize,
        limit: usize,
        more: bool,
    ) -> Self {
        let query = |start: usize| {
            let mut query: Vec<String> = params
                .pairs()
                .filter(|(k, _)| *k != "start" && *k != "limit")
                .map(|(k, v)| format!("{}={}", site::encode(k), site::encode(v)))
                .collect();
            query.push(format!("start={start}"));
            query.push(format!("limit={limit}"));
            format!("{path}?{}", query.join("&"))
        };
        PageLinks {
            base: format!("{site}/wiki"),
            context: "/wiki",
            next: more.then(|| query(start + limit)),
            link: format!("{site}/wiki{}", query(start)),
        }
    }
}

/// A v1 page (`UserArray`, `GroupArrayWithLinks`).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Page<T> {
    /// The items.
    pub results: Vec<T>,
    /// Position of the first.
    pub start: usize,
    /// The page size in force.
    pub limit: usize,
    /// Items on this page.
    pub size: usize,
    /// Items in all, when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_size: Option<usize>,
    /// Links.
    #[serde(rename = "_links")]
    pub links: PageLinks,
}

/// One user search hit (`SearchResult`).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchResult<'a> {
    user: User<'a>,
    title: &'a str,
    excerpt: &'static str,
    url: Link<'a>,
    breadcrumbs: [(); 0],
    entity_type: &'static str,
    icon_css_class: &'static str,
    last_modified: Midnight,
    score: f64,
}

impl<'a> SearchResult<'a> {
    /// The hit for a person.
    pub fn of(org: &Org, base: &'a str, person: &'a Person, params: &Params) -> Self {
        SearchResult {
            user: User::of(org, base, person, params),
            title: &person.name,
            excerpt: "",
            url: Link {
                base: "",
                path: "/people/",
                id: &person.account_id,
            },
            breadcrumbs: [],
            entity_type: "user",
            icon_css_class: "aui-icon content-type-profile",
            last_modified: Midnight(person.added),
            score: 0.0,
        }
    }
}

/// A date as a timestamp at midnight UTC, written straight into the
/// answer.
struct Midnight(Date);

impl fmt::Display for Midnight {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04}-{:02}-{:02}T00:00:00.000Z",
            self.0.year(),
            u8::from(self.0.month()),
            self.0.day()
        )
    }
}

impl Serialize for Midnight {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}
