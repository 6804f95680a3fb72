//! A loaded component: compiled, linked, its manifest read and checked.

use crate::contract::Pre;
use crate::manifest::Manifest;
use std::sync::Arc;

/// A connector component ready to run: compiled, linked against the host's
/// imports, its manifest read and validated. Cheap to share; open any number
/// of sessions from it with [`Runtime::open`](crate::Runtime::open).
pub struct Component {
    pub(crate) pre: Pre,
    pub(crate) manifest: Arc<Manifest>,
    pub(crate) sha256: String,
    pub(crate) version: &'static str,
}

impl std::fmt::Debug for Component {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Component")
            .field("id", &self.manifest.raw().id)
            .field("sha256", &self.sha256)
            .field("contract", &self.version)
            .finish_non_exhaustive()
    }
}

impl Component {
    /// The checked manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// SHA-256 of the component bytes, hex; operators pin components by it.
    pub fn sha256(&self) -> &str {
        &self.sha256
    }

    /// The contract version the component was built against.
    pub fn contract_version(&self) -> &'static str {
        self.version
    }
}
