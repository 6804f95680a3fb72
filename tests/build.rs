//! Builds the test components in `components/` for wasm32-wasip2.

fn main() {
    roster_guest_builder::build_dir("tests/components", "components");
}
