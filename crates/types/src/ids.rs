//! Resource ids: 12 random base62 characters, like Keepnet's `xC5kfGz7w2Nz`.

/// Length of every resource id.
pub const RESOURCE_ID_LEN: usize = 12;

/// Whether `s` has the shape of a resource id (12 ASCII letters or digits).
pub fn is_resource_id(s: &str) -> bool {
    s.len() == RESOURCE_ID_LEN && s.bytes().all(|b| b.is_ascii_alphanumeric())
}
