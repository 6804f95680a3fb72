//! What Jira and Confluence share on the site host: who is calling (Basic
//! `email:token`), what they may do, query parameters, paging windows,
//! group membership changes and the profile details both APIs show.
//!
//! The site host serves the organisation's main site only
//! ([`crate::model::Org::site`]): application roles, seats, licences,
//! group access types and who can use Jira or Confluence are those of the
//! main site's instances ([`crate::model::InstanceId::main`]). Groups are
//! the organisation's, so every group is listed and can be joined, those
//! granting another site's instances included; joining one changes access
//! on that site, which the Admin API shows.

use crate::model::{AccountType, InstanceId, Org, Person, ProductKey, Role};
use crate::server::Shared;
use serde::Deserialize;
use std::fmt;
use std::ops::Range;

/// The products Jira counts as Jira (application roles).
pub const JIRA_PRODUCTS: [ProductKey; 2] =
    [ProductKey::JiraSoftware, ProductKey::JiraServiceManagement];

/// The group whose members administer the site.
const SITE_ADMINS: &str = "site-admins";

/// Who sent a request, and what they may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caller {
    /// Index into [`Org::people`].
    pub person: usize,
    /// Member of the site-admins group.
    pub site_admin: bool,
    /// Holds the *Administer Jira* global permission (a Jira admin role,
    /// or site admin).
    pub jira_admin: bool,
    /// Holds the Confluence *Can use* permission.
    pub confluence_user: bool,
}

/// Why a request was not authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthFailure {
    /// No `Authorization: Basic` header.
    Missing,
    /// A header with an email and token the site does not accept, or an
    /// account that can no longer sign in.
    Wrong,
}

/// The caller of a request with these headers.
pub fn caller(shared: &Shared, headers: &axum::http::HeaderMap) -> Result<Caller, AuthFailure> {
    let (email, token) = crate::auth::basic(headers).ok_or(AuthFailure::Missing)?;
    let c = &shared.credentials;
    let org = shared.org();
    let person = if email.eq_ignore_ascii_case(&c.admin_email) && token == c.admin_api_token {
        org.admin
    } else if email.eq_ignore_ascii_case(&c.user_email) && token == c.user_api_token {
        org.user
    } else {
        return Err(AuthFailure::Wrong);
    };
    let p = &org.people[person];
    if !p.is_enabled() {
        return Err(AuthFailure::Wrong);
    }
    let site_admin = org
        .group_by_name(SITE_ADMINS)
        .is_some_and(|g| p.groups.contains(&g));
    let jira_admin = site_admin
        || JIRA_PRODUCTS
            .iter()
            .any(|&k| org.access(p, k).is_some_and(|a| a.role == Role::Admin));
    Ok(Caller {
        person,
        site_admin,
        jira_admin,
        confluence_user: site_admin || can_use(&org, p, ProductKey::Confluence),
    })
}

/// Whether person `p` is in the organisation's directory (not removed
/// through the Admin API): Jira and Confluence see only those.
pub fn in_directory(org: &Org, p: usize) -> bool {
    !org.removed.contains(&p)
}

/// The person with account id `id`, if in the directory.
pub fn directory_person(org: &Org, id: &str) -> Option<usize> {
    org.position(id).filter(|&p| in_directory(org, p))
}

/// The people in the directory, in directory order, with their indexes.
pub fn directory(org: &Org) -> impl Iterator<Item = (usize, &Person)> {
    org.people
        .iter()
        .enumerate()
        .filter(|&(p, _)| in_directory(org, p))
}

/// Up to `limit` people of the directory from position `start`, found
/// without walking the people before it: O(page + people removed).
pub fn directory_page(org: &Org, start: usize, limit: usize) -> impl Iterator<Item = &Person> {
    // The index of the start-th person in the directory: step over each
    // removed person at or before it.
    let mut first = start;
    for &r in &org.removed {
        if r <= first {
            first += 1;
        } else {
            break;
        }
    }
    org.people
        .iter()
        .enumerate()
        .skip(first)
        .filter(|&(p, _)| in_directory(org, p))
        .take(limit)
        .map(|(_, person)| person)
}

/// Whether `person` can use `product` now: holds it and can sign in.
pub fn can_use(org: &Org, person: &Person, product: ProductKey) -> bool {
    person.is_enabled() && org.access(person, product).is_some()
}

/// Whether group `g` grants a Jira product on this site: a role on one of
/// the main site's Jira instances.
pub fn grants_jira(org: &Org, g: usize) -> bool {
    org.groups[g].grants.iter().any(|(i, _)| is_jira_here(*i))
}

/// Whether `instance` is one of the Jira instances of this site (the main
/// site).
pub fn is_jira_here(instance: InstanceId) -> bool {
    instance.is_main() && JIRA_PRODUCTS.contains(&instance.product())
}

/// Adds person `p` to group `g` (`Ok(false)` when already a member). A
/// group that grants Jira brings a person removed from Jira back.
pub fn add_member(org: &mut Org, p: usize, g: usize) -> Result<bool, crate::model::NoSeatLeft> {
    let added = org.add_to_group(p, g)?;
    if grants_jira(org, g) {
        org.people[p].removed_from_jira = false;
    }
    Ok(added)
}

/// A request's query parameters, in order, repeated names kept.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(transparent)]
pub struct Params(Vec<(String, String)>);

/// A query parameter that should have been a whole number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotANumber {
    /// The parameter's name.
    pub name: &'static str,
    /// What was sent.
    pub value: String,
}

impl Params {
    /// Every parameter, in order.
    pub fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// The first value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The first value of `name`, unless empty.
    pub fn non_empty(&self, name: &str) -> Option<&str> {
        self.get(name).filter(|v| !v.trim().is_empty())
    }

    /// Every value of `name`.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every comma-separated item of every value of `name` (`expand`).
    pub fn items<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.all(name)
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .filter(|s| !s.is_empty())
    }

    /// Whether `name` lists `item` (`expand=groups,applicationRoles`).
    pub fn lists(&self, name: &str, item: &str) -> bool {
        self.items(name).any(|i| i.eq_ignore_ascii_case(item))
    }

    /// A whole number, `default` when absent; negative numbers count as 0.
    pub fn count(&self, name: &'static str, default: usize) -> Result<usize, NotANumber> {
        match self.get(name) {
            None => Ok(default),
            Some(v) => v
                .trim()
                .parse::<i64>()
                .map(|n| usize::try_from(n).unwrap_or(0))
                .map_err(|_| NotANumber {
                    name,
                    value: v.to_owned(),
                }),
        }
    }

    /// A boolean, `default` when absent or not `true`/`false`.
    pub fn flag(&self, name: &str, default: bool) -> bool {
        match self.get(name) {
            Some(v) if v.eq_ignore_ascii_case("true") => true,
            Some(v) if v.eq_ignore_ascii_case("false") => false,
            _ => default,
        }
    }
}

/// The positions a page covers of a listing of `len` items.
pub fn window(len: usize, start: usize, limit: usize) -> Range<usize> {
    let from = start.min(len);
    from..from.saturating_add(limit).min(len)
}

/// Time zones people's profiles show.
const TIME_ZONES: &[&str] = &[
    "Europe/Lisbon",
    "Europe/Berlin",
    "America/New_York",
    "America/Los_Angeles",
    "Australia/Sydney",
    "Asia/Tokyo",
    "Asia/Kolkata",
    "Europe/Warsaw",
    "America/Sao_Paulo",
    "Africa/Lagos",
];

/// A small number derived from an account id, stable across requests.
fn stable(person: &Person, modulo: usize) -> usize {
    let sum = person.account_id.bytes().fold(0usize, |acc, b| {
        acc.wrapping_mul(31).wrapping_add(b as usize)
    });
    sum % modulo
}

/// The time zone of a person's profile.
pub fn time_zone(person: &Person) -> &'static str {
    TIME_ZONES[stable(person, TIME_ZONES.len())]
}

/// The email a product API shows: none when hidden, never for apps.
pub fn visible_email(person: &Person) -> Option<&str> {
    if person.email_visible && person.account_type != AccountType::App {
        person.email.as_deref()
    } else {
        None
    }
}

/// A person's avatar of one size, written straight into the answer.
#[derive(Debug, Clone, Copy)]
pub struct Avatar {
    /// Which of the default avatars (1 to 6).
    variant: usize,
    /// Pixels (16, 24, 32, 48).
    size: u16,
}

impl Avatar {
    /// `person`'s avatar in each of `sizes`.
    pub fn sizes<const N: usize>(person: &Person, sizes: [u16; N]) -> [Avatar; N] {
        let variant = stable(person, 6) + 1;
        sizes.map(|size| Avatar { variant, size })
    }
}

impl fmt::Display for Avatar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "https://avatar-management--avatars.us-west-2.prod.public.atl-paas.net/default-avatar-{}.png?size={}",
            self.variant, self.size
        )
    }
}

impl serde::Serialize for Avatar {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A link to one resource: `{base}{path}{id}`, written straight into the
/// answer without building a `String` first.
pub struct Link<'a> {
    /// The host's base URL.
    pub base: &'a str,
    /// The path and the start of the query (`/rest/api/3/user?accountId=`).
    pub path: &'static str,
    /// The id that ends the link.
    pub id: &'a str,
}

impl fmt::Display for Link<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.base)?;
        f.write_str(self.path)?;
        f.write_str(self.id)
    }
}

impl serde::Serialize for Link<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// `text` percent-encoded for a query string.
pub fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Whether `email` looks like an address (`local@domain`, no spaces).
pub fn plausible_email(email: &str) -> bool {
    match email.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !email.chars().any(char::is_whitespace)
                && !domain.contains('@')
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_stay_inside_the_listing() {
        assert_eq!(window(10, 0, 4), 0..4);
        assert_eq!(window(10, 8, 4), 8..10);
        assert_eq!(window(10, 10, 4), 10..10);
        assert_eq!(window(10, 50, 4), 10..10);
        assert_eq!(window(10, 3, usize::MAX), 3..10);
    }

    #[test]
    fn directory_pages_step_over_removed_people() {
        let now = time::macros::datetime!(2026-11-24 12:00 UTC);
        let mut org = crate::generate::organisation(3, 40, now);
        for p in [0, 2, 3, 10, 39] {
            org.remove_from_directory(p);
        }
        let all: Vec<&str> = directory(&org)
            .map(|(_, p)| p.account_id.as_str())
            .collect();
        assert_eq!(all.len(), 35);
        for start in 0..37 {
            for limit in [0, 1, 4, 50] {
                let page: Vec<&str> = directory_page(&org, start, limit)
                    .map(|p| p.account_id.as_str())
                    .collect();
                let from = start.min(all.len());
                let to = (start + limit).min(all.len());
                assert_eq!(page, all[from..to], "start {start}, limit {limit}");
            }
        }
    }

    #[test]
    fn parameters_read_like_the_real_apis() {
        let p = Params(vec![
            ("expand".into(), "groups, applicationRoles".into()),
            ("expand".into(), "operations".into()),
            ("startAt".into(), "-5".into()),
            ("maxResults".into(), "ten".into()),
        ]);
        assert!(p.lists("expand", "applicationroles"));
        assert!(p.lists("expand", "operations"));
        assert_eq!(p.count("startAt", 0), Ok(0));
        assert_eq!(p.count("limit", 25), Ok(25));
        assert!(p.count("maxResults", 50).is_err());
        assert_eq!(encode("type=user a@b"), "type%3Duser%20a%40b");
        assert!(plausible_email("a.b@c.example"));
        assert!(!plausible_email("a b@c.example"));
        assert!(!plausible_email("nobody"));
    }
}
