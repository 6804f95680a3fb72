//! Confluence Cloud: users, guests, licensed groups and provisioning,
//! through REST v1 and v2 with an admin's email and API token.
//!
//! Confluence has no endpoint that lists every user. The accounts are the
//! union, each once, of
//! - the members of every group (`membersByGroupId`), which include
//!   people without Confluence access (a Jira user in `jira-users`), and
//! - the two user searches (`search/user`): those holding a Confluence
//!   licence, and the guests, which find the people in no group.
//!
//! The group API leaves suspended users out. The licensed search still
//! finds a suspended user who holds Confluence, with no `use` operation:
//! such a user, licensed yet in no group listing, is reported `suspended`
//! with the groups `user/memberof` names, so that their licence is
//! reported too (not billable). A suspended user who holds no Confluence
//! access is found by neither and is not a Confluence account; the
//! organization admin connector reports them.
//!
//! Status: `active` for a user who may use Confluence; for one who may
//! not, `deactivated` when a licensed group lists them (the group API
//! lists the deactivated, not the suspended), `suspended` as above, and
//! `unknown` otherwise: Confluence does not say whether an account without
//! Confluence access can sign in.
//!
//! Licences come through the licensed groups (the config's, else the
//! groups the site gives Confluence access or administration); guests
//! hold Confluence as `guest`, never billable. Confluence's REST API
//! reports no seat totals, so products leave them unknown. It has no
//! last-active data either: usage comes from the organization admin
//! connector, joined on account id.

mod api;

use api::{CAN_USE, CHECK_ACCESS, CONFLUENCE, Client, Member, Person, SITE_ADMIN, Search};
use roster_atlassian::GroupRef;
use roster_atlassian::access::{self, GroupAccess, LicensedGroups};
use roster_atlassian::accounts::User;
use roster_atlassian::directory::{Directory, GroupSource, Memberships};
use roster_atlassian::errors::needs;
use roster_atlassian::site::{self, Permission};
use roster_sdk::OutcomeStatus;
use roster_sdk::prelude::*;
use schemars::JsonSchema;
use serde::Deserialize;
use std::ops::ControlFlow;

/// Accounts per page of the people the group listings returned.
const LISTED_PAGE: usize = 500;

/// How to reach a Confluence Cloud site as one of its administrators.
/// (The site's fields are flattened in, so the schema, which the host
/// checks first, is what refuses a field it does not know.)
#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(extend("additionalProperties" = false))]
pub struct Config {
    /// The site, the administrator and their API token.
    #[serde(flatten)]
    pub site: site::Config,
    /// The groups whose members hold Confluence, by name or id, the one
    /// grants add people to first (Confluence administration > Groups
    /// shows them). Leave out for the groups the site itself gives
    /// Confluence access or administration (`confluence-users`,
    /// `confluence-admins`, ...).
    #[serde(default)]
    pub licensed_groups: Option<Vec<String>>,
}

/// A session against one Confluence site.
struct Confluence {
    api: Client,
    /// The administrator the token belongs to.
    email: String,
    /// The site's memberships, read once per session (and again after a
    /// change).
    memberships: Memberships<<Client as GroupSource>::MemberRead>,
}

/// Where an accounts or licences stream is, as its cursor says.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    /// Licences: what the licensed groups give (one page).
    Groups,
    /// Accounts: the people the group listings returned, from a position.
    Listed(usize),
    /// A user search, from its cursor.
    Search(Search, Option<String>),
}

impl Part {
    /// The part a cursor names; none is the stream's start, `first`.
    fn from_cursor(cursor: Option<&str>, first: Part) -> Result<Part> {
        let Some(cursor) = cursor else {
            return Ok(first);
        };
        let invalid = || Error::Internal(format!("cursor `{cursor}` is not this connector's"));
        let (tag, at) = cursor.split_once(':').ok_or_else(invalid)?;
        let at = (!at.is_empty()).then(|| at.to_owned());
        Ok(match tag {
            "groups" => Part::Groups,
            "listed" => Part::Listed(at.unwrap_or_default().parse().map_err(|_| invalid())?),
            "licensed" => Part::Search(Search::Licensed, at),
            "guests" => Part::Search(Search::Guests, at),
            _ => return Err(invalid()),
        })
    }

    fn cursor(&self) -> String {
        match self {
            Part::Groups => "groups:".into(),
            Part::Listed(at) => format!("listed:{at}"),
            Part::Search(search, at) => {
                let tag = match search {
                    Search::Licensed => "licensed",
                    Search::Guests => "guests",
                };
                format!("{tag}:{}", at.as_deref().unwrap_or_default())
            }
        }
    }

    /// The part after a search page whose next cursor is `next`: the rest
    /// of the search, the guests after the licensed, the end after both.
    fn after_search(search: Search, next: Option<String>) -> Option<Part> {
        match (next, search) {
            (Some(next), _) => Some(Part::Search(search, Some(next))),
            (None, Search::Licensed) => Some(Part::Search(Search::Guests, None)),
            (None, Search::Guests) => None,
        }
    }
}

impl Connector for Confluence {
    type Config = Config;

    fn manifest() -> Manifest {
        let manifest = Manifest::new("confluence", "Confluence", env!("CARGO_PKG_VERSION"));
        site::hosts(manifest)
            .description(
                "Users, guests and licensed-group access of a Confluence Cloud site; invites \
                 people and grants and revokes Confluence. Confluence reports no last-active \
                 dates: enable the Atlassian organization admin connector for usage, joined \
                 on account id.",
            )
            .read_only_post(&format!("https://{{site}}.atlassian.net/{CHECK_ACCESS}"))
            .read_only_post(&format!("{{base_url}}/{CHECK_ACCESS}"))
            .streams([Stream::Accounts, Stream::Products, Stream::Licenses])
            .actions([ActionKind::Invite, ActionKind::Grant, ActionKind::Revoke])
            .products([CONFLUENCE])
    }

    fn open(config: Config) -> Result<Self> {
        Ok(Confluence {
            api: Client::new(&config.site, config.licensed_groups)?,
            email: config.site.email,
            memberships: Memberships::new(),
        })
    }

    fn check(&self) -> Result<CheckReport> {
        let cloud_id = self.api.instances.cloud_id()?;
        let me = self.api.current_user()?;
        let site_admin = match self.api.site_admin_group_ids() {
            Ok(ids) => {
                let mine = self.api.member_of(&me.user.account_id)?;
                mine.iter().any(|g| ids.contains(&g.id))
            }
            Err(Error::Forbidden(_)) => false,
            Err(e) => return Err(e),
        };
        let warnings = site::lacking(&[
            Permission {
                held: me.can_use() || site_admin,
                name: CAN_USE,
                needed_for: "listing users and groups; give the user Confluence access at \
                             admin.atlassian.com > Products",
            },
            Permission {
                held: site_admin,
                name: SITE_ADMIN,
                needed_for: "granting, revoking and inviting; add the user to `site-admins` \
                             at admin.atlassian.com",
            },
        ])?;
        // The licensed groups the config names must exist.
        self.api.licensed()?;
        let mut report = CheckReport::all_of(&Self::manifest());
        report.principal = Some(site::principal(&me.user, &self.email, &cloud_id));
        if !site_admin {
            report.keep_actions(|_| false);
        }
        report.warnings = warnings;
        Ok(report)
    }

    /// The people the group listings returned, then those only a user
    /// search finds.
    fn accounts(&self, cursor: Option<String>) -> Result<Page<Account>> {
        let own = match self
            .memberships
            .prepare(&self.api, cursor.as_deref(), None)?
        {
            ControlFlow::Continue(own) => own,
            ControlFlow::Break(reading) => return Ok(reading),
        };
        let directory = self.memberships.directory(&self.api)?;
        match Part::from_cursor(own.as_deref(), Part::Listed(0))? {
            Part::Listed(from) => {
                let (people, total) = self.api.listed(from, LISTED_PAGE);
                let next = from + people.len();
                let licensed = self.api.licensed()?;
                let items = people
                    .iter()
                    .map(|p| listed_account(p, directory.as_deref(), &licensed))
                    .collect();
                let next = if next < total {
                    Part::Listed(next)
                } else {
                    Part::Search(Search::Licensed, None)
                };
                Ok(Page::new(items, Some(next.cursor())))
            }
            Part::Search(search, at) => {
                let (found, next) = self.api.search_page(search, at.as_deref())?;
                let unlisted = unlisted(search, found, directory.as_deref());
                let groups = self.groups_of_unlisted(&unlisted, directory.as_deref())?;
                let items = unlisted
                    .iter()
                    .zip(groups)
                    .map(|(p, groups)| searched_account(search, p, groups, directory.is_some()))
                    .collect();
                let next = Part::after_search(search, next).map(|p| p.cursor());
                Ok(Page::new(items, next))
            }
            Part::Groups => Err(Error::Internal("an accounts cursor names licences".into())),
        }
    }

    fn products(&self) -> Result<Vec<Product>> {
        let licensed = self.api.licensed()?;
        let mut product = self.api.instances.product(CONFLUENCE, "Confluence")?;
        product.granting_groups = self.api.granting(&licensed).names();
        // Confluence's REST API reports no seats: totals stay unknown.
        Ok(vec![product])
    }

    /// What the licensed groups give, then the licences of the suspended
    /// (whom the group listings leave out) and of the guests.
    fn licenses(&self, cursor: Option<String>) -> Result<Page<License>> {
        let own = match self
            .memberships
            .prepare(&self.api, cursor.as_deref(), None)?
        {
            ControlFlow::Continue(own) => own,
            ControlFlow::Break(reading) => return Ok(reading),
        };
        let instance = self.api.instances.reference(CONFLUENCE)?;
        let licensed = self.api.licensed()?;
        let directory = self.memberships.directory(&self.api)?;
        let directory = directory.ok_or_else(|| {
            Error::Forbidden(format!(
                "licences need {CAN_USE} to list group members, which Confluence refused"
            ))
        })?;
        match Part::from_cursor(own.as_deref(), Part::Groups)? {
            Part::Groups => {
                let items = directory.licences(&instance, &licensed.groups);
                let next = Part::Search(Search::Licensed, None);
                Ok(Page::new(items, Some(next.cursor())))
            }
            Part::Search(Search::Guests, at) => {
                // A guest holds Confluence through no group, listed or not.
                let (found, next) = self.api.search_page(Search::Guests, at.as_deref())?;
                let items = found
                    .iter()
                    .filter(|p| p.is_external_collaborator)
                    .map(|p| guest_licence(p, &instance))
                    .collect();
                let next = Part::after_search(Search::Guests, next).map(|p| p.cursor());
                Ok(Page::new(items, next))
            }
            Part::Search(Search::Licensed, at) => {
                let (found, next) = self.api.search_page(Search::Licensed, at.as_deref())?;
                let unlisted = unlisted(Search::Licensed, found, Some(&directory));
                let groups = self.groups_of_unlisted(&unlisted, Some(&directory))?;
                let items = unlisted
                    .iter()
                    .zip(groups)
                    .filter_map(|(p, groups)| {
                        let seated = p.can_use() && p.user.is_person();
                        let id = &p.user.account_id;
                        directory.licence_through(&instance, &licensed.groups, id, seated, &groups)
                    })
                    .collect();
                let next = Part::after_search(Search::Licensed, next).map(|p| p.cursor());
                Ok(Page::new(items, next))
            }
            Part::Listed(_) => Err(Error::Internal("a licences cursor names accounts".into())),
        }
    }

    fn provision(&self, action: Action, ctx: &mut Provisioning) -> Result<Outcome> {
        let outcome = match action {
            Action::Invite(invitation) => self.invite(invitation, ctx),
            Action::Grant(change) => self.grant(change, ctx),
            Action::Revoke(change) => self.revoke(change, ctx),
            other => Err(Error::unsupported(format_args!(
                "Confluence cannot {:?} users: suspending, restoring, deactivating and \
                 removing accounts belong to the Atlassian organization admin connector",
                other.kind()
            ))),
        }?;
        if outcome.status == OutcomeStatus::Applied {
            self.memberships.clear();
            self.api.forget_listed();
        }
        Ok(outcome)
    }
}

impl Confluence {
    /// The groups of each of `people` (search hits no group lists): asked
    /// of Confluence for those who may not use it (the suspended, whom the
    /// group listings leave out), none for the others, who are in no group.
    /// Without a directory, everyone's groups are asked.
    fn groups_of_unlisted(
        &self,
        people: &[Person],
        directory: Option<&Directory>,
    ) -> Result<Vec<Vec<GroupRef>>> {
        let asked: Vec<usize> = (0..people.len())
            .filter(|&i| directory.is_none() || !people[i].can_use())
            .collect();
        let users: Vec<_> = asked.iter().map(|&i| people[i].user.clone()).collect();
        let mut answers = if users.is_empty() {
            Vec::new()
        } else {
            self.api.groups_of_each(&users)?
        }
        .into_iter();
        let mut groups = vec![Vec::new(); people.len()];
        for i in asked {
            groups[i] = answers.next().unwrap_or_default();
        }
        Ok(groups)
    }

    fn invite(&self, invitation: Invitation, ctx: &mut Provisioning) -> Result<Outcome> {
        let email = invitation.email;
        if let Some(other) = invitation.products.iter().find(|p| p.key != CONFLUENCE) {
            return Err(Error::NotFound(format!(
                "a Confluence site invites to `{CONFLUENCE}` only, not `{}`",
                other.key
            )));
        }
        for product in &invitation.products {
            self.api.instances.serves(product)?;
        }
        if self.api.lacks_access(&email)? {
            let invited = || Ok(!self.api.lacks_access(&email)?);
            ctx.write_verified(self.api.invite(&email)?, invited)
                .map_err(needs(SITE_ADMIN, "inviting a user"))?;
        }
        Ok(ctx.finish(None, format!("invite {email} to Confluence")))
    }

    /// Adds the account to the group, or to the first licensed group
    /// unless one of them already grants it Confluence.
    fn grant(&self, change: AccessChange, ctx: &mut Provisioning) -> Result<Outcome> {
        let member_of = self.api.member_of(&change.account_id)?;
        let account_id = &change.account_id;
        let summary = access::grant(&self.api, ctx, account_id, &member_of, &change.target)?;
        Ok(ctx.finish(Some(change.account_id), summary))
    }

    /// Takes the account out of the group, or out of every licensed group,
    /// so that it no longer holds Confluence.
    fn revoke(&self, change: AccessChange, ctx: &mut Provisioning) -> Result<Outcome> {
        let member_of = self.api.member_of(&change.account_id)?;
        let account_id = &change.account_id;
        let summary = access::revoke(&self.api, ctx, account_id, &member_of, &change.target)?;
        Ok(ctx.finish(Some(change.account_id), summary))
    }
}

/// The hits of a `search` page that no group listing returned (all of them
/// without a directory), each in the search its kind belongs to: guests in
/// the guests' search, the others in the licensed one, so that nobody is
/// reported twice.
fn unlisted(search: Search, found: Vec<Person>, directory: Option<&Directory>) -> Vec<Person> {
    found
        .into_iter()
        .filter(|p| p.is_external_collaborator == (search == Search::Guests))
        .filter(|p| directory.is_none_or(|d| !d.contains(&p.user.account_id)))
        .collect()
}

/// A person a group listing returned: listed, so not suspended; one who
/// may not use Confluence though a licensed group lists them is
/// deactivated.
fn listed_account(
    member: &Member,
    directory: Option<&Directory>,
    licensed: &LicensedGroups,
) -> Account {
    let groups = directory
        .map(|d| d.group_names(&member.user.account_id))
        .unwrap_or_default();
    let in_licensed = groups
        .iter()
        .any(|name| licensed.groups.iter().any(|g| &g.name == name));
    let status = if member.user.active {
        AccountStatus::Active
    } else if in_licensed {
        AccountStatus::Deactivated
    } else {
        AccountStatus::Unknown
    };
    account(&member.user, member.guest, status, groups)
}

/// A person only a user search found, in `groups`: with a directory, a
/// licensed one who may not use Confluence is suspended (the group
/// listings leave out the suspended only).
fn searched_account(
    search: Search,
    person: &Person,
    groups: Vec<GroupRef>,
    listed: bool,
) -> Account {
    let status = if person.can_use() {
        AccountStatus::Active
    } else if listed && search == Search::Licensed {
        AccountStatus::Suspended
    } else {
        AccountStatus::Unknown
    };
    let names = groups.into_iter().map(|g| g.name).collect();
    account(&person.user, person.is_external_collaborator, status, names)
}

/// The account record of `user`, guests marked as such.
fn account(user: &User, guest: bool, status: AccountStatus, groups: Vec<String>) -> Account {
    let mut account = Account {
        groups,
        ..user.account(status)
    };
    if guest {
        account.attributes.push(("guest".into(), "true".into()));
    }
    account
}

/// A guest's hold on Confluence: free, through no group.
fn guest_licence(person: &Person, instance: &ProductRef) -> License {
    License {
        account_id: person.user.account_id.clone(),
        product: instance.clone(),
        role: Some("guest".into()),
        billable: false,
        via_group: None,
    }
}

roster_sdk::export_connector!(Confluence);
