//! Replays of the requests Keepnet's own web UI and AI agent send, byte for byte as
//! REFERENCE.md describes them (PascalCase and camelCase keys, `filter: null`, `orderBy: ""`,
//! lowercase `value`), against a real server on both engines. Each test asserts the status and
//! every field that client reads from the answer, so a change that would break Keepnet's UI
//! fails here even when rollcall's own client would not notice.
//!
//! One module per screen or agent tool; the sources are named in each test.

mod agent;
mod clients;
mod companies;
mod frame;
mod groups;
mod people;
mod privacy;
mod scim;
mod search_box;

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::common::{TestServer, SCOPE};

/// `getDefaultAxiosPayload()` of Keepnet's UI (REFERENCE.md C.6): every table's first load.
pub fn default_payload() -> Value {
    json!({
        "pageNumber": 1, "pageSize": 10, "orderBy": "CreateTime", "ascending": false,
        "filter": {
            "Condition": "AND", "SearchInputTextValue": "",
            "FilterGroups": [
                {"Condition": "AND", "FilterItems": [], "FilterGroups": []},
                {"Condition": "OR", "FilterItems": [], "FilterGroups": []}
            ]
        }
    })
}

/// The default payload with `items` as the column filters (group 0, AND) and `search` as the
/// search box's items (group 1, OR), as the UI's DataTable builds them.
pub fn ui_payload(items: Value, search: Value) -> Value {
    let mut body = default_payload();
    body["filter"]["FilterGroups"][0]["FilterItems"] = items;
    body["filter"]["FilterGroups"][1]["FilterItems"] = search;
    body
}

/// Asserts that every key the client reads is present in `object` (null allowed only where the
/// client tolerates it, which the caller checks itself).
#[track_caller]
pub fn assert_reads(object: &Value, keys: &[&str]) {
    for key in keys {
        assert!(
            object.get(key).is_some(),
            "the client reads '{key}', missing from {object}"
        );
    }
}

/// Sends `body` to `path` in `company`'s scope; asserts 200 and `SUCCESS`; returns `data`.
pub async fn ok(srv: &TestServer, token: &str, company: &str, path: &str, body: Value) -> Value {
    let (status, reply) = srv
        .post(path, token, body.clone(), &[(SCOPE, company)])
        .await;
    assert_eq!(status, StatusCode::OK, "{path} {body}: {reply}");
    assert_eq!(reply["status"], "SUCCESS", "{reply}");
    reply["data"].clone()
}
