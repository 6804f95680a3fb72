//! The contract's types as the host sees them.
//!
//! The host keeps generated bindings for every contract version it
//! supports, one module per version (`v0_1_0`, ...). A connector built
//! against an older supported version is run through its own bindings and
//! its values are converted to the newest version's types, which are the
//! ones re-exported here and used everywhere else in the host.

/// Bindings for `roster:connector@0.1.0` (`wit/v0.1.0`).
pub(crate) mod v0_1_0 {
    wasmtime::component::bindgen!({
        world: "connector",
        path: "../../wit/v0.1.0",
        imports: { default: async },
        exports: { default: async },
        additional_derives: [Hash],
    });
}

/// Contract versions this host runs, oldest first. Released versions are
/// frozen: any change is a new version with its own folder under `wit/`.
pub const SUPPORTED_VERSIONS: &[&str] = &["0.1.0"];

/// The newest contract version; connectors report in its types.
pub const LATEST_VERSION: &str = "0.1.0";

/// The package and interface every connector exports.
pub const API_INTERFACE: &str = "roster:connector/api";

pub(crate) use v0_1_0::roster::connector::{http as http_import, log as log_import};
pub(crate) use v0_1_0::{Connector as World, ConnectorPre as WorldPre};

pub use v0_1_0::roster::connector::http::{HttpError, Method, Request, Response};
pub use v0_1_0::roster::connector::log::Level;
/// A data stream a connector lists: the contract's `data-stream`, and the
/// one name the store and sync use for it.
pub use v0_1_0::roster::connector::types::DataStream as Stream;
pub use v0_1_0::roster::connector::types::{
    AccessChange, AccessTarget, Account, AccountKind, AccountPage, AccountStatus, Action,
    ActionKind, BasicFields, Capabilities, CheckReport, ConnectorError, ConnectorManifest,
    Credential, CredentialScheme, HeaderField, Instant, Invitation, License, LicensePage, Outcome,
    OutcomeStatus, PlannedRequest, Product, QueryField, UpstreamError, Usage, UsagePage,
};

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
