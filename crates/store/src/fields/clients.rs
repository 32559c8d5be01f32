//! Fields of `POST /api/companies/clients/search`.

use super::FieldKind::*;
use super::{FieldSpec, Fields};

const FIELDS: &[FieldSpec] = &[
    FieldSpec::new("ClientName", "name_lower", Text)
        .aliases(&["Name"])
        .searched(),
    FieldSpec::new("ClientId", "client_id_lower", Text).searched(),
    FieldSpec::new("CreateTime", "create_time", Time),
    // The UI's client table shows `statusName` from `statusId`; both names filter the status.
    FieldSpec::new("StatusId", "status_id", ClientStatus).aliases(&["Status", "StatusName"]),
];

/// API-client search: newest first by default.
pub const API_CLIENTS: Fields<'static> = Fields::new(FIELDS, "CreateTime", "id");
