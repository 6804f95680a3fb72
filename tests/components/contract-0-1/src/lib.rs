//! A connector written against `roster:connector@0.1.0` with its bindings
//! alone (no SDK), as a third party's connector of that version is: a
//! host that runs newer contract versions must keep loading, syncing and
//! provisioning it.
//!
//! It reports a fixed organisation: `PEOPLE` accounts over pages of
//! `PAGE`, one product `widgets` (named by key alone, as 0.1.0 does),
//! a licence for every second account and usage for every third. Its check
//! asks `{base_url}/ok` through the 0.1.0 `http` import, with the
//! credential, and logs through the 0.1.0 `log` import. Provisioning echoes
//! what it was asked, so that a test can see what reached it.

wit_bindgen::generate!({ world: "connector", path: "../../../wit/v0.1.0" });

use exports::roster::connector::api::{Guest, GuestSession, Session};
use roster::connector::http::{self, Method, Request};
use roster::connector::log::{self, Level};
use roster::connector::types::{
    AccessTarget, Account, AccountKind, AccountPage, AccountStatus, Action, ActionKind,
    Capabilities, CheckReport, ConnectorError, ConnectorManifest, Credential, CredentialScheme,
    DataStream, Instant, License, LicensePage, Outcome, OutcomeStatus, Product, Usage, UsagePage,
};

/// Accounts it reports.
const PEOPLE: u32 = 25;
/// Accounts per page.
const PAGE: u32 = 10;
/// Its one product's key.
const PRODUCT: &str = "widgets";

struct Old;

impl Guest for Old {
    type Session = Opened;

    fn manifest() -> ConnectorManifest {
        ConnectorManifest {
            id: "contract-0-1".into(),
            name: "A 0.1.0 connector".into(),
            version: "0.1.0".into(),
            description: "Reports a fixed organisation through contract 0.1.0.".into(),
            config_schema: r#"{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{"base_url":{"type":"string"},"api_key":{"type":"string","minLength":1,"writeOnly":true}},"required":["base_url","api_key"],"additionalProperties":false}"#.into(),
            hosts: vec!["{base_url}".into()],
            credentials: vec![Credential {
                id: "key".into(),
                scheme: CredentialScheme::Bearer("api_key".into()),
                hosts: vec!["{base_url}".into()],
            }],
            capabilities: Capabilities {
                streams: vec![
                    DataStream::Accounts,
                    DataStream::Products,
                    DataStream::Licenses,
                    DataStream::Usage,
                ],
                actions: vec![ActionKind::Invite, ActionKind::Grant, ActionKind::Revoke],
            },
            products: vec![PRODUCT.into()],
        }
    }
}

/// An open session: the configured base URL.
struct Opened {
    base: String,
}

/// The page of `cursor` (none: the first), and the next cursor.
fn page(cursor: Option<String>) -> Result<(u32, Option<String>), ConnectorError> {
    let start = match cursor {
        None => 0,
        Some(c) => c
            .parse()
            .map_err(|_| ConnectorError::Internal(format!("cursor `{c}` is not a number")))?,
    };
    let next = (start + PAGE < PEOPLE).then(|| (start + PAGE).to_string());
    Ok((start, next))
}

fn ids(start: u32) -> impl Iterator<Item = u32> {
    start..(start + PAGE).min(PEOPLE)
}

fn id(i: u32) -> String {
    format!("old-{i:03}")
}

impl GuestSession for Opened {
    fn open(config: String) -> Result<Session, ConnectorError> {
        let base = config
            .split("\"base_url\":\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .ok_or_else(|| ConnectorError::InvalidConfig("`base_url` is missing".into()))?
            .trim_end_matches('/')
            .to_owned();
        Ok(Session::new(Opened { base }))
    }

    fn check(&self) -> Result<CheckReport, ConnectorError> {
        log::log(Level::Info, "checking through the 0.1.0 imports");
        let answer = http::send(&Request {
            method: Method::Get,
            url: format!("{}/ok", self.base),
            headers: vec![],
            body: None,
            auth: Some("key".into()),
        })
        .map_err(|e| ConnectorError::Internal(format!("{e:?}")))?;
        Ok(CheckReport {
            principal: Some(format!("status {}", answer.status)),
            capabilities: Old::manifest().capabilities,
            warnings: vec![],
        })
    }

    fn accounts(&self, cursor: Option<String>) -> Result<AccountPage, ConnectorError> {
        let (start, next_cursor) = page(cursor)?;
        let items = ids(start)
            .map(|i| Account {
                id: id(i),
                email: Some(format!("person{i}@old.example")),
                display_name: Some(format!("Person {i}")),
                status: AccountStatus::Active,
                kind: AccountKind::Human,
                created_at: Some(Instant::Date("2026-01-02".into())),
                last_active: None,
                groups: vec![],
                attributes: vec![],
            })
            .collect();
        Ok(AccountPage { items, next_cursor })
    }

    fn products(&self) -> Result<Vec<Product>, ConnectorError> {
        Ok(vec![Product {
            key: PRODUCT.into(),
            name: "Widgets".into(),
            seats_total: Some(20),
            seats_used: Some(PEOPLE.div_ceil(2)),
            plan: Some("STANDARD".into()),
            granting_groups: vec!["widget-users".into()],
        }])
    }

    fn licenses(&self, cursor: Option<String>) -> Result<LicensePage, ConnectorError> {
        let (start, next_cursor) = page(cursor)?;
        let items = ids(start)
            .filter(|i| i % 2 == 0)
            .map(|i| License {
                account_id: id(i),
                product_key: PRODUCT.into(),
                role: Some("user".into()),
                billable: true,
                via_group: Some("widget-users".into()),
            })
            .collect();
        Ok(LicensePage { items, next_cursor })
    }

    fn usage(&self, cursor: Option<String>) -> Result<UsagePage, ConnectorError> {
        let (start, next_cursor) = page(cursor)?;
        let items = ids(start)
            .filter(|i| i % 3 == 0)
            .map(|i| Usage {
                account_id: id(i),
                product_key: Some(PRODUCT.into()),
                last_active: Instant::Timestamp(format!("2026-11-{:02}T08:00:00Z", 1 + i % 20)),
            })
            .collect();
        Ok(UsagePage { items, next_cursor })
    }

    fn provision(&self, action: Action, dry_run: bool) -> Result<Outcome, ConnectorError> {
        let (account_id, summary) = match action {
            Action::Invite(invitation) => (
                None,
                format!(
                    "invite {} to {}",
                    invitation.email,
                    invitation.products.join(", ")
                ),
            ),
            Action::Grant(change) | Action::Revoke(change) => {
                let target = match change.target {
                    AccessTarget::Product(key) => format!("product {key}"),
                    AccessTarget::Group(group) => format!("group {group}"),
                };
                (Some(change.account_id), format!("change {target}"))
            }
            other => return Err(ConnectorError::Unsupported(format!("{other:?}"))),
        };
        Ok(Outcome {
            status: if dry_run {
                OutcomeStatus::Planned
            } else {
                OutcomeStatus::Applied
            },
            account_id,
            summary,
            requests: vec![],
        })
    }
}

export!(Old);
