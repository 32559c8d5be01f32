//! Response headers for browsers. `crate::router::app` decides which routes get which.
//!
//! The API is called by scripts, but its replies can still reach a browser (a reseller opening
//! an export link, the Swagger UI): these headers stop a browser from sniffing a JSON or CSV
//! reply into HTML, from framing any page of ours, from sending our URLs (which carry resource
//! ids) to other sites, and from caching tokens and personal data.

use axum::http::{header, HeaderValue};
use axum::Router;
use tower_http::set_header::SetResponseHeaderLayer;

/// The Content-Security-Policy of every reply but the Swagger UI's: no framing.
pub const DEFAULT_CSP: &str = "frame-ancestors 'none'";

/// The Content-Security-Policy of the Swagger UI ([`crate::openapi::UI_PATH`]) and its
/// document, checked in headless Chromium against the vendored Swagger UI 5.32.6: the page
/// loads only files of its own (no inline script; React sets styles through the DOM, which
/// `style-src` does not govern), its stylesheet embeds SVG icons as `data:` images, and
/// "Try it out" calls this same server. The one inline `<style>` is the colours of the top
/// bar's logo, allowed by its hash; if a new Swagger UI changes it, the logo only loses its
/// colours (the browser console names the new hash).
pub const DOCS_CSP: &str = "default-src 'none'; script-src 'self'; \
    style-src 'self' 'sha256-RL3ie0nH+Lzz2YNqQN83mnU0J1ot4QL7b99vMdIX99w='; \
    img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; \
    frame-ancestors 'none'";

/// On every reply: no MIME sniffing, no referrer, no framing (the old header for old browsers,
/// the CSP one for the rest). A reply that already has a Content-Security-Policy (the Swagger
/// UI's) keeps it.
pub fn browser<S>(router: Router<S>) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    router
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(DEFAULT_CSP),
        ))
}

/// `Cache-Control: no-store` unless the handler chose otherwise: API replies carry tokens and
/// personal data, which must not stay in browser or proxy caches.
pub fn no_store<S>(router: Router<S>) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    router.layer(SetResponseHeaderLayer::if_not_present(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-store"),
    ))
}

/// The Swagger UI's own Content-Security-Policy ([`DOCS_CSP`]).
pub fn docs<S>(router: Router<S>) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    router.layer(SetResponseHeaderLayer::overriding(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(DOCS_CSP),
    ))
}
