//! A component exporting `roster:connector/api@0.9.0`, which no host
//! supports: loading it must fail with a message naming the versions that
//! are.

wit_bindgen::generate!({ world: "connector", path: "wit" });

struct Future;

impl exports::roster::connector::api::Guest for Future {
    fn hello() -> String {
        "hello from the future".into()
    }
}

export!(Future);
