//! Gridlet's REST API, for operators and the applications around a network
//! (a mobile app that finds and starts a charger, a fleet tool, a billing
//! system).
//!
//! [`router`] gives the axum routes under `/api/v1`, to merge into the
//! server's router: stations, transactions (with their prices and
//! repricing), ID tokens, reservations, every command to a station, the
//! live event stream (server-sent events), API keys, plugins (install,
//! upgrade, configure, enable, disable, roll back, uninstall), tariff
//! assignments, and the OpenAPI document at `/api/v1/openapi.json`, which is built
//! from the same handler annotations that register the routes
//! (`utoipa-axum`), so the two cannot drift.
//!
//! Layout:
//! - [`auth`]: API keys (`gl_<id>_<secret>`, stored as SHA-256) and scopes.
//! - [`error`]: [`ApiError`], the one error answer.
//! - [`extract`]: JSON, query and path extractors that fail as [`ApiError`]s.
//! - [`pagination`]: `?limit=&cursor=` and pages.
//! - [`wire`]: the API's own request and answer types.
//! - [`operations`]: the operator's rules over storage, shared with the CLI.
//! - [`routes`]: the handlers, one module per resource.
//!
//! **API Boundary:** the API reaches stations only through
//! [`server::Network`] and storage only through [`domain::Storage`]; no
//! domain or protocol type appears in its wire format.

pub mod auth;
pub mod error;
pub mod extract;
pub mod operations;
pub mod pagination;
pub mod routes;
pub mod wire;

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use axum::Router;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;

use axum::http::StatusCode;
use domain::{Storage, Timestamp};
use plugin_host::PluginRegistry;
use server::Network;

pub use crate::error::ApiError;

/// Where the API is mounted.
pub const PREFIX: &str = "/api/v1";

/// How the API behaves.
#[derive(Debug, Clone)]
pub struct ApiOptions {
    /// The plugin registry the plugin and tariff routes manage and
    /// transactions are repriced with; without one those routes answer
    /// `503 plugins_unavailable`.
    pub plugins: Option<Arc<PluginRegistry>>,
    /// How long a remote start waits, after the station accepted, for the
    /// transaction to begin (a request may ask for less).
    pub remote_start_wait: Duration,
    /// Whether stations may be registered without a password (the server's
    /// admission policy says whether they may then connect).
    pub allow_stations_without_password: bool,
    /// How often the event stream sends a keep-alive comment.
    pub events_keep_alive: Duration,
}

impl Default for ApiOptions {
    fn default() -> Self {
        ApiOptions {
            plugins: None,
            remote_start_wait: Duration::from_secs(60),
            allow_stations_without_password: false,
            events_keep_alive: Duration::from_secs(15),
        }
    }
}

/// What every handler shares.
#[derive(Clone)]
pub struct ApiState {
    /// The operator's handle on the network.
    network: Network,
    /// How the API behaves.
    options: Arc<ApiOptions>,
    /// Source of 2.0.1 `requestId`s for commands that take one (seeded from
    /// the clock so ids differ across restarts).
    request_ids: Arc<AtomicI64>,
}

impl ApiState {
    /// State over `network` with `options`.
    pub fn new(network: Network, options: ApiOptions) -> Self {
        let seed = (server::now().unix_millis() / 1000) % 1_000_000_000;
        ApiState { network, options: Arc::new(options), request_ids: Arc::new(AtomicI64::new(seed)) }
    }

    /// Where everything is kept.
    pub fn storage(&self) -> Arc<dyn Storage> {
        self.network.storage()
    }

    /// The network.
    pub fn network(&self) -> &Network {
        &self.network
    }

    /// The options.
    pub fn options(&self) -> &ApiOptions {
        &self.options
    }

    /// The plugin registry, or `503 plugins_unavailable` when the server
    /// runs without one.
    pub fn plugins(&self) -> Result<Arc<PluginRegistry>, ApiError> {
        self.options.plugins.clone().ok_or_else(|| {
            ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "plugins_unavailable", "this server runs without plugins")
        })
    }

    /// The current time.
    pub fn now(&self) -> Timestamp {
        server::now()
    }

    /// A fresh `requestId` for a command.
    pub fn request_id(&self) -> i64 {
        self.request_ids.fetch_add(1, Ordering::Relaxed) % i64::from(i32::MAX)
    }
}

/// Adds the bearer-key security scheme the operations refer to.
struct SecurityScheme_;

impl Modify for SecurityScheme_ {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let mut http = Http::new(HttpAuthScheme::Bearer);
        http.bearer_format = Some("gl_<id>_<secret>".to_owned());
        http.description = Some(
            "An API key, created with `gridlet api-key create` or `POST /api/v1/api-keys`. \
             Each operation lists the scope it needs (read < operate < admin)."
                .to_owned(),
        );
        components.add_security_scheme("api_key", SecurityScheme::Http(http));
    }
}

/// States the rules between fields of a body that field attributes cannot
/// (JSON Schema's `if`/`then`, `dependentRequired`, `not`), on the bodies' schemas.
struct CrossFieldRules;

impl CrossFieldRules {
    /// (schema, keyword, value): each rule the handlers enforce between fields.
    fn rules() -> Vec<(&'static str, &'static str, serde_json::Value)> {
        use serde_json::json;
        // a connector (not null) needs its EVSE (not null)
        let connector_needs_evse = json!({
            "if": {"required": ["connector"], "properties": {"connector": {"type": "integer"}}},
            "then": {"required": ["evse"], "properties": {"evse": {"type": "integer"}}}
        });
        let not_both_passwords = json!({
            "required": ["password", "generate_password"],
            "properties": {"password": {"type": "string"}, "generate_password": {"const": true}}
        });
        let not_both_transaction_ids = json!({
            "required": ["transaction", "station_tx_id"],
            "properties": {"transaction": {"type": "integer"}, "station_tx_id": {"type": "string"}}
        });
        vec![
            ("ChangeAvailabilityBody", "allOf", json!([connector_needs_evse.clone()])),
            ("TriggerMessageBody", "allOf", json!([connector_needs_evse.clone()])),
            ("RemoteStartBody", "allOf", json!([connector_needs_evse.clone()])),
            ("NewReservation", "allOf", json!([connector_needs_evse])),
            ("NewStation", "not", not_both_passwords.clone()),
            ("StationChange", "not", not_both_passwords),
            ("GetTransactionStatusBody", "not", not_both_transaction_ids.clone()),
            ("RemoteStopBody", "not", not_both_transaction_ids),
            (
                "RemoteStopBody",
                "anyOf",
                json!([
                    {"required": ["transaction"], "properties": {"transaction": {"type": "integer"}}},
                    {"required": ["station_tx_id"], "properties": {"station_tx_id": {"type": "string"}}}
                ]),
            ),
            ("RepriceRequest", "dependentRequired", json!({"plugin_id": ["currency"], "currency": ["plugin_id"]})),
        ]
    }
}

impl Modify for CrossFieldRules {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{RefOr, Schema};
        let Some(components) = openapi.components.as_mut() else { return };
        for (name, keyword, value) in CrossFieldRules::rules() {
            match components.schemas.get_mut(name) {
                Some(RefOr::T(Schema::Object(object))) => {
                    object.extensions.get_or_insert_with(Default::default).insert(keyword.to_owned(), value);
                }
                _ => tracing::error!(schema = name, "the OpenAPI document has no object schema to state a rule on"),
            }
        }
    }
}

/// The document's fixed parts: title, description, tags, the security scheme
/// and the schemas every operation shares.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Gridlet API",
        description = "Operate a Gridlet charging network: stations, transactions, ID tokens, reservations, \
commands to stations, live events, plugins and tariffs. Every operation except this document needs an API key \
(`Authorization: Bearer gl_…`) with the scope the operation names. Errors are \
`{\"error\": {\"code\", \"message\"}}` with a stable `code`. Lists are paged with `limit` and `cursor`.",
        license(name = "Apache-2.0", identifier = "Apache-2.0")
    ),
    modifiers(&SecurityScheme_),
    components(schemas(
        error::ErrorBody,
        error::ErrorView,
        error::ErrorDetail,
        // named by query parameters, which do not add the schemas they name
        wire::CursorText,
        wire::TimeText,
        wire::StationIdText,
        wire::OrderName,
        wire::TransactionStateName
    )),
    tags(
        (name = "stations", description = "Charging stations, their status, history and availability"),
        (name = "commands", description = "Commands to a connected station; each waits for the station's answer"),
        (name = "transactions", description = "Charging sessions of both OCPP versions"),
        (name = "id-tokens", description = "Who may charge"),
        (name = "reservations", description = "Connectors held for a token"),
        (name = "events", description = "The live event stream"),
        (name = "api-keys", description = "Keys for this API"),
        (name = "plugins", description = "WebAssembly plugins: install, upgrade, configure, roll back"),
        (name = "tariffs", description = "Which tariff plugin prices which station's transactions"),
        (name = "meta", description = "This document")
    )
)]
struct ApiDoc;

/// Every documented route, relative to [`PREFIX`], split by whether it
/// needs a key.
fn documented() -> (OpenApiRouter<ApiState>, OpenApiRouter<ApiState>) {
    (routes::protected(), routes::public())
}

/// The OpenAPI document (OpenAPI 3.1) of every route [`router`] serves.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let (protected, public) = documented();
    let mut doc = OpenApiRouter::with_openapi(ApiDoc::openapi()).nest(PREFIX, protected.merge(public)).into_openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    // after the routes' schemas are in the document
    CrossFieldRules.modify(&mut doc);
    doc
}

/// The API's routes under [`PREFIX`], for `network`.
pub fn router(network: Network, options: ApiOptions) -> Router {
    let state = ApiState::new(network, options);
    let document: Arc<str> = match openapi().to_json() {
        Ok(json) => json.into(),
        Err(error) => {
            tracing::error!(%error, "cannot write the OpenAPI document");
            Arc::from("{}")
        }
    };
    let (protected, public) = documented();
    let api = protected
        .layer(axum::middleware::from_fn_with_state(state.clone(), auth::authenticate))
        .merge(public)
        .fallback(routes::not_found);
    let (api, _) = OpenApiRouter::new().nest(PREFIX, api).split_for_parts();
    api.method_not_allowed_fallback(routes::method_not_allowed)
        .layer(axum::Extension(routes::meta::Document(document)))
        .with_state(state)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cross_field_rules_land_on_their_schemas() {
        let document = serde_json::to_value(openapi()).unwrap_or_default();
        for (name, keyword, value) in CrossFieldRules::rules() {
            assert_eq!(document["components"]["schemas"][name][keyword], value, "{name}.{keyword}");
        }
    }
}
