//! A typed async client for Keepnet Labs' REST API, and for rollcall, which implements it.
//!
//! ```no_run
//! # async fn demo() -> Result<(), rollcall_client::ClientError> {
//! use futures::TryStreamExt;
//! use rollcall_client::{Client, SearchRequest};
//!
//! let client = Client::builder("https://api.keepnetlabs.com")
//!     .credentials("my-client-id", "my-client-secret")
//!     .build()?;
//! // Every user of one customer, page after page, scoped with X-KEEPNET-Company-Id.
//! let users: Vec<_> = client
//!     .search_target_users(Some("xC5kfGz7w2Nz"), SearchRequest::default())
//!     .try_collect()
//!     .await?;
//! # Ok(()) }
//! ```
//!
//! What the client does for every call:
//! - **Tokens**: `POST /connect/token` (form-encoded client credentials, `scope=api1`); the token
//!   is cached and renewed 60 s before it expires (half-way for tokens that live under two
//!   minutes), and renewed once more, with the call repeated, after a 401.
//! - **Retries**: see [`retry`] for what is retried, the backoff and the budget (5 attempts by
//!   default), after which the call fails with [`ClientError::RetriesExhausted`].
//! - **Keepnet's quirks**: every search body is complete (a non-null filter, `orderBy`,
//!   `ascending`, `searchInputTextValue: ""`), company rows are read by `companyResourceId` or
//!   `resourceId`, error bodies are read in camelCase or PascalCase (`Message`,
//!   `ValidationMessages`), and the company scope travels as `X-KEEPNET-Company-Id`.
//! - **Paging and exports**: searches are [`futures::Stream`]s over all pages; exports stream to
//!   any [`tokio::io::AsyncWrite`] chunk by chunk.

mod audit;
mod client;
mod companies;
mod error;
mod export;
mod imports;
pub mod retry;
pub mod search;
mod target_groups;
mod target_users;
pub mod token;

pub use client::{
    Client, ClientBuilder, RetryNotice, DEFAULT_BASE_URL, DEFAULT_PAGE_SIZE, SCOPE_HEADER,
};
pub use error::{ClientError, Result};
pub use export::{Download, ExportOptions};
pub use retry::RetryPolicy;
pub use rollcall_types::{self as types, Filter, FilterGroup, FilterItem, SearchRequest};
pub use token::decode_claims;
