//! The README's example connector is a real component, and every connector
//! Roster ships receives a config its own schema accepts.

use atlassian_sim::Simulator;
use roster_app::builtin;
use roster_sandbox::contract::{CredentialScheme, Stream};
use roster_sandbox::{OpenError, SessionOptions};
use roster_tests::components::EXAMPLE_CONNECTOR;
use roster_tests::harness;
use serde_json::{Value, json};

#[test]
fn the_readme_shows_the_example_crate_as_it_is() {
    let readme = include_str!("../../README.md");
    let code = include_str!("../../sdk/example/src/lib.rs");
    assert!(
        readme.contains(&format!("```rust\n{code}```")),
        "README's \"Write a connector\" must show sdk/example/src/lib.rs verbatim"
    );
}

#[tokio::test]
async fn the_example_loads_declares_what_the_readme_says_and_checks_its_config() {
    let runtime = harness::runtime(4);
    let example = runtime
        .load_bytes(EXAMPLE_CONNECTOR)
        .await
        .expect("the example loads");
    let m = example.manifest().raw();
    assert_eq!((m.id.as_str(), m.name.as_str()), ("example", "Example"));
    assert_eq!(m.hosts, ["https://{workspace}.example.com"]);
    assert_eq!(m.capabilities.streams, [Stream::Accounts]);
    assert_eq!(m.credentials.len(), 1);
    assert!(matches!(&m.credentials[0].scheme, CredentialScheme::Bearer(f) if f == "token"));
    assert_eq!(
        example.manifest().schema().secret_fields(),
        ["token"],
        "the token is a secret the connector never sees"
    );

    let resolved = example
        .manifest()
        .resolve(&json!({ "workspace": "acme", "token": "t0k3n-of-acme" }))
        .expect("a good config resolves");
    let hosts: Vec<String> = resolved
        .policy
        .allowed
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(hosts, ["https://acme.example.com/"]);

    let refused = runtime
        .open(
            &example,
            &json!({ "workspace": "acme.evil.example", "token": "t0k3n" }),
            SessionOptions::default(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(refused, OpenError::Config(_)) && refused.to_string().contains("workspace"),
        "{refused}"
    );
    let missing = runtime
        .open(
            &example,
            &json!({ "workspace": "acme" }),
            SessionOptions::default(),
        )
        .await
        .unwrap_err();
    assert!(
        missing.to_string().contains("`token`: is required"),
        "{missing}"
    );
}

#[tokio::test]
async fn every_connector_receives_a_config_its_schema_accepts() {
    let sim: Simulator = harness::simulator(10, 3, Default::default()).await;
    let runtime = harness::runtime(4);
    let mut configs: Vec<(&[u8], Value)> = builtin::all()
        .iter()
        .map(|(id, bytes)| {
            let config = sim
                .connector_config(id)
                .unwrap_or_else(|| panic!("the simulator configures `{id}`"));
            (*bytes, config)
        })
        .collect();
    configs.push((
        EXAMPLE_CONNECTOR,
        json!({ "workspace": "acme", "token": "t0k3n-of-acme" }),
    ));
    for (bytes, config) in configs {
        let component = runtime.load_bytes(bytes).await.expect("it loads");
        let manifest = component.manifest();
        let received = manifest
            .resolve(&config)
            .unwrap_or_else(|e| panic!("{}: {e}", manifest.raw().id));
        let received = Value::Object(received.visible);
        assert!(
            manifest.schema().validate(&received).is_ok(),
            "{}: receives {received}",
            manifest.raw().id
        );
        for secret in manifest.schema().secret_fields() {
            if let Some(value) = config.get(secret) {
                assert_ne!(received.get(secret), Some(value), "{}", manifest.raw().id);
            }
        }
        runtime
            .open(&component, &config, SessionOptions::default())
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", manifest.raw().id));
    }
}
