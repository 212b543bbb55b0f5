//! `/plugins`: the installed WebAssembly plugins and their lifecycle —
//! install or upgrade (upload a package), configure, enable, disable, roll
//! back, uninstall — without a restart. Reading needs `read`; every change
//! needs `admin`. Calls in flight finish on the version they started with.

use axum::Json;
use axum::extract::multipart::{Field, MultipartError, MultipartRejection};
use axum::extract::{Multipart, State};
use axum::http::StatusCode;

use crate::ApiState;
use crate::auth::{Admin, Authorized, Read};
use crate::error::{ApiError, BadRequest, BodyErrors, CommonErrors, Conflict, NotFound, PluginsUnavailable};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::operations::plugins as ops;
use crate::pagination::{self, page_of_slice};
use crate::wire::{Page, PageQuery, PluginUpload, PluginView};

/// The largest package upload (components are a few hundred KiB).
pub const MAX_UPLOAD_BYTES: usize = 32 * 1024 * 1024;

/// Installed plugins, by id.
#[utoipa::path(
    get,
    path = "/plugins", operation_id = "list_plugins",
    tag = "plugins",
    params(PageQuery),
    responses((status = 200, body = Page<PluginView>, description = "A page of plugins"), BadRequest, PluginsUnavailable, CommonErrors),
    security(("api_key" = ["read"]))
)]
pub async fn list(
    _: Authorized<Read>,
    State(state): State<ApiState>,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> Result<Json<Page<PluginView>>, ApiError> {
    let limit = pagination::limit(query.limit)?;
    let all = ops::list(state.plugins()?.as_ref());
    Ok(Json(page_of_slice(&all, limit, "plugins", query.cursor.as_deref())?))
}

/// An installed plugin: version, content hash, history, status, configuration, grants and limits.
#[utoipa::path(
    get,
    path = "/plugins/{id}", operation_id = "get_plugin",
    tag = "plugins",
    params(("id" = String, Path, description = "The plugin's id")),
    responses((status = 200, body = PluginView, description = "The plugin"), NotFound, PluginsUnavailable, CommonErrors),
    security(("api_key" = ["read"]))
)]
pub async fn show(
    _: Authorized<Read>,
    State(state): State<ApiState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<PluginView>, ApiError> {
    Ok(Json(ops::show(state.plugins()?.as_ref(), &id)?))
}

/// Installs a plugin package, or upgrades an installed plugin to the
/// package's newer version (keeping its configuration and enabled state).
/// The package is `multipart/form-data` with parts `manifest` (the
/// `gridlet-plugin.toml` text), `component` (the `.wasm`) and optionally
/// `grant` (the capabilities granted, as JSON), e.g. `curl -F
/// manifest=@gridlet-plugin.toml -F component=@my_tariff.wasm`. Up to
/// 32 MiB. Installing the installed version again with the same content
/// changes nothing. Needs `admin`.
#[utoipa::path(
    post,
    path = "/plugins", operation_id = "install_plugin",
    tag = "plugins",
    request_body(content = PluginUpload, content_type = "multipart/form-data"),
    responses(
        (status = 201, body = PluginView, description = "Installed"),
        (status = 200, body = PluginView, description = "Upgraded (or already installed)"),
        BodyErrors, Conflict, PluginsUnavailable, CommonErrors
    ),
    security(("api_key" = ["admin"]))
)]
pub async fn install(
    _: Authorized<Admin>,
    State(state): State<ApiState>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<(StatusCode, Json<PluginView>), ApiError> {
    let registry = state.plugins()?;
    let mut multipart = multipart.map_err(|_| {
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the package as multipart/form-data with parts `manifest` and `component` (and optionally `grant`)",
        )
    })?;
    let (mut manifest, mut component, mut grant) = (None, None, None);
    while let Some(field) = multipart.next_field().await.map_err(upload_error)? {
        match field.name().unwrap_or_default() {
            "manifest" => manifest = Some(text(field, "manifest").await?),
            "component" => component = Some(field.bytes().await.map_err(upload_error)?.to_vec()),
            "grant" => grant = Some(text(field, "grant").await?),
            other => return Err(ApiError::invalid(other, "unknown part; the parts are manifest, component and grant")),
        }
    }
    let manifest = manifest.ok_or_else(|| ApiError::invalid("manifest", "missing part: the gridlet-plugin.toml text"))?;
    let component = component.ok_or_else(|| ApiError::invalid("component", "missing part: the .wasm component"))?;
    let granted = ops::grant("grant", grant.as_deref())?;
    let (plugin, new) = ops::install(registry, manifest, component, granted).await?;
    Ok((if new { StatusCode::CREATED } else { StatusCode::OK }, Json(plugin)))
}

/// A part as UTF-8 text.
async fn text(field: Field<'_>, name: &str) -> Result<String, ApiError> {
    let bytes = field.bytes().await.map_err(upload_error)?;
    String::from_utf8(bytes.to_vec()).map_err(|_| ApiError::invalid(name, "is not UTF-8 text"))
}

/// A multipart body that cannot be read.
fn upload_error(error: MultipartError) -> ApiError {
    if error.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", "the package is larger than 32 MiB")
    } else {
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_body", format!("the multipart body cannot be read: {}", error.body_text()))
    }
}

/// Sets a plugin's configuration (the body is the configuration itself),
/// once its schema and the plugin accept it; a rejected configuration
/// changes nothing. Needs `admin`.
#[utoipa::path(
    put,
    path = "/plugins/{id}/config", operation_id = "configure_plugin",
    tag = "plugins",
    params(("id" = String, Path, description = "The plugin's id")),
    request_body(content = Object, description = "The configuration, as the plugin's manifest describes it"),
    responses((status = 200, body = PluginView, description = "The plugin, configured"), BodyErrors, NotFound, PluginsUnavailable, CommonErrors),
    security(("api_key" = ["admin"]))
)]
pub async fn configure(
    _: Authorized<Admin>,
    State(state): State<ApiState>,
    ApiPath(id): ApiPath<String>,
    ApiJson(config): ApiJson<serde_json::Value>,
) -> Result<Json<PluginView>, ApiError> {
    Ok(Json(ops::configure(state.plugins()?, id, config).await?))
}

/// Enables a plugin; also starts one the circuit breaker stopped. Needs `admin`.
#[utoipa::path(
    post,
    path = "/plugins/{id}/enable", operation_id = "enable_plugin",
    tag = "plugins",
    params(("id" = String, Path, description = "The plugin's id")),
    responses((status = 200, body = PluginView, description = "The plugin"), NotFound, PluginsUnavailable, CommonErrors),
    security(("api_key" = ["admin"]))
)]
pub async fn enable(
    _: Authorized<Admin>,
    State(state): State<ApiState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<PluginView>, ApiError> {
    Ok(Json(ops::enable(state.plugins()?, id).await?))
}

/// Disables a plugin: transactions its tariff would price end unpriced,
/// with the reason, and can be repriced later. Needs `admin`.
#[utoipa::path(
    post,
    path = "/plugins/{id}/disable", operation_id = "disable_plugin",
    tag = "plugins",
    params(("id" = String, Path, description = "The plugin's id")),
    responses((status = 200, body = PluginView, description = "The plugin"), NotFound, PluginsUnavailable, CommonErrors),
    security(("api_key" = ["admin"]))
)]
pub async fn disable(
    _: Authorized<Admin>,
    State(state): State<ApiState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<PluginView>, ApiError> {
    Ok(Json(ops::disable(state.plugins()?, id).await?))
}

/// Goes back to the version that was active before the plugin's last
/// upgrade (`409 nothing_to_roll_back` when there is none). Needs `admin`.
#[utoipa::path(
    post,
    path = "/plugins/{id}/rollback", operation_id = "roll_back_plugin",
    tag = "plugins",
    params(("id" = String, Path, description = "The plugin's id")),
    responses((status = 200, body = PluginView, description = "The plugin, on its earlier version"), NotFound, Conflict, PluginsUnavailable, CommonErrors),
    security(("api_key" = ["admin"]))
)]
pub async fn rollback(
    _: Authorized<Admin>,
    State(state): State<ApiState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<PluginView>, ApiError> {
    Ok(Json(ops::rollback(state.plugins()?, id).await?))
}

/// Uninstalls a plugin and its stored versions. Tariff assignments naming
/// it stay; the transactions they would price end unpriced. Needs `admin`.
#[utoipa::path(
    delete,
    path = "/plugins/{id}", operation_id = "uninstall_plugin",
    tag = "plugins",
    params(("id" = String, Path, description = "The plugin's id")),
    responses((status = 204, description = "Uninstalled"), NotFound, PluginsUnavailable, CommonErrors),
    security(("api_key" = ["admin"]))
)]
pub async fn uninstall(
    _: Authorized<Admin>,
    State(state): State<ApiState>,
    ApiPath(id): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    ops::uninstall(state.plugins()?, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
