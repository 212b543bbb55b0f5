//! `GET /api/v1/openapi.json`: the OpenAPI document, readable without a key.

use std::sync::Arc;

use axum::Extension;
use axum::http::header;
use axum::response::IntoResponse;

/// The document as JSON, built once when the router is.
#[derive(Clone)]
pub struct Document(pub Arc<str>);

/// The OpenAPI 3.1 document of this API, generated from the handlers.
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "meta",
    operation_id = "openapi",
    responses((status = 200, description = "The OpenAPI document", content_type = "application/json", body = Object))
)]
pub async fn document(Extension(Document(json)): Extension<Document>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], json.to_string())
}
