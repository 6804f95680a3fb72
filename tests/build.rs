//! Builds the test components in `components/`, and the example connector
//! of the README (`sdk/example`), for wasm32-wasip2.

fn main() {
    roster_guest_builder::build(&["tests/components"], &["sdk/example"], "components");
}
