//! Where the registry keeps installed plugins: plain files in a directory
//! the caller chooses. No database (only the `store` crate knows sled).
//!
//! ```text
//! <data-dir>/
//!   <plugin-id>/
//!     state.json                 active version, rollback history, enabled,
//!                                config, grants, stop reason
//!     <version>/gridlet-plugin.toml
//!     <version>/<component>.wasm
//! ```
//!
//! Every file is written to a temporary name and renamed into place, so a
//! crash leaves either the old or the new file, never half of one.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::manifest::{Capabilities, MANIFEST_FILE, check_plugin_id};
use crate::package::{PackageError, PluginPackage};

const STATE_FILE: &str = "state.json";
/// The format version of `state.json`, bumped when its shape changes.
const STATE_FORMAT: u32 = 1;

/// The persisted state of one installed plugin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct PluginState {
    /// Format version of this file.
    pub(crate) format: u32,
    /// The version calls go to.
    pub(crate) active: semver::Version,
    /// Earlier active versions, oldest first; rollback pops the last.
    pub(crate) history: Vec<semver::Version>,
    /// Whether the operator enabled it.
    pub(crate) enabled: bool,
    /// The operator's configuration (a JSON object).
    pub(crate) config: serde_json::Value,
    /// What the operator granted at install.
    #[serde(default)]
    pub(crate) granted: Capabilities,
    /// Why the circuit breaker stopped it, if it did.
    #[serde(default)]
    pub(crate) stopped: Option<String>,
}

impl PluginState {
    pub(crate) fn new(
        active: semver::Version,
        config: serde_json::Value,
        granted: Capabilities,
    ) -> Self {
        Self {
            format: STATE_FORMAT,
            active,
            history: Vec::new(),
            enabled: false,
            config,
            granted,
            stopped: None,
        }
    }
}

/// The registry's directory.
#[derive(Debug, Clone)]
pub(crate) struct Storage {
    root: PathBuf,
}

impl Storage {
    pub(crate) fn open(root: &Path) -> std::io::Result<Self> {
        std::fs::create_dir_all(root)?;
        Ok(Self {
            root: root.to_path_buf(),
        })
    }

    pub(crate) fn root(&self) -> &Path {
        &self.root
    }

    /// Ids of every plugin directory holding a state file.
    pub(crate) fn plugin_ids(&self) -> std::io::Result<Vec<String>> {
        let mut ids = Vec::new();
        for entry in std::fs::read_dir(&self.root)? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if check_plugin_id(&name).is_ok() && entry.path().join(STATE_FILE).is_file() {
                ids.push(name);
            }
        }
        ids.sort();
        Ok(ids)
    }

    pub(crate) fn read_state(&self, id: &str) -> std::io::Result<PluginState> {
        let bytes = std::fs::read(self.root.join(id).join(STATE_FILE))?;
        let state: PluginState = serde_json::from_slice(&bytes).map_err(std::io::Error::other)?;
        if state.format != STATE_FORMAT {
            return Err(std::io::Error::other(format!(
                "state format {} is not supported (expected {STATE_FORMAT})",
                state.format
            )));
        }
        Ok(state)
    }

    pub(crate) fn write_state(&self, id: &str, state: &PluginState) -> std::io::Result<()> {
        let bytes = serde_json::to_vec_pretty(state).map_err(std::io::Error::other)?;
        write_atomically(&self.root.join(id).join(STATE_FILE), &bytes)
    }

    fn version_dir(&self, id: &str, version: &semver::Version) -> PathBuf {
        self.root.join(id).join(version.to_string())
    }

    /// Stores a package's files (idempotent).
    pub(crate) fn write_package(&self, package: &PluginPackage) -> std::io::Result<()> {
        let manifest = package.manifest();
        let dir = self.version_dir(&manifest.id, &manifest.version);
        std::fs::create_dir_all(&dir)?;
        write_atomically(&dir.join(&manifest.component), package.component())?;
        write_atomically(&dir.join(MANIFEST_FILE), package.manifest_text().as_bytes())
    }

    /// Reads a stored package, if that version is stored.
    pub(crate) fn read_package(
        &self,
        id: &str,
        version: &semver::Version,
    ) -> Result<PluginPackage, PackageError> {
        PluginPackage::from_dir(&self.version_dir(id, version))
    }

    pub(crate) fn has_package(&self, id: &str, version: &semver::Version) -> bool {
        self.version_dir(id, version).join(MANIFEST_FILE).is_file()
    }

    pub(crate) fn remove_plugin(&self, id: &str) -> std::io::Result<()> {
        std::fs::remove_dir_all(self.root.join(id))
    }
}

fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    // Unique per process and write, so concurrent writers never share a file.
    static WRITES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = WRITES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = path.with_extension(format!("tmp{}-{n}", std::process::id()));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}
