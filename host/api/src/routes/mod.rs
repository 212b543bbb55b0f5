//! The handlers, one module per resource. Each handler's `#[utoipa::path]`
//! both documents it and, through `routes!`, registers it, and names the
//! scope it needs twice: in its `Authorized<…>` extractor (enforced) and in
//! its `security(...)` (documented); the end-to-end tests check the two
//! agree for every operation in the document.

pub mod commands;
pub mod events;
pub mod keys;
pub mod meta;
pub mod plugins;
pub mod reservations;
pub mod stations;
pub mod tariffs;
pub mod tokens;
pub mod transactions;

use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::ApiState;
use crate::error::ApiError;

/// The routes that need an API key.
pub(crate) fn protected() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(stations::list, stations::create))
        .routes(routes!(stations::show, stations::update, stations::delete))
        .routes(routes!(stations::status_history))
        .routes(routes!(stations::log))
        .routes(routes!(stations::faults))
        .routes(routes!(stations::availability))
        .routes(routes!(commands::reset))
        .routes(routes!(commands::change_availability))
        .routes(routes!(commands::unlock_connector))
        .routes(routes!(commands::clear_cache))
        .routes(routes!(commands::trigger_message))
        .routes(routes!(commands::data_transfer))
        .routes(routes!(commands::remote_start))
        .routes(routes!(commands::remote_stop))
        .routes(routes!(commands::send_local_list))
        .routes(routes!(commands::get_local_list_version))
        .routes(routes!(commands::update_firmware))
        .routes(routes!(commands::upload_logs))
        .routes(routes!(commands::get_configuration))
        .routes(routes!(commands::change_configuration))
        .routes(routes!(commands::get_variables))
        .routes(routes!(commands::set_variables))
        .routes(routes!(commands::get_base_report))
        .routes(routes!(commands::get_transaction_status))
        .routes(routes!(commands::raw))
        .routes(routes!(transactions::list))
        .routes(routes!(transactions::show))
        .routes(routes!(transactions::reprice))
        .routes(routes!(tokens::list, tokens::create))
        .routes(routes!(tokens::show, tokens::put, tokens::delete))
        .routes(routes!(tokens::import))
        .routes(routes!(reservations::create))
        .routes(routes!(reservations::list))
        .routes(routes!(reservations::show, reservations::cancel))
        .routes(routes!(events::stream))
        .routes(routes!(keys::list, keys::create))
        .routes(routes!(keys::revoke))
        // a plugin package is larger than the 2 MiB every other body may be
        .merge(
            OpenApiRouter::new()
                .routes(routes!(plugins::list, plugins::install))
                .layer(DefaultBodyLimit::max(plugins::MAX_UPLOAD_BYTES)),
        )
        .routes(routes!(plugins::show, plugins::uninstall))
        .routes(routes!(plugins::configure))
        .routes(routes!(plugins::enable))
        .routes(routes!(plugins::disable))
        .routes(routes!(plugins::rollback))
        .routes(routes!(tariffs::list))
        .routes(routes!(tariffs::assign_default, tariffs::unassign_default))
        .routes(routes!(tariffs::assign_group, tariffs::unassign_group))
        .routes(routes!(tariffs::assign_station, tariffs::unassign_station))
}

/// The routes anyone may call.
pub(crate) fn public() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new().routes(routes!(meta::document))
}

/// An unknown route under the API's prefix.
pub(crate) async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "route_not_found", "no such route; GET /api/v1/openapi.json lists them")
}

/// A known route asked with a method it does not have.
pub(crate) async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this route does not take this method; GET /api/v1/openapi.json lists them",
    )
}
