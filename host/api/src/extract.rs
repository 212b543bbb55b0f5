//! Extractors that reject in the API's own error shape: [`ApiJson`] for
//! bodies, [`ApiQuery`] for query strings, [`ApiPath`] for path parameters.
//!
//! A missing (empty) body or one that is not JSON is `400 invalid_json`:
//! every operation that takes a body needs one, `{}` when all its fields
//! are optional, as the document says. JSON of the wrong shape is
//! `422 invalid_request` naming the field (`id_token.value: missing field`);
//! a body of another content type is `415 unsupported_media_type`; one above
//! the size limit `413 payload_too_large`.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use serde::de::DeserializeOwned;

use crate::error::{ApiError, ErrorDetail};

/// A JSON body, deserialized into `T`.
#[derive(Debug, Clone)]
pub struct ApiJson<T>(pub T);

/// A query string, deserialized into `T`.
#[derive(Debug, Clone)]
pub struct ApiQuery<T>(pub T);

/// A raw body with its content type, for handlers that take several formats.
#[derive(Debug, Clone)]
pub struct ApiBody {
    /// The `Content-Type`, if given.
    pub content_type: Option<String>,
    /// The body.
    pub bytes: Bytes,
}

/// Path parameters, deserialized into `T`.
#[derive(Debug, Clone)]
pub struct ApiPath<T>(pub T);

/// Splits a serde message of the form `path: message` into its parts.
fn field_error(text: &str) -> ApiError {
    match text.split_once(": ") {
        Some((field, message)) if !field.is_empty() && !field.contains(' ') => ApiError::invalid(field, message),
        _ => ApiError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "invalid_request",
            message: text.to_owned(),
            details: vec![ErrorDetail { row: None, field: None, message: text.to_owned() }],
        },
    }
}

/// Deserializes JSON `bytes` into `T`, naming the failing field.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_json",
            "the body is empty; send JSON (`{}` when every field is left out)",
        ));
    }
    let mut json: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| {
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_json", format!("the body is not valid JSON: {e}"))
    })?;
    integral_numbers_as_integers(&mut json);
    serde_path_to_error::deserialize(json).map_err(|error| {
        let path = error.path().to_string();
        if path == "." { field_error(&error.inner().to_string()) } else { ApiError::invalid(&path, error.inner().to_string()) }
    })
}

/// Writes every number with no fractional part as an integer (`10.0` as
/// `10`): JSON Schema counts it an integer, so the document's integer
/// fields take it.
fn integral_numbers_as_integers(json: &mut serde_json::Value) {
    use serde_json::Value;
    match json {
        Value::Number(number) if !number.is_i64() && !number.is_u64() => {
            let integral = number.as_f64().filter(|f| f.fract() == 0.0);
            // within ±2^53 an f64 holds every integer exactly
            if let Some(f) = integral.filter(|f| f.abs() <= 9_007_199_254_740_992.0) {
                *json = Value::from(f as i64);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(integral_numbers_as_integers),
        Value::Object(fields) => fields.values_mut().for_each(integral_numbers_as_integers),
        _ => {}
    }
}

/// Whether the request's content type is JSON (`application/json` or `…+json`).
fn is_json(content_type: Option<&str>) -> bool {
    content_type.is_some_and(|value| {
        let essence = value.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
        essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"))
    })
}

/// Reads the body as bytes, answering the API's errors.
async fn body_bytes<S: Send + Sync>(req: Request, state: &S) -> Result<Bytes, ApiError> {
    Bytes::from_request(req, state).await.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", "the body is too large")
        } else {
            ApiError::new(StatusCode::BAD_REQUEST, "invalid_body", rejection.body_text())
        }
    })
}

impl<S, T> FromRequest<S> for ApiJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let content_type = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let bytes = body_bytes(req, state).await?;
        let empty = bytes.iter().all(u8::is_ascii_whitespace);
        // an empty body is `400 invalid_json` whatever its declared type
        if !empty && !is_json(content_type.as_deref()) {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the body as JSON with `Content-Type: application/json`",
            ));
        }
        // every JSON body the document describes is an object (serde would
        // also read a struct from an array of its fields)
        let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
        if first.is_some_and(|b| *b != b'{') && serde_json::from_slice::<serde_json::Value>(&bytes).is_ok() {
            return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_request", "the body must be a JSON object"));
        }
        parse_json(&bytes).map(ApiJson)
    }
}

impl<S: Send + Sync> FromRequest<S> for ApiBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let content_type = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let bytes = body_bytes(req, state).await?;
        Ok(ApiBody { content_type, bytes })
    }
}

impl ApiBody {
    /// The content type without parameters, in lower case.
    pub fn essence(&self) -> Option<String> {
        self.content_type.as_deref().map(|v| v.split(';').next().unwrap_or_default().trim().to_ascii_lowercase())
    }

    /// Whether the body is JSON.
    pub fn is_json(&self) -> bool {
        is_json(self.content_type.as_deref())
    }
}

impl<S, T> FromRequestParts<S> for ApiQuery<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(value)) => Ok(ApiQuery(value)),
            Err(rejection) => {
                let text = rejection.body_text();
                let text = text.strip_prefix("Failed to deserialize query string: ").unwrap_or(&text);
                Err(field_error(text))
            }
        }
    }
}

impl<S, T> FromRequestParts<S> for ApiPath<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Send,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(value)) => Ok(ApiPath(value)),
            Err(rejection) => Err(ApiError {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                code: "invalid_request",
                message: format!("invalid path: {}", rejection.body_text()),
                details: Vec::new(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        name: String,
        inner: Option<Inner>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        count: u32,
    }

    #[test]
    fn json_errors_name_the_field() {
        let error = parse_json::<Body>(br#"{"name": "a", "inner": {"count": "x"}}"#).unwrap_err();
        assert_eq!((error.status, error.code), (StatusCode::UNPROCESSABLE_ENTITY, "invalid_request"));
        assert_eq!(error.details[0].field.as_deref(), Some("inner.count"), "{error:?}");
        let error = parse_json::<Body>(br#"{"inner": null}"#).unwrap_err();
        assert!(error.message.contains("missing field `name`"), "{error:?}");
        let error = parse_json::<Body>(br#"{"name": "a", "nme": 1}"#).unwrap_err();
        assert!(error.message.contains("unknown field `nme`"), "{error:?}");
        let error = parse_json::<Body>(br#"{"name": "a""#).unwrap_err();
        assert_eq!((error.status, error.code), (StatusCode::BAD_REQUEST, "invalid_json"));
        let error = parse_json::<Body>(br#"{"name": "a"} trailing"#).unwrap_err();
        assert_eq!(error.code, "invalid_json");
        let error = parse_json::<Body>(b"  ").unwrap_err();
        assert_eq!((error.status, error.code), (StatusCode::BAD_REQUEST, "invalid_json"), "a body is required");
    }

    #[test]
    fn json_content_types_are_recognised() {
        assert!(is_json(Some("application/json")));
        assert!(is_json(Some("application/json; charset=utf-8")));
        assert!(is_json(Some("application/merge-patch+json")));
        assert!(!is_json(Some("text/plain")));
        assert!(!is_json(None));
    }
}
