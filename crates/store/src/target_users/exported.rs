//! What a target-user export carries besides the user's own columns: the names of its groups
//! and its custom values, read by the export's own cursor (one snapshot), as two columns after
//! the user's. Each is read only when the export asks for it, so an export of a company without
//! groups or custom fields costs what it did before (issue #14).

use crate::open::Engine;
use crate::rows::{FromColumns, ReadColumns};
use crate::{Result, StoreError, TargetUser};

use super::record::TargetUserCol as C;

/// Which extra columns an export reads.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExportExtras {
    /// The names of the user's target groups.
    pub groups: bool,
    /// The user's custom values.
    pub custom_values: bool,
}

/// One exported user.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportedUser {
    /// The user.
    pub user: TargetUser,
    /// Its groups' names, by name in any case, joined by ", " (empty when not read or none).
    pub groups: String,
    /// Its custom values as (field id, text as shown), every field's, active or not (empty
    /// when not read).
    pub custom_values: Vec<(i64, String)>,
}

impl FromColumns for ExportedUser {
    fn from_columns<R: ReadColumns + ?Sized>(r: &R) -> Result<Self> {
        let user = TargetUser::from_columns(r)?;
        let at = C::READ.len();
        let groups = r.opt_text(at)?.unwrap_or_default();
        let custom_values = match r.opt_text(at + 1)? {
            Some(json) => serde_json::from_str(&json)
                .map_err(|e| StoreError::Corrupt(format!("a user's custom values: {e}")))?,
            None => vec![],
        };
        Ok(ExportedUser {
            user,
            groups,
            custom_values,
        })
    }
}

/// The two extra columns of an export's SELECT list for `engine`, `NULL` for the ones not
/// asked for. Table and column names are constants.
pub(crate) fn extra_columns(engine: Engine, extras: ExportExtras) -> String {
    let groups = match (extras.groups, engine) {
        (false, _) => "NULL",
        (true, Engine::Sqlite) => {
            "(SELECT group_concat(g.name, ', ' ORDER BY g.name_lower) \
             FROM target_group_members m JOIN target_groups g ON g.id = m.group_id \
             WHERE m.target_user_id = target_users.id)"
        }
        (true, Engine::Postgres) => {
            "(SELECT string_agg(g.name, ', ' ORDER BY g.name_lower) \
             FROM target_group_members m JOIN target_groups g ON g.id = m.group_id \
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
    format!("{groups} AS group_names, {values} AS custom_values")
}
