//! The `roster` binary end to end: configs that are wrong in each way an
//! operator gets them wrong, and syncs against the Atlassian simulator that
//! survive `kill -9`.

use atlassian_sim::{Behaviour, RateLimit, SimOptions, Simulator};
use roster_app::store::sqlite::SqliteStore;
use roster_app::store::{RunStatus, Store};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

mod common;

use common::{command, roster, text};

async fn simulator(people: usize) -> Simulator {
    Simulator::start(SimOptions {
        seed: 4,
        people,
        ..SimOptions::default()
    })
    .await
    .expect("the simulator starts")
}

/// The text of a `roster.toml` with one Jira instance against `sim`, its
/// token in a file under `dir` (written now); `extra` lines go into its
/// config table.
fn jira_config(sim: &Simulator, dir: &Path, extra: &str) -> String {
    let file = dir.join("roster.toml");
    let skipped = sim.write_roster_toml(&file, &["jira"]).unwrap();
    assert!(skipped.is_empty());
    std::fs::read_to_string(file).unwrap() + extra
}

/// The line of [`jira_config`] that names the token's file.
const TOKEN_FROM_FILE: &str = "api_token = { file = \"secrets/jira-api_token\" }";

fn write(dir: &Path, text: &str) -> PathBuf {
    let path = dir.join("roster.toml");
    std::fs::write(&path, text).unwrap();
    path
}

#[tokio::test]
async fn bad_configs_are_clear_and_exit_with_2() {
    let sim = simulator(10).await;
    let dir = tempfile::tempdir().unwrap();
    let cases: Vec<(String, &str)> = vec![
        (
            jira_config(&sim, dir.path(), "").replace("site = ", "# site = "),
            "connector `jira`: config: `site`: is required",
        ),
        (
            jira_config(&sim, dir.path(), "").replace("email = \"", "email = 42 # \""),
            "connector `jira`: config: `email`",
        ),
        (
            jira_config(&sim, dir.path(), "")
                .replace("component = \"jira\"", "component = \"jirra\""),
            "connector `jira`: component: `jirra` is neither a built-in connector",
        ),
        (
            jira_config(&sim, dir.path(), "").replace(
                TOKEN_FROM_FILE,
                "api_token = { env = \"NOT_SET_ANYWHERE\" }",
            ),
            "connector `jira`: config.api_token: the environment variable `NOT_SET_ANYWHERE` is not set",
        ),
        (
            jira_config(&sim, dir.path(), "").replace(
                "component = \"jira\"",
                &format!("component = \"jira\"\nsha256 = \"{}\"", "0".repeat(64)),
            ),
            "connector `jira`: sha256: the component's SHA-256 is",
        ),
    ];
    for (config, expected) in cases {
        write(dir.path(), &config);
        let out = roster(dir.path(), &["check"]);
        let said = text(&out);
        assert_eq!(out.status.code(), Some(2), "{expected}\n{said}");
        assert!(said.contains("roster.toml"), "names the file: {said}");
        assert!(said.contains(expected), "expected `{expected}` in:\n{said}");
    }
    let out = roster(dir.path(), &["--config", "missing.toml", "sync"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out).contains("missing.toml: no such file"),
        "{}",
        text(&out)
    );
}

/// Accounts Jira lists for the simulated org.
fn jira_accounts(sim: &Simulator) -> usize {
    sim.org().people.len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_sync_keeps_the_previous_snapshot_and_resume_completes_it() {
    let sim = simulator(3_000).await;
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), &jira_config(&sim, dir.path(), ""));
    let run = |args: &[&str]| roster(dir.path(), args);
    let first = run(&["sync"]);
    assert!(first.status.success(), "{}", text(&first));
    let accounts = || {
        let out = run(&["accounts", "--format", "json"]);
        assert!(out.status.success(), "{}", text(&out));
        let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        rows.as_array().unwrap().len()
    };
    assert_eq!(accounts(), jira_accounts(&sim));

    // A slow upstream, then kill -9 once the second run has stored pages.
    sim.set_behaviour(Behaviour {
        latency: Duration::from_millis(20),
        ..Behaviour::default()
    });
    let mut child = command(dir.path(), &["sync"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let store_path = dir.path().join("roster.db");
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        assert!(
            Instant::now() < deadline,
            "the second run never stored a page"
        );
        let store = SqliteStore::open(&store_path).unwrap();
        let runs = store.runs().unwrap();
        if runs.len() == 2 && runs[0].counts.iter().any(|(_, n)| *n > 0) {
            break;
        }
        drop(store);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let store = SqliteStore::open(&store_path).unwrap();
    assert_eq!(store.runs().unwrap()[0].status, RunStatus::Running);
    drop(store);
    assert_eq!(
        accounts(),
        jira_accounts(&sim),
        "the previous snapshot is intact"
    );

    // Resume continues where the killed run stopped, and completes.
    sim.set_behaviour(Behaviour::default());
    sim.clear_requests();
    let resumed = run(&["sync", "--resume"]);
    assert!(resumed.status.success(), "{}", text(&resumed));
    assert!(
        text(&resumed).contains("resumed and completed"),
        "{}",
        text(&resumed)
    );
    let store = SqliteStore::open(&store_path).unwrap();
    let runs = store.runs().unwrap();
    assert_eq!(runs.len(), 2, "the killed run was continued, not restarted");
    assert_eq!(runs[0].status, RunStatus::Completed);
    drop(store);
    assert_eq!(accounts(), jira_accounts(&sim));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streams_at_once_trades_time_for_requests() {
    let sim = simulator(2_000).await;
    let dir = tempfile::tempdir().unwrap();
    let sync = |config: String| {
        write(dir.path(), &config);
        sim.clear_requests();
        let out = roster(dir.path(), &["sync"]);
        assert!(out.status.success(), "{}", text(&out));
        let membership_reads = sim
            .requests()
            .iter()
            .filter(|r| r.path.ends_with("/group/member"))
            .count();
        (text(&out), membership_reads)
    };
    // By default each stream has a session, and each session reads the
    // memberships it needs (licences only the role groups'); one stream at
    // a time reads them once.
    let (all_at_once, parallel_reads) = sync(jira_config(&sim, dir.path(), ""));
    let one_session = jira_config(&sim, dir.path(), "").replace(
        "component = \"jira\"\n",
        "component = \"jira\"\nstreams_at_once = 1\n",
    );
    let (one_at_a_time, serial_reads) = sync(one_session);
    assert!(serial_reads > 0);
    assert!(
        serial_reads < parallel_reads && parallel_reads < 2 * serial_reads,
        "{serial_reads} one at a time, {parallel_reads} at once"
    );
    let counts = |out: &str| {
        out.lines()
            .find(|l| l.starts_with("jira: completed"))
            .and_then(|l| l.split_once('('))
            .map(|(_, counts)| counts.to_owned())
    };
    assert_eq!(counts(&all_at_once), counts(&one_at_a_time));
    assert!(counts(&all_at_once).is_some(), "{all_at_once}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_deletes_the_snapshot_before_the_current_one() {
    let sim = simulator(500).await;
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), &jira_config(&sim, dir.path(), ""));
    let people = jira_accounts(&sim) as i64;
    let mut generations = Vec::new();
    for _ in 0..3 {
        let out = roster(dir.path(), &["sync"]);
        assert!(out.status.success(), "{}", text(&out));
        let conn = rusqlite::Connection::open(dir.path().join("roster.db")).unwrap();
        let mut stmt = conn
            .prepare("SELECT generation, COUNT(*) FROM accounts GROUP BY generation")
            .unwrap();
        let rows: Vec<(i64, i64)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        generations.push(rows);
    }
    // The snapshot a sync replaces stays until the next sync, which deletes
    // it while it reads.
    assert_eq!(
        generations,
        [
            vec![(1, people)],
            vec![(1, people), (2, people)],
            vec![(2, people), (3, people)],
        ]
    );
}

/// Every row of `table` in the store under `dir`, but its generation, in
/// a canonical order.
fn stored_rows(dir: &Path, table: &str) -> Vec<Vec<rusqlite::types::Value>> {
    let conn = rusqlite::Connection::open(dir.join("roster.db")).unwrap();
    let columns: Vec<String> = conn
        .prepare(&format!("SELECT name FROM pragma_table_info('{table}')"))
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<Vec<String>, _>>()
        .unwrap()
        .into_iter()
        .filter(|c| c != "generation")
        .collect();
    let list = columns.join(", ");
    let mut stmt = conn
        .prepare(&format!("SELECT {list} FROM {table} ORDER BY {list}"))
        .unwrap();
    stmt.query_map([], |r| {
        (0..columns.len())
            .map(|i| r.get::<_, rusqlite::types::Value>(i))
            .collect()
    })
    .unwrap()
    .collect::<Result<_, _>>()
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_sync_through_a_flaky_upstream_stores_what_a_clean_one_does() {
    let sim = simulator(10_000).await;
    let (clean, flaky) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    for dir in [&clean, &flaky] {
        let file = dir.path().join("roster.toml");
        let skipped = sim
            .write_roster_toml(&file, atlassian_sim::roster_config::CONNECTORS)
            .unwrap();
        assert!(skipped.is_empty(), "{skipped:?}");
    }
    let out = roster(clean.path(), &["sync"]);
    assert!(out.status.success(), "{}", text(&out));

    sim.set_behaviour(Behaviour {
        rate_limit: Some(RateLimit::Every {
            n: 50,
            wait: Duration::from_secs(1),
        }),
        unavailable: 0.05,
        internal_errors: 0.02,
        resets: 0.03,
        truncated: 0.03,
        ..Behaviour::default()
    });
    sim.clear_requests();
    let out = roster(flaky.path(), &["sync"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("the upstream needed"), "{}", text(&out));
    assert!(text(&out).contains("request retries"), "{}", text(&out));
    let faults = sim.requests().iter().filter(|r| r.status != 200).count();
    sim.set_behaviour(Behaviour::default());
    assert!(
        faults > 100,
        "only {faults} faults: the test proves nothing"
    );

    for table in ["accounts", "products", "licenses", "usage"] {
        let (want, got) = (
            stored_rows(clean.path(), table),
            stored_rows(flaky.path(), table),
        );
        assert!(!want.is_empty(), "{table}");
        assert!(
            want == got,
            "{table}: {} rows, not {}",
            got.len(),
            want.len()
        );
    }
    let runs = roster(flaky.path(), &["runs", "--format", "json"]);
    assert!(runs.status.success(), "{}", text(&runs));
    let runs: serde_json::Value = serde_json::from_slice(&runs.stdout).unwrap();
    for run in runs.as_array().unwrap() {
        assert_eq!(run["status"], "completed", "{run}");
        assert!(run["request_retries"].as_i64().unwrap() > 0, "{run}");
    }
}

#[test]
fn help_says_what_roster_is_for() {
    let dir = tempfile::tempdir().unwrap();
    let out = roster(dir.path(), &["--help"]);
    assert!(out.status.success(), "{}", text(&out));
    let first = text(&out).lines().next().unwrap_or_default().to_owned();
    assert!(
        first.starts_with("Roster: who has an account in each SaaS product"),
        "{first}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_piped_into_a_reader_that_stops_ends_quietly() {
    use std::io::Read as _;
    let sim = simulator(3_000).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("roster.toml");
    let skipped = sim.write_roster_toml(&file, &["atlassian-admin"]).unwrap();
    assert!(skipped.is_empty());
    let out = roster(dir.path(), &["sync"]);
    assert!(out.status.success(), "{}", text(&out));
    // More rows than a pipe holds: the reader takes a few bytes and goes.
    let mut child = command(dir.path(), &["accounts", "--format", "json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("roster starts");
    let mut head = [0u8; 64];
    child
        .stdout
        .take()
        .expect("piped")
        .read_exact(&mut head)
        .expect("some output");
    let out = child.wait_with_output().expect("roster ends");
    assert!(out.status.success(), "{:?}: {}", out.status, text(&out));
    assert!(
        !text(&out).contains("Broken pipe"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn commands_that_run_no_connector_need_none_of_its_secrets() {
    let sim = simulator(10).await;
    let dir = tempfile::tempdir().unwrap();
    let config = jira_config(&sim, dir.path(), "").replace(
        TOKEN_FROM_FILE,
        "api_token = { env = \"NOT_SET_ANYWHERE\" }",
    );
    write(dir.path(), &config);
    for args in [
        &["licenses"][..],
        &["accounts"],
        &["runs"],
        &["init", "confluence"],
        &["schema", "jira"],
    ] {
        let out = roster(dir.path(), args);
        assert!(out.status.success(), "{args:?}: {}", text(&out));
    }
    // `connectors` lists the instance and marks its broken config.
    let out = roster(dir.path(), &["connectors", "--format", "csv"]);
    assert!(out.status.success(), "{}", text(&out));
    let listed = String::from_utf8_lossy(&out.stdout).into_owned();
    let line = listed
        .lines()
        .find(|l| l.starts_with("jira,"))
        .unwrap_or_else(|| panic!("the instance is listed: {listed}"));
    assert!(line.contains("NOT_SET_ANYWHERE"), "{line}");
    // Running it names the missing secret.
    let out = roster(dir.path(), &["sync"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("`NOT_SET_ANYWHERE` is not set"),
        "{}",
        text(&out)
    );
}

#[test]
fn init_puts_the_required_fields_first() {
    let dir = tempfile::tempdir().unwrap();
    let out = roster(dir.path(), &["init", "bitbucket"]);
    assert!(out.status.success(), "{}", text(&out));
    let stanza = String::from_utf8_lossy(&out.stdout).into_owned();
    let fields: Vec<&str> = stanza
        .lines()
        .skip_while(|l| !l.ends_with(".config]"))
        .skip(1)
        .filter(|l| !l.starts_with("# ") || l.starts_with("# (optional) "))
        .map(|l| l.trim_start_matches("# (optional) "))
        .filter_map(|l| l.split(" = ").next())
        .collect();
    assert_eq!(
        fields,
        [
            "workspace",
            "access_token",
            "api_token",
            "base_url",
            "email",
            "licensed_groups"
        ],
        "{stanza}"
    );
    let first_optional = stanza.find("# (optional) ").expect("optional fields");
    assert!(
        stanza
            .find("workspace = ")
            .is_some_and(|at| at < first_optional),
        "{stanza}"
    );
}

#[test]
fn reports_of_an_empty_store_say_how_to_fill_it() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "[store]\npath = \"roster.db\"\n");
    for report in ["licenses", "accounts", "inactive"] {
        let args: &[&str] = if report == "inactive" {
            &["inactive", "--days", "30"]
        } else {
            &[report]
        };
        let out = roster(dir.path(), args);
        assert!(out.status.success(), "{report}: {}", text(&out));
        let said = String::from_utf8_lossy(&out.stderr);
        assert!(said.contains("no sync has completed"), "{report}: {said}");
        assert!(said.contains("roster sync"), "{report}: {said}");
    }
}

/// `value` percent-encoded as a URL's query encodes it.
fn form_encoded(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// Every file under `dir` but the secret files, as bytes.
fn stored_files(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(next) = pending.pop() {
        for entry in std::fs::read_dir(&next).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                if path.file_name() != Some("secrets".as_ref()) {
                    pending.push(path);
                }
            } else {
                files.push((path.clone(), std::fs::read(&path).unwrap()));
            }
        }
    }
    files
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trello_key_and_token_stay_out_of_logs_errors_and_the_store() {
    let sim = simulator(400).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("roster.toml");
    assert!(
        sim.write_roster_toml(&file, &["trello"])
            .unwrap()
            .is_empty()
    );
    let traced = |args: &[&str]| {
        command(dir.path(), args)
            .env(
                "ROSTER_LOG",
                "trace,cranelift_codegen=info,wasmtime=info,wasmtime_cranelift=info",
            )
            .output()
            .expect("roster runs")
    };
    let mut outputs = Vec::new();
    for args in [&["check"][..], &["sync"], &["accounts", "--format", "json"]] {
        let out = traced(args);
        assert!(out.status.success(), "{args:?}: {}", text(&out));
        outputs.push(text(&out));
    }
    // A dropped connection puts the request's URL into the client's error,
    // which the retries log.
    sim.set_behaviour(Behaviour {
        resets: 0.3,
        ..Behaviour::default()
    });
    let out = traced(&["sync"]);
    outputs.push(text(&out));
    sim.set_behaviour(Behaviour::default());
    assert!(
        outputs.last().is_some_and(|o| o.contains("retry")),
        "the faults were logged"
    );
    assert!(
        outputs.iter().any(|o| o.contains("/1/organizations/")),
        "the logs name the requests"
    );

    let c = sim.credentials();
    let files = stored_files(dir.path());
    assert!(files.iter().any(|(p, _)| p.ends_with("roster.db")));
    for secret in [&c.trello_key, &c.trello_token] {
        for form in [secret.clone(), form_encoded(secret)] {
            for output in &outputs {
                assert!(
                    !output.contains(&form),
                    "output leaks a credential:\n{output}"
                );
            }
            let needle = form.as_bytes();
            for (path, bytes) in &files {
                let leaks = bytes.windows(needle.len()).any(|w| w == needle);
                assert!(!leaks, "{} leaks a credential", path.display());
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_sync_of_a_connector_is_refused_or_waits_for_the_first() {
    let sim = simulator(100).await;
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), &jira_config(&sim, dir.path(), ""));
    // Another process syncing Jira into this store holds its lock.
    let store = dir.path().join("roster.db");
    let held = roster_app::sync_lock::SyncLock::acquire(&store, "jira", false).unwrap();
    let out = roster(dir.path(), &["sync", "jira"]);
    assert!(!out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("connector `jira` is already syncing"),
        "{}",
        text(&out)
    );
    assert!(sim.requests().is_empty(), "the refused sync sent nothing");

    let waiting = command(dir.path(), &["sync", "--wait", "jira"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    assert!(sim.requests().is_empty(), "the waiting sync waits");
    drop(held);
    let out = waiting.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert!(!sim.requests().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_jira_token_without_administer_jira_syncs_the_accounts_and_reports_the_rest_unknown() {
    let sim = simulator(60).await;
    let dir = tempfile::tempdir().unwrap();
    let creds = sim.credentials();
    let toml = jira_config(&sim, dir.path(), "").replace(&creds.admin_email, &creds.user_email);
    write(dir.path(), &toml);
    std::fs::write(
        dir.path().join("secrets/jira-api_token"),
        &creds.user_api_token,
    )
    .unwrap();

    let check = roster(dir.path(), &["check"]);
    assert!(check.status.success(), "{}", text(&check));
    assert!(
        text(&check).contains("streams: accounts\n"),
        "{}",
        text(&check)
    );

    let synced = roster(dir.path(), &["sync"]);
    let out = text(&synced);
    assert!(
        synced.status.success(),
        "only what is readable is read: {out}"
    );
    assert!(out.contains("jira: completed run 1 ("), "{out}");
    for stream in ["licenses", "products"] {
        assert!(
            out.contains(&format!("  {stream} not read, so unknown: ")),
            "{stream}: {out}"
        );
    }
    assert!(out.contains("`Administer Jira`"), "{out}");

    let runs = text(&roster(dir.path(), &["runs", "--format", "json"]));
    assert!(runs.contains("licenses skipped: "), "{runs}");
    let accounts = roster(dir.path(), &["accounts", "--format", "csv"]);
    assert!(accounts.status.success());
    let listed = String::from_utf8_lossy(&accounts.stdout).lines().count() - 1;
    assert!(
        out.contains(&format!("completed run 1 ({listed} accounts)")),
        "every account synced is listed ({listed}): {out}"
    );
    let notes = String::from_utf8_lossy(&accounts.stderr).into_owned();
    assert!(
        notes.contains(
            "note: `jira` did not read its licenses in its last sync, so they are unknown, not none"
        ),
        "{notes}"
    );
}
