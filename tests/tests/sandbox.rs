//! Each sandbox guarantee, proven with the hostile component against a
//! loopback server.

use roster_sandbox::config_schema::SECRET_PLACEHOLDER;
use roster_sandbox::contract::{Action, OutcomeStatus};
use roster_sandbox::{
    CallError, Component, HttpLimits, Limits, LoadError, NetworkPolicy, OpenError, Runtime,
    RuntimeOptions, Session, SessionOptions, Tape,
};
use roster_tests::components::{FUTURE_CONTRACT, HOSTILE};
use roster_tests::server::TestServer;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const SECRET: &str = "s3cr3t-api-key-0042";

fn options(allow_private: bool) -> RuntimeOptions {
    RuntimeOptions {
        network: NetworkPolicy { allow_private },
        ..RuntimeOptions::default()
    }
}

async fn load(options: RuntimeOptions) -> (Runtime, Component) {
    let runtime = Runtime::new(options).expect("runtime");
    let connector = runtime.load_bytes(HOSTILE).await.expect("hostile loads");
    (runtime, connector)
}

/// The config for an attack; `extra` overrides fields.
fn config(base_url: &str, attack: &str, extra: Value) -> Value {
    let mut c = json!({ "base_url": base_url, "api_key": SECRET, "attack": attack });
    for (k, v) in extra.as_object().unwrap() {
        c[k] = v.clone();
    }
    c
}

/// Runs `accounts` once and returns the report's attributes.
async fn attack(
    runtime: &Runtime,
    connector: &Component,
    config: Value,
) -> Result<HashMap<String, String>, CallError> {
    let mut session = runtime
        .open(connector, &config, SessionOptions::default())
        .await
        .expect("session opens");
    let page = session.accounts(None).await?;
    Ok(page.items[0].attributes.iter().cloned().collect())
}

fn outcome(report: &HashMap<String, String>) -> &str {
    &report["outcome"]
}

#[tokio::test]
async fn an_infinite_loop_is_stopped_by_the_deadline_and_the_host_carries_on() {
    let mut opts = options(true);
    opts.limits = Limits {
        call_deadline: Duration::from_millis(500),
        ..Limits::default()
    };
    let (runtime, connector) = load(opts).await;
    let server = TestServer::start().await.unwrap();
    let mut session = runtime
        .open(
            &connector,
            &config(&server.url(), "loop", json!({})),
            SessionOptions::default(),
        )
        .await
        .unwrap();
    let err = session.accounts(None).await.unwrap_err();
    assert!(
        matches!(err, CallError::Deadline(d) if d == Duration::from_millis(500)),
        "{err}"
    );
    assert!(matches!(
        session.accounts(None).await,
        Err(CallError::Discarded)
    ));
    let report = attack(
        &runtime,
        &connector,
        config(&server.url(), "nothing", json!({})),
    )
    .await
    .unwrap();
    assert_eq!(outcome(&report), "ok");
}

#[tokio::test(flavor = "current_thread")]
async fn a_spinning_connector_does_not_hold_the_thread_another_needs() {
    let mut opts = options(true);
    opts.limits = Limits {
        call_deadline: Duration::from_secs(3),
        ..Limits::default()
    };
    let (runtime, connector) = load(opts).await;
    let server = TestServer::start().await.unwrap();
    let open = |attack: &str, extra: Value| {
        let c = config(&server.url(), attack, extra);
        let (runtime, connector) = (&runtime, &connector);
        async move {
            runtime
                .open(connector, &c, SessionOptions::default())
                .await
                .unwrap()
        }
    };
    let mut spinning = open("loop", json!({})).await;
    let target = format!("{}/ok", server.url());
    let mut working = open("fetch", json!({ "target": target })).await;
    // One thread for both: the working call can finish only if the
    // spinning one yields.
    let finished = Mutex::new(Vec::new());
    let spin = async {
        let result = spinning.accounts(None).await;
        finished.lock().unwrap().push("spinning");
        result
    };
    let work = async {
        let result = working.accounts(None).await;
        finished.lock().unwrap().push("working");
        result
    };
    let (spun, worked) = tokio::join!(spin, work);
    assert!(matches!(spun, Err(CallError::Deadline(_))), "{spun:?}");
    assert_eq!(worked.unwrap().items[0].attributes[0].1, "ok");
    assert_eq!(*finished.lock().unwrap(), ["working", "spinning"]);
}

#[tokio::test]
async fn a_memory_bomb_hits_the_cap() {
    let mut opts = options(true);
    opts.limits = Limits {
        memory_bytes: 32 << 20,
        ..Limits::default()
    };
    let (runtime, connector) = load(opts).await;
    let err = attack(
        &runtime,
        &connector,
        config("http://127.0.0.1:9", "memory", json!({})),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, CallError::MemoryLimit(n) if n == 32 << 20),
        "{err}"
    );
}

#[tokio::test]
async fn a_trap_discards_that_instance_only() {
    let (runtime, connector) = load(options(true)).await;
    let server = TestServer::start().await.unwrap();
    let mut trapping = runtime
        .open(
            &connector,
            &config(&server.url(), "trap", json!({})),
            SessionOptions::default(),
        )
        .await
        .unwrap();
    let err = trapping.accounts(None).await.unwrap_err();
    assert!(
        matches!(&err, CallError::Trap(m) if m.contains("unreachable")),
        "{err}"
    );
    assert!(matches!(trapping.check().await, Err(CallError::Discarded)));
    let report = attack(
        &runtime,
        &connector,
        config(&server.url(), "nothing", json!({})),
    )
    .await
    .unwrap();
    assert_eq!(outcome(&report), "ok");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trapping_connector_does_not_disturb_another_running_at_the_same_time() {
    let (runtime, connector) = load(options(true)).await;
    let server = TestServer::start().await.unwrap();
    let slow = config(
        &server.url(),
        "fetch",
        json!({ "target": format!("{}/slow?ms=400", server.url()) }),
    );
    let crash = config(&server.url(), "trap", json!({}));
    let (good, bad) = tokio::join!(attack(&runtime, &connector, slow), async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        attack(&runtime, &connector, crash).await
    });
    assert!(matches!(bad, Err(CallError::Trap(_))));
    let good = good.unwrap();
    assert_eq!((outcome(&good), good["body"].as_str()), ("ok", "slow"));
}

/// Requests that the sandbox must refuse before anything is sent.
#[tokio::test]
async fn forbidden_destinations_are_typed_denials() {
    let (runtime, connector) = load(options(false)).await;
    let server = TestServer::start().await.unwrap();
    let cases = [
        // (base_url, target, what the denial must mention)
        (
            "https://allowed.example",
            "https://evil.example/x",
            "not in the allowlist",
        ),
        (
            "https://allowed.example",
            "https://allowed.example@evil.example/x",
            "user information",
        ),
        (
            "https://allowed.example",
            "https://allowed.example.evil.example/x",
            "not in the allowlist",
        ),
        ("http://127.0.0.1:9", "http://127.0.0.1:9/x", "private"),
        (
            "http://169.254.169.254",
            "http://169.254.169.254/latest/meta-data/",
            "private",
        ),
        (
            "http://93.184.216.34",
            "http://93.184.216.34/",
            "IP-literal",
        ),
        ("http://[::1]:9", "http://[::1]:9/x", "private"),
        ("https://allowed.example", "file:///etc/passwd", "not http"),
        (
            "http://allowed.example",
            "http://allowed.example/x",
            "over https only",
        ),
    ];
    for (base, target, why) in cases {
        let report = attack(
            &runtime,
            &connector,
            config(base, "fetch", json!({ "target": target, "auth": "key" })),
        )
        .await
        .unwrap();
        assert_eq!(outcome(&report), "denied", "{target}: {report:?}");
        assert!(report["error"].contains(why), "{target}: {report:?}");
    }
    // A name that resolves to loopback is refused on its address.
    let localhost = format!("http://localhost:{}", server.port());
    let report = attack(
        &runtime,
        &connector,
        config(
            &localhost,
            "fetch",
            json!({ "target": format!("{localhost}/ok") }),
        ),
    )
    .await
    .unwrap();
    assert_eq!(outcome(&report), "denied", "{report:?}");
    assert!(
        report["error"].contains("resolves only to private"),
        "{report:?}"
    );
    assert!(
        server.seen().is_empty(),
        "nothing reached the server: {:?}",
        server.seen()
    );
}

#[tokio::test]
async fn redirects_are_followed_only_within_the_allowlist() {
    let (runtime, connector) = load(options(true)).await;
    let server = TestServer::start().await.unwrap();
    let inside = format!("{}/redirect?to=/ok", server.url());
    let report = attack(
        &runtime,
        &connector,
        config(&server.url(), "fetch", json!({ "target": inside })),
    )
    .await
    .unwrap();
    assert_eq!((outcome(&report), report["status"].as_str()), ("ok", "200"));

    let outside = format!(
        "{}/redirect?to=http://localhost:{}/ok",
        server.url(),
        server.port()
    );
    let report = attack(
        &runtime,
        &connector,
        config(&server.url(), "fetch", json!({ "target": outside })),
    )
    .await
    .unwrap();
    assert_eq!(outcome(&report), "denied", "{report:?}");
    assert_eq!(
        server.seen().iter().filter(|s| s.target == "/ok").count(),
        1,
        "the off-list hop was never made"
    );
}

#[tokio::test]
async fn a_credential_goes_only_to_its_hosts_and_never_back_to_the_guest() {
    let (runtime, connector) = load(options(true)).await;
    let server = TestServer::start().await.unwrap();
    let other = format!("http://localhost:{}", server.port());
    let base = config(
        &server.url(),
        "fetch",
        json!({ "other_url": other, "auth": "key" }),
    );

    let mut to_own = base.clone();
    to_own["target"] = json!(format!("{}/echo", server.url()));
    let report = attack(&runtime, &connector, to_own).await.unwrap();
    assert_eq!(outcome(&report), "ok");
    assert_eq!(report["body"], "authorization=Bearer [redacted] query=");
    assert_eq!(
        server.seen()[0].authorization.as_deref(),
        Some(format!("Bearer {SECRET}").as_str())
    );

    let mut to_other = base.clone();
    to_other["target"] = json!(format!("{other}/echo"));
    let report = attack(&runtime, &connector, to_other).await.unwrap();
    assert_eq!(outcome(&report), "denied", "{report:?}");
    assert!(
        report["error"].contains("credential `key` may not be sent"),
        "{report:?}"
    );

    let mut unknown = base.clone();
    unknown["target"] = json!(format!("{}/echo", server.url()));
    unknown["auth"] = json!("other");
    let report = attack(&runtime, &connector, unknown).await.unwrap();
    assert_eq!(outcome(&report), "denied");

    let mut sneaky = base;
    sneaky["auth"] = Value::Null;
    sneaky["target"] = json!(format!("{}/echo", server.url()));
    sneaky["headers"] = json!([["Authorization", "Bearer stolen"]]);
    let report = attack(&runtime, &connector, sneaky).await.unwrap();
    assert_eq!(outcome(&report), "denied");
    assert_eq!(server.seen().len(), 1, "only the allowed request was sent");
}

#[tokio::test]
async fn the_secret_never_reaches_the_guest_config() {
    let (runtime, connector) = load(options(true)).await;
    let report = attack(
        &runtime,
        &connector,
        config("http://127.0.0.1:9", "echo-secret", json!({})),
    )
    .await
    .unwrap();
    let placeholder = serde_json::to_string(SECRET_PLACEHOLDER).unwrap();
    assert_eq!(report["api_key"], placeholder);
    assert!(!report["api_key"].contains(SECRET));
}

/// Captures everything logged on this thread.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn the_secret_never_appears_in_logs_and_guest_output_is_logged() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let (runtime, connector) = load(options(true)).await;
    let server = TestServer::start().await.unwrap();
    for (attack_name, target) in [
        ("fetch", format!("{}/echo", server.url())),
        (
            "fetch",
            format!("{}/limited?key=log&times=1&retry-after=0", server.url()),
        ),
        ("fetch", "http://127.0.0.1:9/refused".to_owned()),
        ("log", String::new()),
    ] {
        let c = config(
            &server.url(),
            attack_name,
            json!({ "target": target, "auth": "key", "count": 3 }),
        );
        attack(&runtime, &connector, c).await.unwrap();
    }
    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("hostile message 2"), "{logs}");
    assert!(logs.contains("hostile stdout line"), "{logs}");
    assert!(logs.contains("retrying"), "{logs}");
    assert!(
        !logs.contains(SECRET),
        "the secret leaked into the logs:\n{logs}"
    );
}

#[tokio::test]
async fn guest_logs_are_rate_limited() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let mut opts = options(true);
    opts.limits = Limits {
        log_lines_per_call: 10,
        ..Limits::default()
    };
    let (runtime, connector) = load(opts).await;
    attack(
        &runtime,
        &connector,
        config("http://127.0.0.1:9", "log", json!({ "count": 1000 })),
    )
    .await
    .unwrap();
    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert_eq!(logs.matches("hostile message").count(), 9, "{logs}");
    assert!(
        logs.contains("log limit of 10 lines per call reached"),
        "{logs}"
    );
}

#[tokio::test]
async fn a_huge_response_is_cut_off() {
    let mut opts = options(true);
    opts.http = HttpLimits {
        max_response_bytes: 1 << 20,
        ..HttpLimits::default()
    };
    let (runtime, connector) = load(opts).await;
    let server = TestServer::start().await.unwrap();
    for target in ["/huge?bytes=3000000", "/huge?bytes=3000000&chunked"] {
        let c = config(
            &server.url(),
            "fetch",
            json!({ "target": format!("{}{target}", server.url()) }),
        );
        let report = attack(&runtime, &connector, c).await.unwrap();
        assert_eq!(outcome(&report), "too-large", "{target}: {report:?}");
    }
    let c = config(
        &server.url(),
        "fetch",
        json!({ "target": format!("{}/huge?bytes=1000", server.url()) }),
    );
    let report = attack(&runtime, &connector, c).await.unwrap();
    assert_eq!(report["body"].len(), 1000);
}

#[tokio::test]
async fn a_429_with_retry_after_is_retried_then_succeeds() {
    let (runtime, connector) = load(options(true)).await;
    let server = TestServer::start().await.unwrap();
    let target = format!("{}/limited?key=a&times=2", server.url());
    let report = attack(
        &runtime,
        &connector,
        config(&server.url(), "fetch", json!({ "target": target })),
    )
    .await
    .unwrap();
    assert_eq!((outcome(&report), report["status"].as_str()), ("ok", "200"));
    assert_eq!(report["body"], r#"{"attempts":3}"#);
    assert_eq!(server.seen().len(), 3);
}

#[tokio::test]
async fn a_wait_longer_than_allowed_is_a_typed_rate_limit() {
    let (runtime, connector) = load(options(true)).await;
    let server = TestServer::start().await.unwrap();
    let target = format!("{}/limited?key=b&times=1&retry-after=3600", server.url());
    let report = attack(
        &runtime,
        &connector,
        config(&server.url(), "fetch", json!({ "target": target })),
    )
    .await
    .unwrap();
    assert_eq!(outcome(&report), "rate-limited", "{report:?}");
    assert!(report["error"].contains("3600"), "{report:?}");
    assert_eq!(server.seen().len(), 1, "no retry within the hour");
}

/// A runtime whose backoff is short enough for tests of retries.
async fn quick_retries() -> (Runtime, Component) {
    let mut opts = options(true);
    opts.http = HttpLimits {
        backoff_base: Duration::from_millis(2),
        ..HttpLimits::default()
    };
    load(opts).await
}

/// Opens a session sending `method` to `target` on `server`.
async fn session_to(
    runtime: &Runtime,
    connector: &Component,
    server: &TestServer,
    method: &str,
    target: &str,
) -> Session {
    let c = config(
        &server.url(),
        "fetch",
        json!({ "target": format!("{}{target}", server.url()), "method": method }),
    );
    runtime
        .open(connector, &c, SessionOptions::default())
        .await
        .expect("session opens")
}

/// The attributes of the one account a `fetch` reports.
async fn fetched(session: &mut Session) -> HashMap<String, String> {
    let page = session.accounts(None).await.expect("the call returns");
    page.items[0].attributes.iter().cloned().collect()
}

#[tokio::test]
async fn reads_are_retried_after_server_errors_and_cut_bodies() {
    let (runtime, connector) = quick_retries().await;
    let server = TestServer::start().await.unwrap();
    for (method, target, fault) in [
        ("GET", "/failing?key=a&times=2&status=500", "server_errors"),
        ("GET", "/failing?key=b&times=2&status=502", "server_errors"),
        ("GET", "/failing?key=c&times=2&status=504", "server_errors"),
        ("GET", "/cut?key=d&times=2", "connection"),
        ("POST", "/read/cut?key=e&times=2", "connection"),
        (
            "POST",
            "/read/failing?key=f&times=2&status=500",
            "server_errors",
        ),
    ] {
        let mut session = session_to(&runtime, &connector, &server, method, target).await;
        let report = fetched(&mut session).await;
        assert_eq!(
            (outcome(&report), report["status"].as_str()),
            ("ok", "200"),
            "{method} {target}: {report:?}"
        );
        assert_eq!(report["body"], r#"{"attempts":3}"#, "{method} {target}");
        let absorbed = session.absorbed();
        let retries = absorbed.retries[&format!("127.0.0.1:{}", server.port())];
        let counted = match fault {
            "server_errors" => retries.server_errors,
            _ => retries.connection,
        };
        assert_eq!(
            (counted, retries.total()),
            (2, 2),
            "{method} {target}: {retries:?}"
        );
        assert_eq!(absorbed.gave_up, None);
    }
}

#[tokio::test]
async fn a_get_that_keeps_failing_gives_up_after_the_budget_and_says_so() {
    let (runtime, connector) = quick_retries().await;
    let server = TestServer::start().await.unwrap();
    let mut session = session_to(
        &runtime,
        &connector,
        &server,
        "GET",
        "/failing?key=a&times=1000&status=500",
    )
    .await;
    let report = fetched(&mut session).await;
    assert_eq!(
        report["status"], "500",
        "the connector gets the last answer"
    );
    let attempts = HttpLimits::default().max_retries as usize + 1;
    assert_eq!(server.seen().len(), attempts);
    let gave_up = session
        .absorbed()
        .gave_up
        .expect("the host says it gave up");
    let upstream = format!("GET http://127.0.0.1:{}/failing", server.port());
    assert!(gave_up.starts_with(&upstream), "{gave_up}");
    assert!(
        gave_up.contains(&format!("gave up after {attempts} attempts (answered 500)")),
        "{gave_up}"
    );
    assert!(
        !gave_up.contains("key=a"),
        "no query, which may hold a secret"
    );
}

/// What the hostile connector's `provision` (the only call that may
/// write) reports of its one request: `outcome=… status=… body=…`.
async fn written(session: &mut Session) -> String {
    let outcome = session
        .provision(&Action::Suspend("a1".into()), false)
        .await
        .expect("the call returns");
    outcome.summary
}

#[tokio::test]
async fn a_write_cut_off_after_the_upstream_applied_it_is_not_sent_again() {
    let (runtime, connector) = quick_retries().await;
    let server = TestServer::start().await.unwrap();
    for (method, target) in [
        ("POST", "/cut?key=w&times=1"),
        ("PUT", "/cut?key=p&times=1"),
        ("DELETE", "/cut?key=d&times=1"),
    ] {
        let mut session = session_to(&runtime, &connector, &server, method, target).await;
        let summary = written(&mut session).await;
        assert!(
            summary.starts_with("outcome=outcome-unknown"),
            "{method}: {summary}"
        );
        assert!(
            summary.contains("the host did not send it again"),
            "{method}: {summary}"
        );
    }
    let methods: Vec<String> = server.seen().into_iter().map(|s| s.method).collect();
    assert_eq!(
        methods,
        ["POST", "PUT", "DELETE"],
        "each write reached the upstream once"
    );
}

#[tokio::test]
async fn a_write_is_retried_only_where_the_upstream_refused_it() {
    let (runtime, connector) = quick_retries().await;
    let server = TestServer::start().await.unwrap();
    // 500 and 503: the write may have been applied; the connector decides.
    for (key, status) in [("a", 500), ("b", 503)] {
        let target = format!("/failing?key={key}&times=1&status={status}");
        let mut session = session_to(&runtime, &connector, &server, "POST", &target).await;
        let summary = written(&mut session).await;
        assert!(
            summary.starts_with(&format!("outcome=ok status={status}")),
            "{summary}"
        );
    }
    assert_eq!(server.seen().len(), 2, "neither sent again");
    // 429: refused, so sent again.
    let target = "/failing?key=c&times=1&status=429";
    let mut session = session_to(&runtime, &connector, &server, "POST", target).await;
    let summary = written(&mut session).await;
    assert!(summary.contains(r#"body={"attempts":2}"#), "{summary}");
}

#[tokio::test]
async fn only_provision_may_write() {
    let (runtime, connector) = quick_retries().await;
    let server = TestServer::start().await.unwrap();
    for method in ["POST", "PUT", "DELETE"] {
        let mut session = session_to(&runtime, &connector, &server, method, "/ok").await;
        let report = fetched(&mut session).await;
        assert_eq!(outcome(&report), "denied", "{method}: {report:?}");
        assert!(
            report["error"].contains("only `provision` may write"),
            "{method}: {report:?}"
        );
    }
    assert!(server.seen().is_empty(), "nothing was sent");
    // A method override would let a read write.
    let c = config(
        &server.url(),
        "fetch",
        json!({
            "target": format!("{}/ok", server.url()),
            "headers": [["X-HTTP-Method-Override", "DELETE"]],
        }),
    );
    let report = attack(&runtime, &connector, c).await.unwrap();
    assert_eq!(outcome(&report), "denied", "{report:?}");
    // A declared read-only POST is a read.
    let mut session = session_to(&runtime, &connector, &server, "POST", "/read/ok").await;
    assert_eq!(outcome(&fetched(&mut session).await), "ok");
    assert_eq!(server.seen().len(), 1);
}

#[tokio::test]
async fn requests_per_call_are_capped_and_batches_answer_in_order() {
    let mut opts = options(true);
    opts.limits = Limits {
        requests_per_call: 5,
        ..Limits::default()
    };
    let (runtime, connector) = load(opts).await;
    let server = TestServer::start().await.unwrap();
    let target = format!("{}/ok", server.url());
    let report = attack(
        &runtime,
        &connector,
        config(
            &server.url(),
            "fetch-many",
            json!({ "target": target, "count": 10 }),
        ),
    )
    .await
    .unwrap();
    assert_eq!(
        (outcome(&report), report["sent"].as_str()),
        ("request-limit", "6")
    );
    let report = attack(
        &runtime,
        &connector,
        config(
            &server.url(),
            "fetch-all",
            json!({ "target": target, "count": 7 }),
        ),
    )
    .await
    .unwrap();
    let outcomes: Vec<&str> = (0..7)
        .map(|i| report[&format!("{i}.outcome")].as_str())
        .collect();
    assert_eq!(
        outcomes,
        [
            "ok",
            "ok",
            "ok",
            "ok",
            "ok",
            "request-limit",
            "request-limit"
        ]
    );
    assert_eq!(server.seen().len(), 5 + 5);
}

#[tokio::test]
async fn a_dry_run_refuses_writes_at_the_host() {
    let (runtime, connector) = load(options(true)).await;
    let server = TestServer::start().await.unwrap();
    let c = config(
        &server.url(),
        "nothing",
        json!({ "target": format!("{}/ok", server.url()), "method": "POST" }),
    );
    let mut session = runtime
        .open(&connector, &c, SessionOptions::default())
        .await
        .unwrap();
    let planned = session
        .provision(&Action::Suspend("a1".into()), true)
        .await
        .unwrap();
    assert!(
        planned.summary.starts_with("outcome=dry-run"),
        "{}",
        planned.summary
    );
    assert!(server.seen().is_empty());
    let applied = session
        .provision(&Action::Suspend("a1".into()), false)
        .await
        .unwrap();
    assert!(
        applied.summary.starts_with("outcome=ok status=200"),
        "{}",
        applied.summary
    );
    assert_eq!(applied.status, OutcomeStatus::Unchanged);
    assert_eq!(server.seen().len(), 1);
}

/// A journal that keeps what it is told, or refuses everything.
struct Kept {
    writes: std::sync::Mutex<Vec<roster_sandbox::Write>>,
    refuse: bool,
    /// Requests the server had seen when each write was recorded.
    seen_then: std::sync::Mutex<Vec<usize>>,
    server: TestServer,
}

impl roster_sandbox::WriteJournal for Kept {
    fn record(&self, write: &roster_sandbox::Write) -> Result<(), String> {
        self.seen_then
            .lock()
            .unwrap()
            .push(self.server.seen().len());
        if self.refuse {
            return Err("the disk is full".into());
        }
        self.writes.lock().unwrap().push(write.clone());
        Ok(())
    }
}

#[tokio::test]
async fn every_write_is_journaled_redacted_before_it_is_sent_and_unsent_if_it_cannot_be() {
    let (runtime, connector) = load(options(true)).await;
    for refuse in [false, true] {
        let journal = Arc::new(Kept {
            writes: Default::default(),
            refuse,
            seen_then: Default::default(),
            server: TestServer::start().await.unwrap(),
        });
        let target = format!("{}/echo?token={SECRET}", journal.server.url());
        let c = config(
            &journal.server.url(),
            "nothing",
            json!({ "target": target, "method": "POST", "auth": "key" }),
        );
        let mut session = runtime
            .open(&connector, &c, SessionOptions::default())
            .await
            .unwrap();
        let outcome = session
            .apply(&Action::Suspend("a1".into()), journal.clone())
            .await
            .unwrap();
        assert_eq!(*journal.seen_then.lock().unwrap(), [0], "recorded first");
        if refuse {
            assert!(journal.server.seen().is_empty(), "never sent");
            assert!(
                outcome.summary.contains(
                    "not sent, because the journal could not record it: the disk is full"
                ),
                "{}",
                outcome.summary
            );
        } else {
            assert_eq!(journal.server.seen().len(), 1);
            let writes = journal.writes.lock().unwrap();
            assert_eq!(writes.len(), 1);
            assert_eq!(writes[0].method, "POST");
            assert!(
                writes[0].url.ends_with("/echo?token=[redacted]"),
                "{:?}",
                writes[0]
            );
        }
    }
}

#[tokio::test]
async fn a_component_built_against_an_unknown_version_is_refused() {
    let runtime = Runtime::new(options(false)).unwrap();
    let err = runtime.load_bytes(FUTURE_CONTRACT).await.unwrap_err();
    assert!(
        matches!(&err, LoadError::UnsupportedVersion { found } if found == "0.9.0"),
        "{err}"
    );
    assert!(err.to_string().contains("supported: 0.1.0"), "{err}");
    let err = runtime.load_bytes(b"\0asm not really").await.unwrap_err();
    assert!(matches!(err, LoadError::Invalid(_)), "{err}");
}

#[tokio::test]
async fn bad_config_names_the_field() {
    let (runtime, connector) = load(options(true)).await;
    let err = runtime
        .open(
            &connector,
            &json!({ "base_url": "http://127.0.0.1:9", "api_key": SECRET }),
            SessionOptions::default(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, OpenError::Config(_)), "{err}");
    assert!(err.to_string().contains("`attack`: is required"), "{err}");
    let err = runtime
        .open(
            &connector,
            &config("http://u:p@127.0.0.1:9", "nothing", json!({})),
            SessionOptions::default(),
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("`base_url`"), "{err}");
}

#[tokio::test]
async fn compiled_components_are_cached_across_runtimes() {
    let root = tempfile::tempdir().unwrap();
    let dir = CacheDir(root.path().join("cache"));
    let with_cache = || RuntimeOptions {
        cache_dir: Some(dir.path().to_owned()),
        ..options(true)
    };
    let first = Runtime::new(with_cache()).unwrap();
    first.load_bytes(HOSTILE).await.unwrap();
    let entries = |d: &std::path::Path| {
        std::fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect::<Vec<_>>()
    };
    let cached = entries(dir.path());
    assert_eq!(cached.len(), 1, "{cached:?}");
    let written = std::fs::metadata(&cached[0]).unwrap().modified().unwrap();
    drop(first);
    let second = Runtime::new(with_cache()).unwrap();
    let connector = second.load_bytes(HOSTILE).await.unwrap();
    assert_eq!(connector.manifest().raw().id, "hostile");
    assert_eq!(entries(dir.path()), cached, "no new artifact");
    assert_eq!(
        std::fs::metadata(&cached[0]).unwrap().modified().unwrap(),
        written,
        "not recompiled"
    );
}

#[tokio::test]
async fn a_session_is_recorded_redacted_and_replayed_offline() {
    let (runtime, connector) = load(options(true)).await;
    let server = TestServer::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let tape = dir.path().join("session.jsonl");
    let c = config(
        &server.url(),
        "fetch",
        json!({ "target": format!("{}/echo?x=1", server.url()), "auth": "key" }),
    );
    let run = |tape: Tape| {
        let (runtime, connector, c) = (&runtime, &connector, c.clone());
        async move {
            let mut session = runtime
                .open(
                    connector,
                    &c,
                    SessionOptions {
                        tape: Some(tape),
                        label: None,
                    },
                )
                .await
                .unwrap();
            session.accounts(None).await.unwrap().items[0]
                .attributes
                .clone()
        }
    };
    let live = run(Tape::record(&tape).unwrap()).await;
    drop(server);
    let recording = std::fs::read_to_string(&tape).unwrap();
    assert!(!recording.contains(SECRET), "{recording}");
    assert!(recording.contains("[redacted]"), "{recording}");
    let replayed = run(Tape::replay(&tape).unwrap()).await;
    assert_eq!(live, replayed);
    assert_eq!(live[1], ("status".to_owned(), "200".to_owned()));
}

#[tokio::test]
async fn the_manifest_is_read_and_checked_at_load() {
    let (_runtime, connector) = load(options(false)).await;
    let m = connector.manifest();
    assert_eq!(m.raw().id, "hostile");
    assert_eq!(m.schema().secret_fields(), ["api_key"]);
    assert_eq!(connector.contract_version(), "0.2.0");
    assert_eq!(connector.sha256().len(), 64);
}

/// A secret with characters that URL and JSON encoding change.
const ODD_SECRET: &str = "s3cr\"et/key+with=chars&more é\\";

/// The forms [`ODD_SECRET`] takes in a query and in JSON.
fn odd_secret_forms() -> Vec<String> {
    let form: String = url::form_urlencoded::byte_serialize(ODD_SECRET.as_bytes()).collect();
    let json = serde_json::to_string(ODD_SECRET).unwrap();
    vec![
        ODD_SECRET.to_owned(),
        form.clone(),
        form.replace('+', "%20"),
        json[1..json.len() - 1].to_owned(),
    ]
}

#[tokio::test]
async fn a_query_credential_reflected_in_any_encoding_reaches_the_guest_redacted() {
    let (runtime, connector) = load(options(true)).await;
    let server = TestServer::start().await.unwrap();
    for route in ["echo", "echo-json"] {
        let mut c = config(
            &server.url(),
            "fetch",
            json!({ "target": format!("{}/{route}?x=1", server.url()), "auth": "query" }),
        );
        c["api_key"] = json!(ODD_SECRET);
        let report = attack(&runtime, &connector, c).await.unwrap();
        assert_eq!(outcome(&report), "ok", "{route}: {report:?}");
        let seen = server.seen();
        let sent = &seen.last().expect("the request arrived").target;
        assert!(
            sent.contains(&odd_secret_forms()[1]),
            "sent form-encoded: {sent}"
        );
        let (body, link) = (&report["body"], &report["link"]);
        assert!(body.contains("[redacted]"), "{route}: {body}");
        for form in odd_secret_forms() {
            assert!(
                !body.contains(&form),
                "{route}: the body reflects {form:?}: {body}"
            );
            assert!(
                !link.contains(&form),
                "{route}: the link reflects {form:?}: {link}"
            );
        }
    }
}

#[tokio::test]
async fn content_negotiation_is_the_hosts() {
    let (runtime, connector) = load(options(true)).await;
    let server = TestServer::start().await.unwrap();
    for header in ["Accept-Encoding", "Range", "If-Range"] {
        let c = config(
            &server.url(),
            "fetch",
            json!({
                "target": format!("{}/ok", server.url()),
                "headers": [[header, "gzip"]],
            }),
        );
        let report = attack(&runtime, &connector, c).await.unwrap();
        assert_eq!(outcome(&report), "denied", "{header}: {report:?}");
    }
    let c = config(
        &server.url(),
        "fetch",
        json!({ "target": format!("{}/gzip", server.url()) }),
    );
    let report = attack(&runtime, &connector, c).await.unwrap();
    assert_eq!(outcome(&report), "denied", "{report:?}");
    assert!(report["error"].contains("gzip"), "{report:?}");
}

#[tokio::test]
async fn a_secret_too_short_to_redact_is_refused() {
    let (runtime, connector) = load(options(true)).await;
    let mut c = config("http://127.0.0.1:9", "nothing", json!({}));
    c["api_key"] = json!("abc");
    let err = runtime
        .open(&connector, &c, SessionOptions::default())
        .await
        .expect_err("refused");
    assert!(
        matches!(err, OpenError::Config(_)) && err.to_string().contains("api_key"),
        "{err}"
    );
}

/// The outcomes of a `fetch-all` report of `count` requests.
fn batch_outcomes(report: &HashMap<String, String>, count: usize) -> Vec<&str> {
    (0..count)
        .map(|i| report[&format!("{i}.outcome")].as_str())
        .collect()
}

#[tokio::test]
async fn a_batch_is_capped_in_length() {
    let mut opts = options(true);
    opts.limits = Limits {
        batch_requests: 3,
        ..Limits::default()
    };
    let (runtime, connector) = load(opts).await;
    let server = TestServer::start().await.unwrap();
    let target = format!("{}/ok", server.url());
    let c = config(
        &server.url(),
        "fetch-all",
        json!({ "target": target, "count": 5 }),
    );
    let report = attack(&runtime, &connector, c).await.unwrap();
    assert_eq!(
        batch_outcomes(&report, 5),
        ["ok", "ok", "ok", "denied", "denied"]
    );
    assert_eq!(server.seen().len(), 3, "the rest were never sent");
}

#[tokio::test]
async fn a_batch_of_large_answers_shares_one_byte_budget() {
    // Half of 64 MiB for the batch: two 12 MiB answers fit, six do not.
    let mut opts = options(true);
    opts.limits = Limits {
        memory_bytes: 64 << 20,
        ..Limits::default()
    };
    let (runtime, connector) = load(opts).await;
    let server = TestServer::start().await.unwrap();
    let size = 12u64 << 20;
    for chunked in [false, true] {
        let target = format!(
            "{}/huge?bytes={size}{}",
            server.url(),
            if chunked { "&chunked" } else { "" }
        );
        let c = config(
            &server.url(),
            "fetch-all",
            json!({ "target": target, "count": 6 }),
        );
        let report = attack(&runtime, &connector, c).await.unwrap();
        let outcomes = batch_outcomes(&report, 6);
        let ok = outcomes.iter().filter(|&&o| o == "ok").count();
        let refused = outcomes.iter().filter(|&&o| o == "too-large").count();
        assert!((1..=2).contains(&ok) && ok + refused == 6, "{outcomes:?}");
        let delivered: u64 = (0..6)
            .map(|i| report[&format!("{i}.bytes")].parse::<u64>().unwrap())
            .sum();
        assert!(delivered <= 32 << 20, "{delivered} bytes delivered");
    }
}

/// A cache directory inside a temporary one, which also holds its key.
struct CacheDir(std::path::PathBuf);

impl CacheDir {
    fn path(&self) -> &std::path::Path {
        &self.0
    }

    /// The entry of the component whose SHA-256 is `sha256`.
    fn entry(&self, sha256: &str) -> std::path::PathBuf {
        std::fs::read_dir(&self.0)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.file_name().unwrap().to_string_lossy().starts_with(sha256))
            .expect("an entry")
    }
}

#[tokio::test]
async fn a_cache_entry_of_another_component_or_a_link_is_never_run() {
    let root = tempfile::tempdir().unwrap();
    let cache = CacheDir(root.path().join("cache"));
    let with_cache = || RuntimeOptions {
        cache_dir: Some(cache.path().to_owned()),
        ..options(true)
    };
    let (admin, jira) = (
        roster_app::builtin::get("atlassian-admin").unwrap(),
        roster_app::builtin::get("jira").unwrap(),
    );
    let first = Runtime::new(with_cache()).unwrap();
    let admin_sha = first.load_bytes(admin).await.unwrap().sha256().to_owned();
    let jira_sha = first.load_bytes(jira).await.unwrap().sha256().to_owned();
    drop(first);
    let (admin_entry, jira_entry) = (cache.entry(&admin_sha), cache.entry(&jira_sha));

    // Jira's compiled code in the admin connector's place.
    std::fs::copy(&jira_entry, &admin_entry).unwrap();
    let second = Runtime::new(with_cache()).unwrap();
    let loaded = second.load_bytes(admin).await.unwrap();
    assert_eq!(loaded.manifest().raw().id, "atlassian-admin");
    assert_ne!(
        std::fs::read(&admin_entry).unwrap(),
        std::fs::read(&jira_entry).unwrap(),
        "compiled afresh"
    );

    // A link to Jira's entry in its place.
    std::fs::remove_file(&admin_entry).unwrap();
    std::os::unix::fs::symlink(&jira_entry, &admin_entry).unwrap();
    let third = Runtime::new(with_cache()).unwrap();
    let loaded = third.load_bytes(admin).await.unwrap();
    assert_eq!(loaded.manifest().raw().id, "atlassian-admin");
    assert!(
        !std::fs::symlink_metadata(&admin_entry)
            .unwrap()
            .is_symlink()
    );
}

#[tokio::test]
async fn a_pinned_component_that_changed_is_neither_compiled_nor_run() {
    let root = tempfile::tempdir().unwrap();
    let cache = CacheDir(root.path().join("cache"));
    let runtime = Runtime::new(RuntimeOptions {
        cache_dir: Some(cache.path().to_owned()),
        ..options(true)
    })
    .unwrap();
    let err = runtime
        .load_bytes_pinned(HOSTILE, Some(&"0".repeat(64)))
        .await
        .expect_err("refused");
    assert!(matches!(err, LoadError::Pin { .. }), "{err}");
    assert_eq!(
        std::fs::read_dir(cache.path()).unwrap().count(),
        0,
        "nothing compiled"
    );
    let pinned = err.to_string();
    let sha = pinned
        .split_whitespace()
        .nth(4)
        .expect("the message names the component's SHA-256")
        .trim_end_matches(',');
    let loaded = runtime.load_bytes_pinned(HOSTILE, Some(sha)).await.unwrap();
    assert_eq!(loaded.sha256(), sha);
}
