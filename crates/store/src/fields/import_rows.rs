//! Fields of `POST /api/target-users/{transactionId}/search`, the preview of an upload's checked
//! rows (REFERENCE.md C.10: `TmpTargetUserSearchView`).

use super::FieldKind::*;
use super::{FieldSpec, Fields};

const FIELDS: &[FieldSpec] = &[
    // `New`, `Exists` or `Error`, as the UI's `Include "New,Exists,Error,SCIM"` names them.
    FieldSpec::new("Status", "status", Exact),
    FieldSpec::new("Email", "email_lower", Text).searched(),
    FieldSpec::new("RowNumber", "row_no", Int).aliases(&["Row", "RowNo"]),
];

/// The preview: in the file's order by default.
pub const IMPORT_ROWS: Fields<'static> = Fields::new(FIELDS, "RowNumber", "row_no");
