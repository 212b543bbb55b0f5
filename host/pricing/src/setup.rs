//! The plugin registry of a data directory, and the default plugins.
//!
//! [`open_plugins`] opens the registry in `<data-dir>/plugins` (see
//! [`PLUGINS_DIR`]) with its compile cache beside the plugins
//! ([`COMPILE_CACHE_DIR`]), then installs each default plugin
//! (`plugin_artifacts::DEFAULT_PLUGINS`) that was never installed there:
//! enabled, with its default configuration. A plugin already installed —
//! configured, upgraded, rolled back or disabled by the operator — is left
//! exactly as it is, and so is a default the operator uninstalled: the ids
//! of the defaults installed once are kept in [`DEFAULTS_MARKER`], and only
//! a default not listed there is installed.
//!
//! ```text
//! <data-dir>/plugins/
//!   <plugin-id>/...           the registry's own files (see plugin-host)
//!   .compiled/                native code, one file per component hash
//!   .defaults-installed       the default plugins installed once, one id a line
//! ```
//!
//! (Names starting with a dot are never plugin ids, so the registry leaves
//! them alone.) A default plugin that fails to install does not stop the
//! server: it is reported in [`Plugins::default_failures`] and tried again
//! on the next start.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use plugin_host::{Capabilities, HostConfig, PluginInfo, PluginPackage, PluginRegistry, PluginRuntime};

/// The registry's directory inside the data directory.
pub const PLUGINS_DIR: &str = "plugins";

/// The compile cache's directory inside [`PLUGINS_DIR`].
pub const COMPILE_CACHE_DIR: &str = ".compiled";

/// The file inside [`PLUGINS_DIR`] listing the default plugins installed once.
pub const DEFAULTS_MARKER: &str = ".defaults-installed";

/// Why the plugins could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// The plugin runtime could not start.
    #[error(transparent)]
    Runtime(#[from] plugin_host::RuntimeError),
    /// The registry's directory could not be opened.
    #[error(transparent)]
    Registry(#[from] plugin_host::RegistryError),
}

/// An opened registry and what happened to the default plugins.
#[derive(Debug)]
pub struct Plugins {
    /// The registry, to share with the pricer and the API.
    pub registry: Arc<PluginRegistry>,
    /// Default plugins installed by this call.
    pub defaults_installed: Vec<PluginInfo>,
    /// Default plugins that could not be installed: `(id, reason)`.
    pub default_failures: Vec<(String, String)>,
}

/// Opens the registry of `data_dir` with the runtime's defaults and installs
/// the default plugins (see the module docs).
pub fn open_plugins(data_dir: &Path) -> Result<Plugins, SetupError> {
    open_plugins_with(data_dir, HostConfig::default())
}

/// [`open_plugins`] with a runtime configured by `config`; its `cache_dir`,
/// when `None`, becomes `<data-dir>/plugins/.compiled`.
pub fn open_plugins_with(data_dir: &Path, mut config: HostConfig) -> Result<Plugins, SetupError> {
    let dir = data_dir.join(PLUGINS_DIR);
    if config.cache_dir.is_none() {
        config.cache_dir = Some(dir.join(COMPILE_CACHE_DIR));
    }
    let runtime = PluginRuntime::new(config)?;
    let registry = PluginRegistry::open(runtime, &dir)?;
    for (id, reason) in registry.load_failures() {
        tracing::error!(plugin = %id, %reason, "an installed plugin could not be loaded");
    }
    let (defaults_installed, default_failures) = install_default_plugins(&registry, &dir);
    Ok(Plugins { registry: Arc::new(registry), defaults_installed, default_failures })
}

/// Installs every default plugin not listed in `<dir>/.defaults-installed`
/// and not installed already, enabled with its default configuration, and
/// lists them there. Returns those installed and those that failed.
pub fn install_default_plugins(registry: &PluginRegistry, dir: &Path) -> (Vec<PluginInfo>, Vec<(String, String)>) {
    let marker = dir.join(DEFAULTS_MARKER);
    let mut listed: Vec<String> = match std::fs::read_to_string(&marker) {
        Ok(text) => text.lines().map(str::trim).filter(|id| !id.is_empty()).map(str::to_owned).collect(),
        Err(_) => Vec::new(),
    };
    let before = listed.len();
    let mut installed = Vec::new();
    let mut failed = Vec::new();
    for artifact in plugin_artifacts::DEFAULT_PLUGINS {
        let package = match PluginPackage::from_parts(artifact.manifest, artifact.component.to_vec()) {
            Ok(package) => package,
            Err(e) => {
                failed.push((artifact.name.to_owned(), e.to_string()));
                continue;
            }
        };
        let id = package.manifest().id.clone();
        if listed.contains(&id) {
            continue;
        }
        if registry.info(&id).is_none() {
            match registry.install(package, &Capabilities::default()) {
                Ok(info) => {
                    tracing::info!(plugin = %id, version = %info.version, "default plugin installed");
                    installed.push(info);
                }
                Err(e) => {
                    tracing::error!(plugin = %id, error = %e, "a default plugin could not be installed");
                    failed.push((id, e.to_string()));
                    continue;
                }
            }
        }
        listed.push(id);
    }
    if listed.len() != before
        && let Err(e) = write_marker(&marker, &listed)
    {
        // the next start finds the plugins installed and lists them then
        tracing::warn!(path = %marker.display(), error = %e, "cannot record the installed default plugins");
    }
    (installed, failed)
}

/// Writes the marker to a temporary name and renames it into place.
fn write_marker(marker: &Path, ids: &[String]) -> std::io::Result<()> {
    let mut text = ids.join("\n");
    text.push('\n');
    let tmp: PathBuf = marker.with_extension("tmp");
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, marker)
}
