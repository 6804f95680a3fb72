//! Builds the connectors in `connectors/` for wasm32-wasip2, so that the
//! `roster` binary embeds them as its built-in connectors.

fn main() {
    roster_guest_builder::build_dir("connectors", "builtin_connectors");
}
