//! `plugin-artifacts`: the plugins in `plugins/`, compiled to
//! `wasm32-wasip2` components by this crate's `build.rs` as part of the
//! normal `cargo build` / `cargo test`, handed out as bytes and paths.
//!
//! - [`DEFAULT_PLUGINS`]: what the server installs out of the box (the
//!   simple energy + time tariff and the time-of-use tariff), with their
//!   manifests. The bytes are embedded in the binary (`include_bytes!`).
//! - [`TEST_PLUGINS`] and the named constants: components that exist to test
//!   the host (a tariff that misbehaves on demand, one that imports the
//!   filesystem and clock). Their `component_path` points into the build
//!   directory, for tests and the SDK's test kit.
//!
//! The nested build needs the `wasm32-wasip2` target
//! (`rustup target add wasm32-wasip2`); `rust-toolchain.toml` lists it.

/// One plugin built by this crate.
#[derive(Debug, Clone, Copy)]
pub struct PluginArtifact {
    /// The crate's name under `plugins/`.
    pub name: &'static str,
    /// Its `gridlet-plugin.toml`, verbatim (empty if the crate has none).
    pub manifest: &'static str,
    /// The component's bytes.
    pub component: &'static [u8],
    /// Where the component was built (valid on the machine that built it).
    pub component_path: &'static str,
}

include!(concat!(env!("OUT_DIR"), "/artifacts.rs"));

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn components_are_wasm_components() {
        for artifact in DEFAULT_PLUGINS.iter().chain(TEST_PLUGINS) {
            // Component binaries start with the wasm magic and layer 1.
            assert_eq!(&artifact.component[..4], b"\0asm", "{}", artifact.name);
            assert_eq!(
                artifact.component[6..8],
                [1, 0],
                "{} is not a component",
                artifact.name
            );
            assert!(std::path::Path::new(artifact.component_path).is_file());
        }
        assert_eq!(DEFAULT_PLUGINS.len(), 2);
        assert!(DEFAULT_PLUGINS.iter().all(|a| !a.manifest.is_empty()));
    }
}
