//! Authentication: OAuth2 client-credentials tokens (`POST /connect/token`, [`token`]) and the
//! [`caller::Caller`] extractor that authenticates every `/api` request.

pub mod address;
pub mod caller;
pub mod lookups;
pub mod secret;
pub mod token;
