//! What running a connector costs: loading (compiling, or from the cache),
//! opening a session (instantiate + config + the guest's open), an empty
//! export call, and one HTTP round trip through the host against the same
//! request made with plain reqwest, both to a loopback server.
//!
//! `cargo bench -p roster-tests --bench host`

use criterion::{Criterion, criterion_group, criterion_main};
use roster_sandbox::contract::{Method, Request};
use roster_sandbox::http::{BodyBudget, Gateway, SessionHttp};
use roster_sandbox::policy::{AllowedPrefix, SessionPolicy};
use roster_sandbox::{
    BudgetLimits, HttpLimits, NetworkPolicy, Runtime, RuntimeOptions, SessionOptions,
};
use roster_tests::components::HOSTILE;
use roster_tests::server::TestServer;
use serde_json::json;
use std::time::{Duration, Instant};

fn options(cache_dir: Option<std::path::PathBuf>) -> RuntimeOptions {
    RuntimeOptions {
        cache_dir,
        network: NetworkPolicy {
            allow_private: true,
        },
        ..RuntimeOptions::default()
    }
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let server = rt.block_on(TestServer::start()).unwrap();
    let cache = tempfile::tempdir().unwrap();
    let uncached = Runtime::new(options(None)).unwrap();
    let cached = Runtime::new(options(Some(cache.path().to_owned()))).unwrap();
    rt.block_on(cached.load_bytes(HOSTILE)).unwrap();

    let mut group = c.benchmark_group("load");
    group.sample_size(10);
    group.bench_function("compile", |b| {
        b.iter(|| rt.block_on(uncached.load_bytes(HOSTILE)).unwrap())
    });
    group.finish();
    c.bench_function("load/cached", |b| {
        b.iter(|| rt.block_on(cached.load_bytes(HOSTILE)).unwrap())
    });

    let connector = rt.block_on(cached.load_bytes(HOSTILE)).unwrap();
    let target = format!("{}/ok", server.url());
    let config = json!({
        "base_url": server.url(), "api_key": "bench-secret", "attack": "fetch", "target": target,
    });
    c.bench_function("session/open", |b| {
        b.iter_custom(|n| {
            rt.block_on(async {
                let start = Instant::now();
                for _ in 0..n {
                    cached
                        .open(&connector, &config, SessionOptions::default())
                        .await
                        .unwrap();
                }
                start.elapsed()
            })
        })
    });

    let mut session = rt
        .block_on(cached.open(&connector, &config, SessionOptions::default()))
        .unwrap();
    c.bench_function("call/empty", |b| {
        b.iter_custom(|n| {
            rt.block_on(async {
                let start = Instant::now();
                for _ in 0..n {
                    session.check().await.unwrap();
                }
                start.elapsed()
            })
        })
    });

    let quiet = json!({ "base_url": server.url(), "api_key": "bench-secret", "attack": "nothing" });
    let mut quiet_session = rt
        .block_on(cached.open(&connector, &quiet, SessionOptions::default()))
        .unwrap();
    c.bench_function("call/accounts-page-no-http", |b| {
        b.iter_custom(|n| {
            rt.block_on(async {
                let start = Instant::now();
                for _ in 0..n {
                    quiet_session.accounts(None).await.unwrap();
                }
                start.elapsed()
            })
        })
    });

    let mut http = c.benchmark_group("http-round-trip");
    http.measurement_time(Duration::from_secs(5));
    http.bench_function("through-host", |b| {
        b.iter_custom(|n| {
            rt.block_on(async {
                let start = Instant::now();
                for _ in 0..n {
                    let page = session.accounts(None).await.unwrap();
                    assert_eq!(page.items[0].attributes[1].1, "200");
                }
                start.elapsed()
            })
        })
    });
    let gateway = Gateway::new(
        NetworkPolicy {
            allow_private: true,
        },
        HttpLimits::default(),
        BudgetLimits::default(),
        Default::default(),
    )
    .unwrap();
    let policy = SessionHttp {
        policy: SessionPolicy {
            read_only_posts: Vec::new(),
            allowed: vec![AllowedPrefix {
                scheme: "http".into(),
                host: "127.0.0.1".into(),
                port: server.port(),
                path: "/".into(),
            }],
            credentials: Vec::new(),
        },
        ..SessionHttp::default()
    };
    http.bench_function("gateway-only", |b| {
        b.iter_custom(|n| {
            rt.block_on(async {
                let start = Instant::now();
                for _ in 0..n {
                    let request = Request {
                        method: Method::Get,
                        url: target.clone(),
                        headers: Vec::new(),
                        body: None,
                        auth: None,
                    };
                    let bodies = BodyBudget::new(64 << 20);
                    let (response, _) = gateway.send(&policy, request, &bodies).await.unwrap();
                    assert_eq!(response.status, 200);
                }
                start.elapsed()
            })
        })
    });
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    http.bench_function("plain-reqwest", |b| {
        b.iter_custom(|n| {
            rt.block_on(async {
                let start = Instant::now();
                for _ in 0..n {
                    let response = client.get(&target).send().await.unwrap();
                    assert_eq!(response.status(), 200);
                    response.bytes().await.unwrap();
                }
                start.elapsed()
            })
        })
    });
    http.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
