//! What a target-user export carries besides the user's own columns: its groups (by id; the
//! server names them from the company's groups, read once) and its custom values, read by the export's own cursor (one snapshot), as two columns after
//! the user's. Each is read only when the export asks for it, so an export of a company without
//! groups or custom fields costs what it did before (issue #14).

use crate::open::Engine;
use crate::rows::{FromColumns, ReadColumns};
use crate::{Result, StoreError, TargetUser};

use super::record::TargetUserCol as C;

/// Which extra columns an export reads.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExportExtras {
    /// The user's target groups.
    pub groups: bool,
    /// The user's custom values.
    pub custom_values: bool,
}

/// One exported user.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportedUser {
    /// The user.
    pub user: TargetUser,
    /// Its groups' internal ids (empty when not read or none).
    pub group_ids: Vec<i64>,
    /// Its custom values as (field id, text as shown), every field's, active or not (empty
    /// when not read).
    pub custom_values: Vec<(i64, String)>,
}

impl FromColumns for ExportedUser {
    fn from_columns<R: ReadColumns + ?Sized>(r: &R) -> Result<Self> {
        let user = TargetUser::from_columns(r)?;
        let at = C::READ.len();
        Ok(ExportedUser {
            user,
            group_ids: json_column(r, at, "groups")?,
            custom_values: json_column(r, at + 1, "custom values")?,
        })
    }
}

/// The JSON list in column `at` (empty when NULL); `what` names it in the error.
fn json_column<R, T>(r: &R, at: usize, what: &str) -> Result<Vec<T>>
where
    R: ReadColumns + ?Sized,
    T: serde::de::DeserializeOwned,
{
    match r.opt_text(at)? {
        Some(text) => serde_json::from_str(&text)
            .map_err(|e| StoreError::Corrupt(format!("a user's {what}: {e}"))),
        None => Ok(vec![]),
    }
}

/// The two extra columns of an export's SELECT list for `engine`, `NULL` for the ones not
/// asked for. Table and column names are constants.
pub(crate) fn extra_columns(engine: Engine, extras: ExportExtras) -> String {
    let groups = match (extras.groups, engine) {
        (false, _) => "NULL",
        // The membership index (user, group) alone answers these; names would join each
        // membership to its group.
        (true, Engine::Sqlite) => {
            "(SELECT json_group_array(m.group_id) FROM target_group_members m \
             WHERE m.target_user_id = target_users.id)"
        }
        (true, Engine::Postgres) => {
            "(SELECT CAST(json_agg(m.group_id) AS TEXT) FROM target_group_members m \
             WHERE m.target_user_id = target_users.id)"
        }
    };
    let values = match (extras.custom_values, engine) {
        (false, _) => "NULL",
        (true, Engine::Sqlite) => {
            "(SELECT json_group_array(json_array(v.field_id, v.value_text)) \
             FROM custom_field_values v WHERE v.target_user_id = target_users.id)"
        }
        (true, Engine::Postgres) => {
            "(SELECT CAST(json_agg(json_build_array(v.field_id, v.value_text)) AS TEXT) \
             FROM custom_field_values v WHERE v.target_user_id = target_users.id)"
        }
    };
    format!("{groups} AS group_ids, {values} AS custom_values")
}
