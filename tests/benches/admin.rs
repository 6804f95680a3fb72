//! Placeholder: the admin connector benchmark.
fn main() {}
