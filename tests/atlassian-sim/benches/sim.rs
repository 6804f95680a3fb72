//! Placeholder: the simulator's benchmarks.
fn main() {}
