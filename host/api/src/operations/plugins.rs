//! Plugins: installing a package (a new plugin, or a newer version of an
//! installed one: the upgrade), configuring, enabling, disabling, rolling
//! back and uninstalling, and the views of installed plugins — over the
//! [`PluginRegistry`] the server runs, or the one of a data directory the
//! CLI opened while the server is stopped.
//!
//! Lifecycle calls are synchronous and may compile a component (hundreds of
//! milliseconds), so they run on the blocking pool. A refused call changes
//! nothing; its [`RegistryError`] becomes an [`OperationError`] with a
//! stable code: `plugin_not_found`, `invalid_plugin_package`,
//! `capabilities_not_granted`, `plugin_config_rejected` (422),
//! `plugin_version_conflict`, `plugin_kind_mismatch`,
//! `nothing_to_roll_back` (409).

use std::sync::Arc;

use plugin_host::{Capabilities, PluginPackage, PluginRegistry, RegistryError};

use crate::operations::{OperationError, Resource};
use crate::wire::{CapabilitiesView, PluginView};

/// Every installed plugin, by id.
pub fn list(registry: &PluginRegistry) -> Vec<PluginView> {
    registry.list().iter().map(Into::into).collect()
}

/// Installed plugin `id`.
pub fn show(registry: &PluginRegistry, id: &str) -> Result<PluginView, OperationError> {
    registry.info(id).map(|info| (&info).into()).ok_or_else(|| OperationError::not_found(Resource::Plugin, id))
}

/// The capabilities granted in `field`, given as JSON (a
/// [`CapabilitiesView`]); nothing when not given.
pub fn grant(field: &str, json: Option<&str>) -> Result<Capabilities, OperationError> {
    match json.map(str::trim).filter(|text| !text.is_empty()) {
        None => Ok(Capabilities::default()),
        Some(text) => {
            let view: CapabilitiesView = serde_json::from_str(text).map_err(|e| {
                OperationError::invalid(field, format!("not a grant like {{\"http_hosts\": [\"pay.example.com\"]}}: {e}"))
            })?;
            Ok((&view).into())
        }
    }
}

/// Installs the package made of `manifest` (the `gridlet-plugin.toml`
/// text) and `component` (the `.wasm` bytes) with `granted`: a new plugin,
/// or — for an installed id and a newer version — the upgrade. Returns the
/// plugin and whether it is new.
pub async fn install(
    registry: Arc<PluginRegistry>,
    manifest: String,
    component: Vec<u8>,
    granted: Capabilities,
) -> Result<(PluginView, bool), OperationError> {
    blocking(move || {
        let package = PluginPackage::from_parts(&manifest, component).map_err(RegistryError::from)?;
        let new = registry.info(&package.manifest().id).is_none();
        registry.install(package, &granted).map(|info| ((&info).into(), new))
    })
    .await
}

/// Sets plugin `id`'s configuration, once its schema and the plugin itself
/// accept it.
pub async fn configure(
    registry: Arc<PluginRegistry>,
    id: String,
    config: serde_json::Value,
) -> Result<PluginView, OperationError> {
    blocking(move || registry.configure(&id, config).map(|info| (&info).into())).await
}

/// Enables plugin `id` (also one the circuit breaker stopped).
pub async fn enable(registry: Arc<PluginRegistry>, id: String) -> Result<PluginView, OperationError> {
    blocking(move || registry.enable(&id).map(|info| (&info).into())).await
}

/// Disables plugin `id`: calls to it fail (transactions end unpriced).
pub async fn disable(registry: Arc<PluginRegistry>, id: String) -> Result<PluginView, OperationError> {
    blocking(move || registry.disable(&id).map(|info| (&info).into())).await
}

/// Goes back to the version of plugin `id` that was active before its last upgrade.
pub async fn rollback(registry: Arc<PluginRegistry>, id: String) -> Result<PluginView, OperationError> {
    blocking(move || registry.rollback(&id).map(|info| (&info).into())).await
}

/// Removes plugin `id` and its stored versions; returns what it was.
pub async fn uninstall(registry: Arc<PluginRegistry>, id: String) -> Result<PluginView, OperationError> {
    blocking(move || {
        let info = registry.info(&id).ok_or_else(|| RegistryError::NotFound(id.clone()))?;
        registry.uninstall(&id).map(|()| (&info).into())
    })
    .await
}

/// Runs a lifecycle call on the blocking pool.
async fn blocking<T: Send + 'static>(
    call: impl FnOnce() -> Result<T, RegistryError> + Send + 'static,
) -> Result<T, OperationError> {
    tokio::task::spawn_blocking(call)
        .await
        .map_err(|e| OperationError::Internal(format!("the plugin operation did not finish: {e}")))?
        .map_err(registry_error)
}

/// The operator's view of a registry refusal.
pub fn registry_error(error: RegistryError) -> OperationError {
    let message = error.to_string();
    match error {
        RegistryError::NotFound(id) => OperationError::not_found(Resource::Plugin, id),
        RegistryError::Package(_) => OperationError::Rejected { code: "invalid_plugin_package", message },
        RegistryError::Load(_) => OperationError::Rejected {
            code: "invalid_plugin_package",
            message: format!("the component cannot be loaded: {message}"),
        },
        RegistryError::NotGranted { .. } => OperationError::Rejected { code: "capabilities_not_granted", message },
        RegistryError::ConfigRejected { .. } => OperationError::Rejected { code: "plugin_config_rejected", message },
        RegistryError::KindMismatch { .. } => OperationError::Conflict { code: "plugin_kind_mismatch", message },
        RegistryError::VersionConflict { .. } => OperationError::Conflict { code: "plugin_version_conflict", message },
        RegistryError::NothingToRollBack(_) => OperationError::Conflict { code: "nothing_to_roll_back", message },
        RegistryError::Storage { .. } => OperationError::Internal(message),
    }
}
