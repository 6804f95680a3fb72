//! Write [Roster](https://example.invalid) connectors in Rust.
//!
//! A connector is a WebAssembly component that maps one SaaS API onto the
//! Roster contract: accounts, products, licences, usage and provisioning.
//! It never touches the network or a secret itself: every request goes
//! through the host, which checks it against the manifest and attaches the
//! credentials.
//!
//! With this crate a connector is one type implementing [`Connector`] and one
//! call to [`export_connector!`]. The whole of a small connector, which is
//! also the crate `sdk/example` of the repository:
//!
//! ```no_run
#![doc = include_str!("../example/src/lib.rs")]
//! # fn main() {}
//! ```
//!
//! Beyond the trait: [`http`] sends requests through the host and reads
//! upstream errors, [`paging`] computes cursors and reads every page of a
//! listing, [`batch`] fans one request per subject out as one batch, and
//! [`Provisioning`] gives dry runs and real runs one code path.
#![deny(missing_docs)]

pub mod batch;
mod config;
mod connector;
mod error;
mod export;
pub mod http;
pub mod json;
pub mod log;
mod manifest;
mod memo;
pub mod paging;
mod provision;
mod types;

pub use config::{Secret, base_url, both_or_neither, plain_id, site_url};
pub use connector::{Connector, Page};
pub use error::{Error, Result};
pub use manifest::{Credential, Manifest};
pub use memo::Memo;
pub use provision::Provisioning;
pub use types::{
    AccessChange, AccessTarget, Account, AccountKind, AccountStatus, Action, ActionKind,
    Capabilities, CheckReport, CredentialFacts, Instant, Invitation, License, OutcomeStatus,
    PlannedRequest, Product, ProductRef, Stream, Usage,
};
pub use url::Url;

/// Everything a connector usually needs, for `use roster_sdk::prelude::*`.
pub mod prelude {
    pub use crate::http::{Method, Request, Response};
    pub use crate::types::Outcome;
    pub use crate::{
        AccessChange, AccessTarget, Account, AccountKind, AccountStatus, Action, ActionKind,
        CheckReport, Connector, Credential, Error, Instant, Invitation, License, Manifest, Page,
        Product, ProductRef, Provisioning, Result, Secret, Stream, Url, Usage, base_url, site_url,
    };
}

/// Generated bindings for the contract; reached only through the SDK.
#[doc(hidden)]
pub mod bindings {
    wit_bindgen::generate!({
        world: "connector",
        path: "../wit/v0.2.0",
        pub_export_macro: true,
        export_macro_name: "__export_world",
        default_bindings_module: "roster_sdk::__private::bindings",
        additional_derives: [Clone, PartialEq],
    });
}

/// Implementation details of [`export_connector!`]; not part of the API.
#[doc(hidden)]
pub mod __private {
    pub use crate::bindings;
    pub use crate::bindings::__export_world;
    pub use crate::export::ConnectorExport;
}

/// Exports a [`Connector`] implementation as the component's `api`.
///
/// Call it once, at the crate root of a `cdylib` crate built for
/// `wasm32-wasip2`:
///
/// ```no_run
/// # use roster_sdk::prelude::*;
/// # #[derive(serde::Deserialize, schemars::JsonSchema)]
/// # struct Config {}
/// struct MyConnector;
///
/// impl Connector for MyConnector {
///     // ...
/// #     type Config = Config;
/// #     fn manifest() -> Manifest {
/// #         Manifest::new("mine", "Mine", "0.1.0")
/// #     }
/// #     fn open(_: Config) -> Result<Self> {
/// #         Ok(MyConnector)
/// #     }
/// #     fn check(&self) -> Result<CheckReport> {
/// #         Ok(CheckReport::all_of(&Self::manifest()))
/// #     }
/// }
///
/// roster_sdk::export_connector!(MyConnector);
/// # fn main() {}
/// ```
#[macro_export]
macro_rules! export_connector {
    ($connector:ty) => {
        #[doc(hidden)]
        struct __RosterExport;

        impl $crate::__private::ConnectorExport for __RosterExport {
            type Connector = $connector;
        }

        $crate::__private::__export_world!(
            __RosterExport with_types_in $crate::__private::bindings
        );
    };
}
