//! A connector that misbehaves on purpose, so that tests can prove each
//! sandbox guarantee. `accounts` carries out the attack named in the config
//! and reports what happened as the attributes of one account.

use roster_sdk::http::{HttpError, send_all};
use roster_sdk::prelude::*;
use schemars::JsonSchema;
use serde::Deserialize;
use std::borrow::Cow;

/// What `accounts` does.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
enum Attack {
    /// Returns one well-formed page.
    Nothing,
    /// Spins forever.
    Loop,
    /// Allocates until something stops it.
    Memory,
    /// Panics, which traps.
    Trap,
    /// Sends one request to `target`.
    Fetch,
    /// Sends one request to `target` and fails the call on an error
    /// status, as a connector reading a page does.
    Read,
    /// Sends `count` requests to `target`, one after another.
    FetchMany,
    /// Sends `count` requests to `target` in one batch.
    FetchAll,
    /// Reports the value it received in place of the secret.
    EchoSecret,
    /// Logs `count` messages.
    Log,
    /// Pages whose cursor comes back again: the stream would never end.
    RepeatCursor,
    /// A page with an empty cursor instead of none.
    EmptyCursor,
    /// Two pages that both list the account `twice`.
    DuplicateIds,
}

#[derive(Deserialize, JsonSchema)]
struct Config {
    /// The upstream the credential belongs to.
    base_url: String,
    /// A second allowed upstream, without the credential.
    #[allow(dead_code, reason = "the host fills the {other_url} host from it")]
    other_url: Option<String>,
    /// The secret.
    api_key: Leak,
    attack: Attack,
    /// The URL to request.
    target: Option<String>,
    /// The HTTP method, `GET` unless given.
    method: Option<String>,
    /// The credential id to ask for.
    auth: Option<String>,
    /// Extra request headers.
    #[serde(default)]
    headers: Vec<(String, String)>,
    /// How many times, for the repeated attacks.
    count: Option<u32>,
}

/// A secret field that keeps whatever the host passed in its place.
struct Leak(serde_json::Value);

impl<'de> Deserialize<'de> for Leak {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        serde_json::Value::deserialize(d).map(Leak)
    }
}

impl JsonSchema for Leak {
    fn schema_name() -> Cow<'static, str> {
        Secret::schema_name()
    }
    fn inline_schema() -> bool {
        true
    }
    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        Secret::json_schema(generator)
    }
}

struct Hostile(Config);

impl Connector for Hostile {
    type Config = Config;

    fn manifest() -> Manifest {
        Manifest::new("hostile", "Hostile", env!("CARGO_PKG_VERSION"))
            .description("Attacks the sandbox for the tests.")
            .host("{base_url}")
            .host("{other_url}")
            .credential(Credential::bearer("key", "api_key").to("{base_url}"))
            .credential(Credential::query("query", [("key", "api_key")]).to("{base_url}"))
            .read_only_post("{base_url}/read/*")
            .streams([Stream::Accounts])
            .actions([ActionKind::Suspend])
    }

    fn open(config: Config) -> Result<Self> {
        Ok(Hostile(config))
    }

    fn check(&self) -> Result<CheckReport> {
        Ok(CheckReport::all_of(&Self::manifest()))
    }

    fn accounts(&self, cursor: Option<String>) -> Result<Page<Account>> {
        let c = &self.0;
        let named = |id: &str| Account::new(id, AccountStatus::Active, AccountKind::Human);
        match (&c.attack, cursor.as_deref()) {
            (Attack::RepeatCursor, at) => {
                let id = format!("at-{}", at.unwrap_or("start"));
                return Ok(Page::new(vec![named(&id)], Some("again".into())));
            }
            (Attack::EmptyCursor, _) => {
                return Ok(Page::new(vec![named("one")], Some(String::new())));
            }
            (Attack::DuplicateIds, None) => {
                return Ok(Page::new(
                    vec![named("once"), named("twice")],
                    Some("2".into()),
                ));
            }
            (Attack::DuplicateIds, Some(_)) => return Ok(Page::last(vec![named("twice")])),
            _ => {}
        }
        let count = c.count.unwrap_or(1);
        let report = match c.attack {
            Attack::Nothing => vec![("outcome".into(), "ok".into())],
            Attack::Loop => loop {
                std::hint::black_box(());
            },
            Attack::Memory => {
                let mut hoard: Vec<Vec<u8>> = Vec::new();
                loop {
                    hoard.push(vec![1u8; 1 << 20]);
                    std::hint::black_box(&hoard);
                }
            }
            Attack::Trap => panic!("hostile connector panics on purpose"),
            Attack::Fetch => describe(self.request().send()),
            Attack::Read => describe(Ok(self.request().send()?.error_for_status()?)),
            Attack::FetchMany => {
                let mut last = Vec::new();
                for i in 0..count {
                    last = describe(self.request().send());
                    last.push(("sent".into(), (i + 1).to_string()));
                    if last[0].1 != "ok" {
                        break;
                    }
                }
                last
            }
            Attack::FetchAll => {
                let batch: Vec<Request> = (0..count).map(|_| self.request()).collect();
                // Sizes instead of bodies, which may be large.
                send_all(&batch)
                    .into_iter()
                    .enumerate()
                    .flat_map(|(i, r)| {
                        let bytes = r.as_ref().map_or(0, |r| r.bytes().len());
                        describe(r)
                            .into_iter()
                            .filter(|(k, _)| k != "body")
                            .chain([("bytes".to_owned(), bytes.to_string())])
                            .map(move |(k, v)| (format!("{i}.{k}"), v))
                    })
                    .collect()
            }
            Attack::EchoSecret => vec![("api_key".into(), c.api_key.0.to_string())],
            Attack::Log => {
                println!("hostile stdout line");
                for i in 0..count {
                    roster_sdk::log::info(&format!("hostile message {i}"));
                }
                vec![("outcome".into(), "ok".into())]
            }
            Attack::RepeatCursor | Attack::EmptyCursor | Attack::DuplicateIds => {
                unreachable!("answered above")
            }
        };
        let mut account = Account::new("report", AccountStatus::Active, AccountKind::Unknown);
        account.attributes = report;
        Ok(Page::last(vec![account]))
    }

    /// Sends the configured request directly, bypassing `Provisioning`, to
    /// show that the host itself enforces dry runs.
    fn provision(&self, action: Action, ctx: &mut Provisioning) -> Result<Outcome> {
        let Action::Suspend(account) = action else {
            return Err(Error::unsupported("only suspend"));
        };
        let report = describe(self.request().send());
        let summary = report
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(" ");
        Ok(Provisioning::new(ctx.is_dry_run()).finish(Some(account), summary))
    }
}

impl Hostile {
    fn request(&self) -> Request {
        let c = &self.0;
        let method = match c.method.as_deref().unwrap_or("GET") {
            "POST" => Method::Post,
            "PUT" => Method::Put,
            "DELETE" => Method::Delete,
            _ => Method::Get,
        };
        let mut request = Request::new(method, c.target.as_deref().unwrap_or(&c.base_url));
        for (k, v) in &c.headers {
            request = request.header(k, v);
        }
        match &c.auth {
            Some(id) => request.auth(id),
            None => request,
        }
    }
}

/// An HTTP result as attributes: `outcome` is `ok` or the error's kind.
fn describe(result: Result<Response, HttpError>) -> Vec<(String, String)> {
    match result {
        Ok(r) => vec![
            ("outcome".into(), "ok".into()),
            ("status".into(), r.status().to_string()),
            ("body".into(), r.text()),
            (
                "headers".into(),
                format!("{:?}", r.header("x-echo-authorization")),
            ),
            (
                "link".into(),
                r.header("link").unwrap_or_default().to_owned(),
            ),
        ],
        Err(e) => {
            let kind = match &e {
                HttpError::Denied(_) => "denied",
                HttpError::DryRun(_) => "dry-run",
                HttpError::InvalidRequest(_) => "invalid-request",
                HttpError::RequestLimit(_) => "request-limit",
                HttpError::TooLarge(_) => "too-large",
                HttpError::Timeout => "timeout",
                HttpError::RateLimited(_) => "rate-limited",
                HttpError::Transport(_) => "transport",
                HttpError::OutcomeUnknown(_) => "outcome-unknown",
            };
            vec![
                ("outcome".into(), kind.into()),
                ("error".into(), format!("{e:?}")),
            ]
        }
    }
}

roster_sdk::export_connector!(Hostile);
