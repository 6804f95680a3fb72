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

#[cfg(test)]
mod tests {
    #[test]
    fn the_simulator_configures_exactly_the_built_in_connectors() {
        let built: Vec<&str> = super::all().iter().map(|(id, _)| *id).collect();
        let mut known = atlassian_sim::roster_config::CONNECTORS.to_vec();
        known.sort_unstable();
        assert_eq!(
            built, known,
            "each built-in connector gets its config in atlassian_sim::roster_config"
        );
    }
}
