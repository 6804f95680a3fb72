//! What the tests of the `roster` binary share: running it in a
//! directory of its own.

use std::path::Path;
use std::process::{Command, Output};

/// `roster args…` in `dir`, with a component cache of its own.
pub fn command(dir: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_roster"));
    command
        .current_dir(dir)
        .args(args)
        .env("XDG_CACHE_HOME", dir.join("cache"))
        .env_remove("ROSTER_LOG");
    command
}

/// Runs `roster args…` in `dir` to its end.
pub fn roster(dir: &Path, args: &[&str]) -> Output {
    command(dir, args).output().expect("roster runs")
}

/// Its standard output, then its standard error.
pub fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}
