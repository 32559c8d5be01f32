//! Request body extractors with Keepnet's parsing rules and our error envelope.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::header::CONTENT_TYPE;
use axum::http::HeaderMap;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// Largest JSON body accepted (bytes).
pub const MAX_JSON_BODY: usize = 2 * 1024 * 1024;

/// The media type of a request's `Content-Type`, lowercase and without parameters
/// (`multipart/form-data; boundary=x` is `multipart/form-data`); empty when there is none.
pub fn media_type(headers: &HeaderMap) -> String {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|ct| ct.split(';').next())
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// Whether a content type is one of the JSON types Keepnet accepts:
/// `application/json`, `text/json`, `application/*+json`.
pub fn is_json_content_type(headers: &HeaderMap) -> bool {
    let mime = media_type(headers);
    mime == "application/json"
        || mime == "text/json"
        || (mime.starts_with("application/") && mime.ends_with("+json"))
}

/// A JSON body whose property names are matched case-insensitively (see
/// [`rollcall_types::casing`]). An empty body reads as `{}`.
pub struct KJson<T>(pub T);

impl<S, T> FromRequest<S> for KJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let json_type = is_json_content_type(req.headers());
        let has_type = req.headers().contains_key(CONTENT_TYPE);
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|e| ApiError::bad_request(format!("could not read the request body: {e}")))?;
        parse_json_body(&bytes, json_type, has_type).map(KJson)
    }
}

/// Parses a JSON body by Keepnet's rules.
pub fn parse_json_body<T: DeserializeOwned>(
    bytes: &[u8],
    json_type: bool,
    has_type: bool,
) -> Result<T, ApiError> {
    if bytes.len() > MAX_JSON_BODY {
        return Err(ApiError::bad_request(format!(
            "the request body is larger than {MAX_JSON_BODY} bytes"
        )));
    }
    let empty = bytes.iter().all(u8::is_ascii_whitespace);
    if !empty && has_type && !json_type {
        return Err(ApiError::bad_request(
            "send the body as JSON with Content-Type: application/json",
        ));
    }
    let value: serde_json::Value = if empty {
        serde_json::Value::Object(Default::default())
    } else {
        serde_json::from_slice(bytes)
            .map_err(|e| ApiError::bad_request(format!("the body is not valid JSON: {e}")))?
    };
    // Before any field is read: NUL and other XML-forbidden characters (crate::text).
    crate::text::check_json(&value).map_err(ApiError::bad_request)?;
    let value = rollcall_types::casing::canonicalize_keys(value);
    serde_json::from_value(value).map_err(|e| {
        ApiError::bad_request(format!("the body does not match the expected shape: {e}"))
    })
}

/// A body that is Keepnet's form (`multipart/form-data`, as its UI sends it, or urlencoded)
/// or JSON (read as [`KJson`] reads it). Form fields come in order, file parts skipped, each
/// value checked by [`crate::text::check`].
pub enum FormOrJson<T> {
    /// The form's (name, value) pairs.
    Form(Vec<(String, String)>),
    /// The JSON body.
    Json(T),
}

impl<S, T> FromRequest<S> for FormOrJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let unreadable = |e: &dyn std::fmt::Display| {
            ApiError::bad_request(format!("the form body could not be read: {e}"))
        };
        let form = match media_type(req.headers()).as_str() {
            "multipart/form-data" => {
                let mut mp = axum::extract::Multipart::from_request(req, state)
                    .await
                    .map_err(|e| unreadable(&e))?;
                let mut form = Vec::new();
                while let Some(field) = mp.next_field().await.map_err(|e| unreadable(&e))? {
                    let name = field.name().unwrap_or("").to_owned();
                    if field.file_name().is_some() {
                        continue;
                    }
                    let text = field.text().await.map_err(|e| unreadable(&e))?;
                    form.push((name, text));
                }
                form
            }
            "application/x-www-form-urlencoded" => {
                let bytes = Bytes::from_request(req, state)
                    .await
                    .map_err(|e| unreadable(&e))?;
                serde_urlencoded::from_bytes(&bytes).map_err(|e| unreadable(&e))?
            }
            _ => {
                return KJson::from_request(req, state)
                    .await
                    .map(|KJson(t)| Self::Json(t))
            }
        };
        for (name, value) in &form {
            crate::text::check(name, value).map_err(ApiError::bad_request)?;
        }
        Ok(Self::Form(form))
    }
}
