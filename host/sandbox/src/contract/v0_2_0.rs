//! Bindings for `roster:connector@0.2.0` (`wit/v0.2.0`), the newest
//! version: the types the rest of the host works in.

wasmtime::component::bindgen!({
    world: "connector",
    path: "../../wit/v0.2.0",
    imports: { default: async },
    exports: { default: async },
    additional_derives: [Hash],
});
