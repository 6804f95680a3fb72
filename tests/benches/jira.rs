//! Placeholder: the jira connector benchmark.
fn main() {}
