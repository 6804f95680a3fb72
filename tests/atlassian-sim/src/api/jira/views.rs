//! Jira's JSON shapes (`User`, `UserDetails`, `GroupName`,
//! `GroupDetails`, `ApplicationRole`, `PageBean`), borrowing from the
//! organisation so that answers serialise without copies.

use crate::api::site::{self, Avatar, JIRA_PRODUCTS, Link, Params};
use crate::model::{Group, Org, Person, ProductKey};
use serde::Serialize;

/// Whether Jira shows the person as active: able to sign in and not
/// removed from Jira's user base.
pub fn active(person: &Person) -> bool {
    person.is_enabled() && !person.removed_from_jira
}

/// The application roles (Jira products) a person holds.
pub fn roles_of<'o>(org: &'o Org, person: &'o Person) -> impl Iterator<Item = ProductKey> + 'o {
    JIRA_PRODUCTS
        .into_iter()
        .filter(move |&k| org.access(person, k).is_some_and(|a| a.via_group.is_some()))
}

/// The four avatar sizes Jira lists.
#[derive(Serialize)]
pub struct Avatars {
    #[serde(rename = "48x48")]
    large: Avatar,
    #[serde(rename = "24x24")]
    small: Avatar,
    #[serde(rename = "16x16")]
    tiny: Avatar,
    #[serde(rename = "32x32")]
    medium: Avatar,
}

impl Avatars {
    fn of(person: &Person) -> Self {
        let [large, small, tiny, medium] = Avatar::sizes(person, [48, 24, 16, 32]);
        Avatars {
            large,
            small,
            tiny,
            medium,
        }
    }
}

/// A list that says its size and, when expanded, its items
/// (`SimpleListWrapper`).
#[derive(Serialize)]
pub struct ListWrapper<T> {
    size: usize,
    items: Vec<T>,
}

/// Jira's `User` (and, without `locale`, `UserDetails`).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct User<'a> {
    #[serde(rename = "self")]
    link: Link<'a>,
    account_id: &'a str,
    account_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    email_address: Option<&'a str>,
    avatar_urls: Avatars,
    display_name: &'a str,
    active: bool,
    time_zone: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    locale: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    groups: Option<ListWrapper<GroupName<'a>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    application_roles: Option<ListWrapper<ApplicationRole<'a>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expand: Option<&'static str>,
}

impl<'a> User<'a> {
    /// A user as the user listings show it.
    pub fn of(base: &'a str, person: &'a Person) -> Self {
        User {
            locale: Some("en_US"),
            ..Self::details(base, person)
        }
    }

    /// A user as group member listings show it (`UserDetails`: no locale).
    pub fn details(base: &'a str, person: &'a Person) -> Self {
        User {
            link: Link {
                base,
                path: "/rest/api/3/user?accountId=",
                id: &person.account_id,
            },
            account_id: &person.account_id,
            account_type: person.account_type.as_str(),
            email_address: site::visible_email(person),
            avatar_urls: Avatars::of(person),
            display_name: &person.name,
            active: active(person),
            time_zone: site::time_zone(person),
            locale: None,
            groups: None,
            application_roles: None,
            expand: None,
        }
    }

    /// A single user (`GET /user`, `/myself`): group and role counts, with
    /// the items when `expand` asks for them.
    pub fn expanded(org: &'a Org, base: &'a str, person: &'a Person, params: &Params) -> Self {
        let groups = person
            .groups
            .iter()
            .map(|&g| GroupName::of(base, &org.groups[g]));
        let roles = roles_of(org, person).map(|k| ApplicationRole::of(org, base, k));
        User {
            groups: Some(wrap(groups, params.lists("expand", "groups"))),
            application_roles: Some(wrap(roles, params.lists("expand", "applicationRoles"))),
            expand: Some("groups,applicationRoles"),
            ..Self::of(base, person)
        }
    }
}

fn wrap<T>(items: impl Iterator<Item = T>, expanded: bool) -> ListWrapper<T> {
    let items: Vec<T> = items.collect();
    let size = items.len();
    ListWrapper {
        size,
        items: if expanded { items } else { Vec::new() },
    }
}

/// Jira's `GroupName`: name, id and link.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupName<'a> {
    name: &'a str,
    group_id: &'a str,
    #[serde(rename = "self")]
    link: Link<'a>,
}

impl<'a> GroupName<'a> {
    /// The group's name entry.
    pub fn of(base: &'a str, group: &'a Group) -> Self {
        GroupName {
            name: &group.name,
            group_id: &group.id,
            link: Link {
                base,
                path: "/rest/api/3/group?groupId=",
                id: &group.id,
            },
        }
    }
}

/// Jira's `GroupDetails`: name and id.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupDetails<'a> {
    name: &'a str,
    group_id: &'a str,
}

impl<'a> GroupDetails<'a> {
    /// The group's details.
    pub fn of(group: &'a Group) -> Self {
        GroupDetails {
            name: &group.name,
            group_id: &group.id,
        }
    }
}

/// Jira's `Group` as adding a member answers it: the members are not
/// expanded.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupWithUsers<'a> {
    name: &'a str,
    group_id: &'a str,
    #[serde(rename = "self")]
    link: Link<'a>,
    users: PagedList,
    expand: &'static str,
}

/// `PagedListUserDetailsApplicationUser`, unexpanded.
#[derive(Serialize)]
struct PagedList {
    size: usize,
    items: [(); 0],
    #[serde(rename = "max-results")]
    max_results: usize,
    #[serde(rename = "start-index")]
    start_index: usize,
    #[serde(rename = "end-index")]
    end_index: usize,
}

impl<'a> GroupWithUsers<'a> {
    /// The group with its member count.
    pub fn of(org: &'a Org, base: &'a str, g: usize) -> Self {
        let group = &org.groups[g];
        let size = org.people.iter().filter(|p| p.groups.contains(&g)).count();
        GroupWithUsers {
            name: &group.name,
            group_id: &group.id,
            link: Link {
                base,
                path: "/rest/api/3/group?groupId=",
                id: &group.id,
            },
            users: PagedList {
                size,
                items: [],
                max_results: 50,
                start_index: 0,
                end_index: 0,
            },
            expand: "users",
        }
    }
}

/// Jira's `ApplicationRole`: the groups that grant a Jira product and its
/// seats.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationRole<'a> {
    key: &'static str,
    groups: Vec<&'a str>,
    group_details: Vec<GroupName<'a>>,
    name: &'static str,
    default_groups: [&'a str; 1],
    default_groups_details: [GroupName<'a>; 1],
    selected_by_default: bool,
    defined: bool,
    number_of_seats: u32,
    remaining_seats: i64,
    user_count: u32,
    user_count_description: String,
    has_unlimited_seats: bool,
    platform: bool,
}

impl<'a> ApplicationRole<'a> {
    /// The role of Jira product `key`.
    pub fn of(org: &'a Org, base: &'a str, key: ProductKey) -> Self {
        let product = org.product(key);
        let granting = org.granting_groups(key);
        let default = &org.groups[product.default_group];
        let used = org.seats_used(key);
        ApplicationRole {
            key: key.key(),
            groups: granting
                .iter()
                .map(|&g| org.groups[g].name.as_str())
                .collect(),
            group_details: granting
                .iter()
                .map(|&g| GroupName::of(base, &org.groups[g]))
                .collect(),
            name: key.name(),
            default_groups: [&default.name],
            default_groups_details: [GroupName::of(base, default)],
            selected_by_default: key == ProductKey::JiraSoftware,
            defined: true,
            number_of_seats: product.seats,
            remaining_seats: i64::from(product.seats) - i64::from(used),
            user_count: used,
            user_count_description: format!("{used} users"),
            has_unlimited_seats: false,
            platform: false,
        }
    }
}

/// Jira's `PageBean`: offset paging with a total.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PageBean<T> {
    #[serde(rename = "self")]
    link: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_page: Option<String>,
    max_results: usize,
    start_at: usize,
    total: usize,
    is_last: bool,
    values: Vec<T>,
}

impl<T> PageBean<T> {
    /// The page at `start_at` of a listing of `total` items; the links
    /// repeat the request's other parameters.
    pub fn new(
        url: &str,
        params: &Params,
        start_at: usize,
        max_results: usize,
        total: usize,
        values: Vec<T>,
    ) -> Self {
        let link = |start: usize| {
            let mut query: Vec<String> = params
                .pairs()
                .filter(|(k, _)| *k != "startAt" && *k != "maxResults")
                .map(|(k, v)| format!("{}={}", site::encode(k), site::encode(v)))
                .collect();
            query.push(format!("startAt={start}"));
            query.push(format!("maxResults={max_results}"));
            format!("{url}?{}", query.join("&"))
        };
        let end = start_at.saturating_add(values.len());
        let is_last = end >= total;
        PageBean {
            link: link(start_at),
            next_page: (!is_last).then(|| link(end.max(start_at + max_results.max(1)))),
            max_results,
            start_at,
            total,
            is_last,
            values,
        }
    }
}
