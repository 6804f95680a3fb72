//! Trello: one workspace's members and, with its Enterprise, their
//! licences and last activity; invitations, deactivation, removal and
//! Enterprise licences. The API key and token go as query parameters,
//! which the host adds and keeps out of every log, plan and recording.
//!
//! Where the people come from:
//! - Without an Enterprise, the workspace's memberships, one request
//!   (Trello does not page it): each active member holds Trello, not
//!   billable, since Trello's API does not say what the workspace's plan
//!   charges; last activity is the member's `dateLastActive` when Trello
//!   sends it.
//! - With an Enterprise, its user query, 100 users a page, each joined
//!   with their workspace membership (read once per session): licences,
//!   deactivation, management and guest state come from the Enterprise,
//!   last activity from its `dateLastImpression`. The workspace's members
//!   outside the Enterprise follow on the last page.
//!
//! No request goes to `/1/members/{id}` per member: Trello limits those
//! calls to 100 in 15 minutes. Accounts are reported by Atlassian account
//! id where Trello gives it (so that they join the other products), else
//! by Trello member id; the member id and username are attributes.

mod api;
mod people;
mod provision;

use api::{API, Client, ENTERPRISE_ADMIN, KEY_AND_TOKEN, TRELLO};
use people::Person;
use roster_sdk::prelude::*;
use roster_sdk::{Secret, base_url, plain_id};
use schemars::JsonSchema;
use serde::Deserialize;

/// How to reach one Trello workspace (and its Enterprise).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The API key of a Power-Up you administer: trello.com/power-ups/admin
    /// > the Power-Up > API key.
    pub api_key: Secret,
    /// A token for that key, made by a workspace admin (an Enterprise
    /// admin for Enterprise data and licences) with the "Token" link beside
    /// the API key, with read and write access.
    pub token: Secret,
    /// The workspace's id, or its short name: `acme` for
    /// trello.com/w/acme.
    pub workspace: String,
    /// The Enterprise's id, for licences and last-active dates: the
    /// workspace's `idEnterprise` (`roster check` names it when the
    /// workspace belongs to one). Leave out for a workspace outside an
    /// Enterprise.
    #[serde(default)]
    pub enterprise_id: Option<String>,
    /// Where to send requests instead of https://api.trello.com (a proxy,
    /// or a simulator). Leave out for Trello.
    #[serde(default)]
    pub base_url: Option<String>,
}

/// A session against one Trello workspace.
struct Trello {
    api: Client,
}

impl Connector for Trello {
    type Config = Config;

    fn manifest() -> Manifest {
        Manifest::new("trello", "Trello", env!("CARGO_PKG_VERSION"))
            .description(
                "Members of a Trello workspace and, with its Enterprise, their licences and \
                 last activity; invites, deactivates, reactivates and removes workspace \
                 members, and turns Enterprise licences on and off.",
            )
            .host(API)
            .host("{base_url}")
            .credential(
                Credential::query(KEY_AND_TOKEN, [("key", "api_key"), ("token", "token")])
                    .to(API)
                    .to("{base_url}"),
            )
            .streams(Stream::ALL)
            .actions(ActionKind::ALL)
            .products([TRELLO])
    }

    fn open(config: Config) -> Result<Self> {
        let workspace = config.workspace.trim().to_owned();
        plain_id("workspace", &workspace)?;
        let enterprise = config.enterprise_id.map(|id| id.trim().to_owned());
        if let Some(id) = &enterprise {
            plain_id("enterprise_id", id)?;
        }
        let base = base_url("base_url", config.base_url.as_deref().unwrap_or(API))?;
        Ok(Trello {
            api: Client::new(base, workspace, enterprise),
        })
    }

    fn check(&self) -> Result<CheckReport> {
        let me = self.api.me()?;
        let workspace = self.api.workspace()?;
        let memberships = self.api.memberships(false)?;
        let mut report = CheckReport::all_of(&Self::manifest());
        report.principal = Some(format!(
            "{} on workspace {}",
            me.username.as_deref().unwrap_or(&me.id),
            workspace.name
        ));
        let mut licences_managed = true;
        match (&self.api.enterprise, &workspace.id_enterprise) {
            (None, Some(found)) => report.warnings.push(format!(
                "workspace `{}` belongs to Enterprise `{found}`: set `enterprise_id = \
                 \"{found}\"` to report its licences and last-active dates",
                workspace.name
            )),
            (Some(configured), found) if found.as_deref() != Some(configured) => {
                return Err(Error::config(
                    "enterprise_id",
                    format_args!(
                        "workspace `{}` belongs to {}, not to `{configured}`",
                        workspace.name,
                        found.as_deref().map_or_else(
                            || "no Enterprise".to_owned(),
                            |f| format!("Enterprise `{f}`")
                        )
                    ),
                ));
            }
            (Some(id), _) => {
                let enterprise = self.api.enterprise(id)?;
                self.api.enterprise_page(id, None)?;
                if let Some(org) = &enterprise.id_atlassian_organization {
                    licences_managed = false;
                    report.warnings.push(format!(
                        "the users of Enterprise `{id}` are managed in Atlassian \
                         administration (organization `{org}`): turn Trello licences on and \
                         off with the Atlassian organization admin connector"
                    ));
                } else if !enterprise.id_admins.contains(&me.id) {
                    licences_managed = false;
                    report.warnings.push(format!(
                        "the token's user is not an admin of Enterprise `{id}`: licence \
                         changes need {ENTERPRISE_ADMIN}"
                    ));
                }
            }
            (None, None) => {}
        }
        let workspace_admin = memberships
            .list
            .iter()
            .any(|m| m.id_member == me.id && m.is_admin());
        if !workspace_admin {
            report.warnings.push(format!(
                "the token's user is not an admin of workspace `{}`: inviting, deactivating, \
                 reactivating and removing members need one",
                workspace.name
            ));
        }
        let enterprise = self.api.enterprise.is_some();
        report.keep_actions(|a| match a {
            ActionKind::Grant | ActionKind::Revoke if enterprise => licences_managed,
            _ => workspace_admin,
        });
        Ok(report)
    }

    fn accounts(&self, cursor: Option<String>) -> Result<Page<Account>> {
        self.people(cursor, |p| Some(p.account()))
    }

    fn products(&self) -> Result<Vec<Product>> {
        let workspace = self.api.workspace()?;
        let name = workspace
            .display_name
            .unwrap_or_else(|| workspace.name.clone());
        // Trello names no instance the Admin API would: the store places
        // this on the organisation's one Trello workspace.
        let mut product = Product::new(TRELLO, None, name);
        product.url = Some(
            workspace
                .url
                .unwrap_or_else(|| format!("https://trello.com/w/{}", workspace.name)),
        );
        product.plan = workspace.offering;
        let licences = match &self.api.enterprise {
            Some(id) => self.api.enterprise(id)?.licenses,
            None => None,
        };
        if let Some(licences) = licences {
            product.seats_total = licences.max_members;
            product.seats_used = licences.total_members;
        }
        Ok(vec![product])
    }

    fn licenses(&self, cursor: Option<String>) -> Result<Page<License>> {
        self.people(cursor, Person::license)
    }

    fn usage(&self, cursor: Option<String>) -> Result<Page<Usage>> {
        self.people(cursor, Person::usage)
    }

    fn provision(&self, action: Action, ctx: &mut Provisioning) -> Result<Outcome> {
        provision::run(&self.api, action, ctx)
    }
}

impl Trello {
    /// One page of people from `cursor` (the Enterprise query's cursor),
    /// each made into what `record` gives.
    fn people<T>(
        &self,
        cursor: Option<String>,
        record: impl Fn(&Person) -> Option<T>,
    ) -> Result<Page<T>> {
        let memberships = self.api.memberships(false)?;
        let Some(enterprise) = &self.api.enterprise else {
            if cursor.is_some() {
                return Err(Error::config(
                    "enterprise_id",
                    "this cursor comes from the Enterprise query, and no Enterprise is \
                     configured any more: sync again from the start",
                ));
            }
            let people = memberships.list.iter().map(Person::from_workspace);
            return Ok(Page::last(people.filter_map(|p| record(&p)).collect()));
        };
        let page = self.api.enterprise_page(enterprise, cursor.as_deref())?;
        let mut items: Vec<T> = page
            .users
            .iter()
            .map(|u| Person::from_enterprise(u, memberships.of(&u.member.id)))
            .filter_map(|p| record(&p))
            .collect();
        if page.cursor.is_none() {
            let outside = memberships.list.iter().filter(|m| {
                m.member.as_ref().and_then(|m| m.id_enterprise.as_deref())
                    != Some(enterprise.as_str())
            });
            items.extend(
                outside
                    .map(Person::from_workspace)
                    .filter_map(|p| record(&p)),
            );
        }
        Ok(Page::new(items, page.cursor))
    }
}

roster_sdk::export_connector!(Trello);
