//! A small client of Gridlet's REST API, for the CLI's `--api` mode.
//!
//! Plain HTTP with `reqwest` (JSON only, no TLS stack: the API is served on
//! the operator's own network or loopback; put a TLS proxy in front for
//! anything else). Error answers are turned into messages with the API's
//! stable code, e.g. `station_not_found: station CP-9 does not exist`.

use anyhow::{Context, bail};
use reqwest::{Method, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;

use api::error::ErrorBody;

/// A client of one server's API with one key.
#[derive(Clone)]
pub struct ApiClient {
    http: reqwest::Client,
    /// The server's base URL, e.g. `http://127.0.0.1:9410`.
    base: String,
    key: String,
}

/// What a request carries.
pub enum Body<'a> {
    /// Nothing.
    None,
    /// JSON.
    Json(&'a serde_json::Value),
    /// Text of a content type.
    Text(&'static str, String),
    /// `multipart/form-data` parts (see [`multipart`]).
    Multipart(Vec<Part>),
}

/// One part of a `multipart/form-data` body.
pub struct Part {
    /// The form field's name.
    pub name: &'static str,
    /// The part's file name, if it is a file.
    pub file_name: Option<String>,
    /// Its content type.
    pub content_type: &'static str,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

/// A `multipart/form-data` body of `parts` (RFC 7578) with a boundary that
/// does not occur in them; returns the `Content-Type` and the body.
pub fn multipart(parts: &[Part]) -> (String, Vec<u8>) {
    let mut boundary = String::from("gridlet-part-boundary");
    while parts.iter().any(|part| part.bytes.windows(boundary.len()).any(|w| w == boundary.as_bytes())) {
        boundary.push('x');
    }
    let mut body = Vec::new();
    for part in parts {
        body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{}\"", part.name).as_bytes());
        if let Some(file_name) = &part.file_name {
            let file_name: String = file_name.chars().filter(|c| *c != '"' && !c.is_control()).collect();
            body.extend_from_slice(format!("; filename=\"{file_name}\"").as_bytes());
        }
        body.extend_from_slice(format!("\r\nContent-Type: {}\r\n\r\n", part.content_type).as_bytes());
        body.extend_from_slice(&part.bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

impl ApiClient {
    /// A client of the server at `url` (with or without `/api/v1`) using `key`.
    pub fn new(url: &str, key: Option<String>) -> anyhow::Result<ApiClient> {
        let Some(key) = key.filter(|k| !k.trim().is_empty()) else {
            bail!("set GRIDLET_API_KEY to an API key to use the API (create one with `gridlet api-key create` while the server is stopped)");
        };
        let base = url.trim().trim_end_matches('/');
        let base = base.strip_suffix(api::PREFIX).unwrap_or(base).to_owned();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            bail!("--api {url:?} is not an http:// URL like http://127.0.0.1:9410");
        }
        let http = reqwest::Client::builder()
            .user_agent(concat!("gridlet-cli/", env!("CARGO_PKG_VERSION")))
            .build()
            .context("cannot set up the HTTP client")?;
        Ok(ApiClient { http, base, key: key.trim().to_owned() })
    }

    /// Sends `method` to `path` (below `/api/v1`) with `body`; returns the
    /// status and the JSON answer (`null` for an empty one), or the API's
    /// error as a message.
    pub async fn send(&self, method: Method, path: &str, body: Body<'_>) -> anyhow::Result<(StatusCode, serde_json::Value)> {
        let url = format!("{}{}{path}", self.base, api::PREFIX);
        let mut request = self.http.request(method.clone(), &url).bearer_auth(&self.key);
        request = match body {
            Body::None => request,
            Body::Json(value) => request.json(value),
            Body::Text(content_type, text) => request.header(reqwest::header::CONTENT_TYPE, content_type).body(text),
            Body::Multipart(parts) => {
                let (content_type, bytes) = multipart(&parts);
                request.header(reqwest::header::CONTENT_TYPE, content_type).body(bytes)
            }
        };
        let response = request.send().await.with_context(|| format!("cannot reach the API at {}", self.base))?;
        let status = response.status();
        let bytes = response.bytes().await.with_context(|| format!("cannot read the answer to {method} {path}"))?;
        let value: serde_json::Value = if bytes.is_empty() {
            serde_json::Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .with_context(|| format!("{method} {path} answered {status} with a body that is not JSON"))?
        };
        if status.is_success() {
            return Ok((status, value));
        }
        match serde_json::from_value::<ErrorBody>(value) {
            Ok(ErrorBody { error }) => {
                let details: String = error
                    .details
                    .iter()
                    .filter(|d| d.row.is_some())
                    .map(|d| match (&d.row, &d.field) {
                        (Some(row), Some(field)) => format!("\n  row {row}: {field}: {}", d.message),
                        (Some(row), None) => format!("\n  row {row}: {}", d.message),
                        _ => String::new(),
                    })
                    .collect();
                bail!("{}: {}{details}", error.code, error.message)
            }
            Err(_) => bail!("{method} {path} failed with {status}"),
        }
    }

    /// `GET path`, as `T`.
    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> anyhow::Result<T> {
        let (_, value) = self.send(Method::GET, path, Body::None).await?;
        decode(value, path)
    }

    /// `method path` with a JSON body, as `T`.
    pub async fn call<T: DeserializeOwned>(&self, method: Method, path: &str, body: &impl Serialize) -> anyhow::Result<T> {
        let body = serde_json::to_value(body).context("cannot write the request")?;
        let (_, value) = self.send(method, path, Body::Json(&body)).await?;
        decode(value, path)
    }

    /// Every item of the list at `path` (which may already have a query), page by page.
    pub async fn all<T: DeserializeOwned>(&self, path: &str) -> anyhow::Result<Vec<T>> {
        let mut items = Vec::new();
        let mut cursor: Option<String> = None;
        let joiner = if path.contains('?') { '&' } else { '?' };
        loop {
            let page_path = match &cursor {
                Some(cursor) => format!("{path}{joiner}limit=500&cursor={cursor}"),
                None => format!("{path}{joiner}limit=500"),
            };
            let page: api::wire::Page<T> = self.get(&page_path).await?;
            items.extend(page.items);
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => return Ok(items),
            }
        }
    }
}

fn decode<T: DeserializeOwned>(value: serde_json::Value, path: &str) -> anyhow::Result<T> {
    serde_json::from_value(value).with_context(|| format!("unexpected answer from {path}"))
}

/// `text` made safe for a URL path segment or query value.
pub fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => char::from(b).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}
