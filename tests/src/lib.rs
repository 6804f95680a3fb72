//! Support for Roster's end-to-end tests: the test components, built for
//! wasm32-wasip2 by this crate's build script, a loopback HTTP server with
//! the upstream behaviours the sandbox must handle, and a harness that runs
//! the built-in connectors against the Atlassian simulator, and what the
//! connector benchmarks share.
#![deny(missing_docs)]

pub mod bench;
pub mod harness;
pub mod server;

/// The test components (crates under `tests/components`), as bytes.
pub mod components {
    include!(concat!(env!("OUT_DIR"), "/components.rs"));
}
