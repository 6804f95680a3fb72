//! The contract's types as the host sees them.
//!
//! The host keeps generated bindings for every contract version it
//! supports, one module per version ([`v0_2_0`], [`v0_1_0`]). Everywhere
//! else the host works in the newest version's types, re-exported here. A
//! connector built against an older supported version runs through its own
//! bindings ([`Pre`] and [`Instance`] pick them from the version the
//! component exports), and its values are converted to and from the
//! newest types by that version's adapter (`From` impls in its module), so
//! that calling a connector is one line per method and version.

pub(crate) mod v0_1_0;
pub(crate) mod v0_2_0;

use crate::imports::State;
use wasmtime::component::{InstancePre, ResourceAny};
use wasmtime::{AsContextMut, Store};

/// Contract versions this host runs, oldest first. Released versions are
/// frozen: any change is a new version with its own folder under `wit/`.
pub const SUPPORTED_VERSIONS: &[&str] = &["0.1.0", "0.2.0"];

/// The newest contract version; connectors report in its types.
pub const LATEST_VERSION: &str = "0.2.0";

/// The package and interface every connector exports.
pub const API_INTERFACE: &str = "roster:connector/api";

pub use v0_2_0::roster::connector::http::{HttpError, Method, Request, Response};
pub use v0_2_0::roster::connector::log::Level;
/// A data stream a connector lists: the contract's `data-stream`, and the
/// one name the store and sync use for it.
pub use v0_2_0::roster::connector::types::DataStream as Stream;
pub use v0_2_0::roster::connector::types::{
    AccessChange, AccessTarget, Account, AccountKind, AccountPage, AccountStatus, Action,
    ActionKind, BasicFields, Capabilities, CheckReport, ConnectorError, ConnectorManifest,
    Credential, CredentialFacts, CredentialScheme, HeaderField, Instant, Invitation, License,
    LicensePage, Outcome, OutcomeStatus, PlannedRequest, Product, ProductRef, QueryField,
    UpstreamError, Usage, UsagePage,
};

/// A component linked against the host's imports, ready to instantiate
/// through the bindings of its contract version.
pub(crate) enum Pre {
    /// Built against 0.1.0.
    V0_1(v0_1_0::ConnectorPre<State>),
    /// Built against 0.2.0.
    V0_2(v0_2_0::ConnectorPre<State>),
}

/// A running instance of a component, through its version's bindings.
pub(crate) enum Instance {
    /// Built against 0.1.0.
    V0_1(v0_1_0::Connector),
    /// Built against 0.2.0.
    V0_2(v0_2_0::Connector),
}

/// What a call into a guest returns: a trap, or the connector's answer.
type Called<T> = wasmtime::Result<Result<T, ConnectorError>>;

impl Pre {
    /// The bindings of `version` (one of [`SUPPORTED_VERSIONS`]) for a
    /// linked component.
    pub(crate) fn new(version: &str, pre: InstancePre<State>) -> wasmtime::Result<Pre> {
        Ok(match version {
            "0.1.0" => Pre::V0_1(v0_1_0::ConnectorPre::new(pre)?),
            _ => Pre::V0_2(v0_2_0::ConnectorPre::new(pre)?),
        })
    }

    /// Instantiates the component in `store`.
    pub(crate) async fn instantiate(&self, store: &mut Store<State>) -> wasmtime::Result<Instance> {
        Ok(match self {
            Pre::V0_1(pre) => Instance::V0_1(pre.instantiate_async(store).await?),
            Pre::V0_2(pre) => Instance::V0_2(pre.instantiate_async(store).await?),
        })
    }
}

impl Instance {
    /// `manifest()`.
    pub(crate) async fn manifest(
        &self,
        store: impl AsContextMut<Data = State>,
    ) -> wasmtime::Result<ConnectorManifest> {
        Ok(match self {
            Instance::V0_1(w) => w.roster_connector_api().call_manifest(store).await?.into(),
            Instance::V0_2(w) => w.roster_connector_api().call_manifest(store).await?,
        })
    }

    /// `session.open(config)`.
    pub(crate) async fn open(
        &self,
        store: impl AsContextMut<Data = State>,
        config: &str,
    ) -> Called<ResourceAny> {
        match self {
            Instance::V0_1(w) => {
                let api = w.roster_connector_api().session();
                Ok(api.call_open(store, config).await?.map_err(Into::into))
            }
            Instance::V0_2(w) => {
                w.roster_connector_api()
                    .session()
                    .call_open(store, config)
                    .await
            }
        }
    }

    /// `session.check()`.
    pub(crate) async fn check(
        &self,
        store: impl AsContextMut<Data = State>,
        session: ResourceAny,
    ) -> Called<CheckReport> {
        match self {
            Instance::V0_1(w) => {
                let api = w.roster_connector_api().session();
                Ok(adapt(api.call_check(store, session).await?))
            }
            Instance::V0_2(w) => {
                w.roster_connector_api()
                    .session()
                    .call_check(store, session)
                    .await
            }
        }
    }

    /// `session.accounts(cursor)`.
    pub(crate) async fn accounts(
        &self,
        store: impl AsContextMut<Data = State>,
        session: ResourceAny,
        cursor: Option<&str>,
    ) -> Called<AccountPage> {
        match self {
            Instance::V0_1(w) => {
                let api = w.roster_connector_api().session();
                Ok(adapt(api.call_accounts(store, session, cursor).await?))
            }
            Instance::V0_2(w) => {
                let api = w.roster_connector_api().session();
                api.call_accounts(store, session, cursor).await
            }
        }
    }

    /// `session.products()`.
    pub(crate) async fn products(
        &self,
        store: impl AsContextMut<Data = State>,
        session: ResourceAny,
    ) -> Called<Vec<Product>> {
        match self {
            Instance::V0_1(w) => {
                let api = w.roster_connector_api().session();
                let products = api.call_products(store, session).await?;
                Ok(products
                    .map(|list| list.into_iter().map(Into::into).collect())
                    .map_err(Into::into))
            }
            Instance::V0_2(w) => {
                let api = w.roster_connector_api().session();
                api.call_products(store, session).await
            }
        }
    }

    /// `session.licenses(cursor)`.
    pub(crate) async fn licenses(
        &self,
        store: impl AsContextMut<Data = State>,
        session: ResourceAny,
        cursor: Option<&str>,
    ) -> Called<LicensePage> {
        match self {
            Instance::V0_1(w) => {
                let api = w.roster_connector_api().session();
                Ok(adapt(api.call_licenses(store, session, cursor).await?))
            }
            Instance::V0_2(w) => {
                let api = w.roster_connector_api().session();
                api.call_licenses(store, session, cursor).await
            }
        }
    }

    /// `session.usage(cursor)`.
    pub(crate) async fn usage(
        &self,
        store: impl AsContextMut<Data = State>,
        session: ResourceAny,
        cursor: Option<&str>,
    ) -> Called<UsagePage> {
        match self {
            Instance::V0_1(w) => {
                let api = w.roster_connector_api().session();
                Ok(adapt(api.call_usage(store, session, cursor).await?))
            }
            Instance::V0_2(w) => {
                let api = w.roster_connector_api().session();
                api.call_usage(store, session, cursor).await
            }
        }
    }

    /// `session.provision(action, dry-run)`.
    pub(crate) async fn provision(
        &self,
        store: impl AsContextMut<Data = State>,
        session: ResourceAny,
        action: &Action,
        dry_run: bool,
    ) -> Called<Outcome> {
        match self {
            Instance::V0_1(w) => {
                let api = w.roster_connector_api().session();
                let action = action.clone().into();
                Ok(adapt(
                    api.call_provision(store, session, &action, dry_run).await?,
                ))
            }
            Instance::V0_2(w) => {
                let api = w.roster_connector_api().session();
                api.call_provision(store, session, action, dry_run).await
            }
        }
    }
}

/// An older version's answer in the newest types.
fn adapt<T: Into<U>, U, E: Into<ConnectorError>>(
    answer: Result<T, E>,
) -> Result<U, ConnectorError> {
    answer.map(Into::into).map_err(Into::into)
}

/// A connector error in words for operators.
pub fn explain(error: &ConnectorError) -> String {
    use std::fmt::Write as _;
    let mut f = String::new();
    let _ = match error {
        ConnectorError::InvalidConfig(m) => write!(f, "invalid config: {m}"),
        ConnectorError::Unauthorized(m) => write!(f, "unauthorized: {m}"),
        ConnectorError::Forbidden(m) => write!(f, "forbidden: {m}"),
        ConnectorError::NotFound(m) => write!(f, "not found: {m}"),
        ConnectorError::RateLimited(Some(s)) => write!(f, "rate limited: retry in {s} s"),
        ConnectorError::RateLimited(None) => write!(f, "rate limited"),
        ConnectorError::Unsupported(m) => write!(f, "unsupported: {m}"),
        ConnectorError::Upstream(UpstreamError { status: 0, message }) => {
            write!(f, "upstream unreachable: {message}")
        }
        ConnectorError::Upstream(UpstreamError { status, message }) => {
            write!(f, "upstream error {status}: {message}")
        }
        ConnectorError::InvalidResponse(m) => write!(f, "invalid response from upstream: {m}"),
        ConnectorError::OutcomeUnknown(m) => {
            write!(
                f,
                "a write was sent and not answered; whether it was applied is unknown: {m}"
            )
        }
        ConnectorError::Internal(m) => write!(f, "connector error: {m}"),
    };
    f
}

/// A host HTTP error in words for operators.
pub fn explain_http(error: &HttpError) -> String {
    use std::fmt::Write as _;
    let mut f = String::new();
    let _ = match error {
        HttpError::Denied(m) => write!(f, "denied: {m}"),
        HttpError::DryRun(m) => write!(f, "refused during a dry run: {m}"),
        HttpError::InvalidRequest(m) => write!(f, "invalid request: {m}"),
        HttpError::RequestLimit(n) => write!(f, "request limit of {n} per call reached"),
        HttpError::TooLarge(n) => write!(f, "response larger than {n} bytes"),
        HttpError::Timeout => write!(f, "timed out"),
        HttpError::RateLimited(Some(s)) => write!(f, "rate limited: retry in {s} s"),
        HttpError::RateLimited(None) => write!(f, "rate limited"),
        HttpError::Transport(m) => write!(f, "transport error: {m}"),
        HttpError::OutcomeUnknown(m) => {
            write!(f, "sent, but whether it was applied is unknown: {m}")
        }
    };
    f
}

impl Stream {
    /// Every stream, in the order a sync reads them.
    pub const ALL: [Stream; 4] = [
        Stream::Products,
        Stream::Accounts,
        Stream::Licenses,
        Stream::Usage,
    ];

    /// The stream's name in the contract (`accounts`, `licenses`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Stream::Accounts => "accounts",
            Stream::Products => "products",
            Stream::Licenses => "licenses",
            Stream::Usage => "usage",
        }
    }

    /// The stream of a name [`as_str`](Stream::as_str) gives.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

impl std::fmt::Display for ProductRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.instance {
            Some(instance) => write!(f, "{} on {instance}", self.key),
            None => f.write_str(&self.key),
        }
    }
}

impl ProductRef {
    /// The product `key` on `instance`.
    pub fn on(key: impl Into<String>, instance: impl Into<String>) -> Self {
        ProductRef {
            key: key.into(),
            instance: Some(instance.into()),
        }
    }

    /// The product `key`, on its one instance.
    pub fn only(key: impl Into<String>) -> Self {
        ProductRef {
            key: key.into(),
            instance: None,
        }
    }
}

/// A product by key alone: its one instance.
impl From<&str> for ProductRef {
    fn from(key: &str) -> Self {
        ProductRef::only(key)
    }
}

impl Product {
    /// What licences, usage and access changes name this instance by.
    pub fn reference(&self) -> ProductRef {
        ProductRef {
            key: self.key.clone(),
            instance: self.instance.clone(),
        }
    }
}

/// An action's name in the contract (`invite`, `grant`, ...).
pub fn action_name(action: ActionKind) -> &'static str {
    match action {
        ActionKind::Invite => "invite",
        ActionKind::Grant => "grant",
        ActionKind::Revoke => "revoke",
        ActionKind::Suspend => "suspend",
        ActionKind::Restore => "restore",
        ActionKind::Remove => "remove",
    }
}

#[cfg(test)]
mod tests {
    use super::SUPPORTED_VERSIONS;
    use sha2::{Digest, Sha256};
    use std::path::Path;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// What `sha256sum *.wit | sha256sum` prints in `folder`.
    fn digest(folder: &Path) -> String {
        let mut names: Vec<String> = std::fs::read_dir(folder)
            .unwrap_or_else(|e| panic!("{}: {e}", folder.display()))
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".wit"))
            .collect();
        names.sort();
        let listing: String = names
            .iter()
            .map(|n| {
                let text = std::fs::read(folder.join(n)).unwrap();
                format!("{}  {n}\n", hex(&Sha256::digest(text)))
            })
            .collect();
        hex(&Sha256::digest(listing))
    }

    #[test]
    fn released_contracts_are_frozen_and_every_supported_one_is_released() {
        let wit = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../wit");
        let released = std::fs::read_to_string(wit.join("RELEASED")).unwrap();
        let mut folders = Vec::new();
        for line in released
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
        {
            let (want, folder) = line.split_once("  ").expect("`<digest>  <folder>`");
            assert_eq!(
                digest(&wit.join(folder)),
                want,
                "wit/{folder} is released and frozen: put the change in a new version's folder"
            );
            folders.push(folder);
        }
        for version in SUPPORTED_VERSIONS {
            assert!(
                folders.contains(&format!("v{version}").as_str()),
                "the host supports {version}, so wit/v{version} must be released (listed in wit/RELEASED)"
            );
        }
    }
}
