//! The connectors compiled into this host, by manifest id.

mod built {
    include!(concat!(env!("OUT_DIR"), "/builtin_connectors.rs"));
}

/// The built-in components as `(id, bytes)`; the id is the connector crate's
/// name, which is also its manifest id.
pub fn all() -> &'static [(&'static str, &'static [u8])] {
    built::ALL
}

/// The bytes of the built-in connector `id`.
pub fn get(id: &str) -> Option<&'static [u8]> {
    built::ALL
        .iter()
        .find(|(name, _)| *name == id)
        .map(|(_, bytes)| *bytes)
}
