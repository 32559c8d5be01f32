//! What Entra ID and Okta send while provisioning, body for body as their public SCIM
//! documentation shows it (Microsoft's "Develop a SCIM endpoint" request/response pairs, Okta's
//! "SCIM 2.0 protocol reference"), replayed in order against rollcall's SCIM service, with every
//! field those clients read checked (issue #16, docs/scim.md).

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::common::scim::{company, integration, scim, ENTERPRISE, GROUP, PATCH_OP, USER};
use crate::common::{Engine, TestServer, SCOPE};

fn filter(attr: &str, value: &str) -> String {
    // As the providers encode it: spaces as %20, quotes as %22.
    format!("{attr}%20eq%20%22{value}%22")
}

async fn rest_user(srv: &TestServer, root: &str, c: &str, id: &str) -> Value {
    let (s, b) = srv
        .get(&format!("/api/target-users/{id}"), root, &[(SCOPE, c)])
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    b["data"].clone()
}

both_engines!(entra_id_provisioning, okta_provisioning);

async fn entra_id_provisioning(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let root = srv.root_token().await;
    let c = company(&srv, &root, "Contoso").await;
    let (_, t) = integration(&srv, &root, &c, json!({"name": "Entra ID"})).await;

    // "Test Connection": a user that cannot exist, then a group the same way.
    let probe = format!(
        "/Users?filter={}",
        filter("userName", "non-existent user 8f1c")
    );
    let (s, b) = scim(&srv, Method::GET, &probe, &t, None).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["totalResults"], 0);
    assert_eq!(b["Resources"], json!([]));

    // The manager first, then the user who reports to it, each after a userName query.
    for (upn, given, family, external) in [
        ("Manager_Contoso@contoso.com", "Mary", "Major", "mgr-1"),
        (
            "Test_User_ab6490ee@contoso.com",
            "Givenname",
            "Familyname",
            "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
        ),
    ] {
        let (s, b) = scim(
            &srv,
            Method::GET,
            &format!("/Users?filter={}", filter("userName", upn)),
            &t,
            None,
        )
        .await;
        assert_eq!(
            (s, b["totalResults"].clone()),
            (StatusCode::OK, json!(0)),
            "{b}"
        );
        let body = json!({
            "schemas": [USER, ENTERPRISE],
            "externalId": external,
            "userName": upn,
            "active": true,
            "addresses": [{"primary": true, "type": "work", "country": "Turkey"}],
            "displayName": format!("{given} {family}"),
            "emails": [{"primary": true, "type": "work", "value": upn.to_lowercase()}],
            "meta": {"resourceType": "User"},
            "name": {"formatted": format!("{given} {family}"), "familyName": family, "givenName": given},
            "roles": [],
            "title": "Engineer",
            ENTERPRISE: {"department": "R&D", "employeeNumber": "701"},
        });
        let (s, b) = scim(&srv, Method::POST, "/Users", &t, Some(body)).await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        assert_eq!(b["userName"], upn);
        assert_eq!(b["externalId"], external);
        assert_eq!(b["active"], true);
        assert_eq!(b["meta"]["resourceType"], "User");
        // Unmapped attributes are not stored, so not answered.
        assert!(
            b.get("title").is_none() && b.get("displayName").is_none(),
            "{b}"
        );
    }
    let (s, b) = scim(
        &srv,
        Method::GET,
        &format!(
            "/Users?filter={}",
            filter("userName", "test_user_ab6490ee@contoso.com")
        ),
        &t,
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["totalResults"], 1, "userName compares in any case: {b}");
    let user = b["Resources"][0]["id"].as_str().expect("id").to_owned();
    let (s, b) = scim(
        &srv,
        Method::GET,
        &format!("/Users?filter={}", filter("externalId", "mgr-1")),
        &t,
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let manager = b["Resources"][0]["id"]
        .as_str()
        .expect("manager")
        .to_owned();

    // Updates as Entra ID sends them: capitalised ops, the work email by value path, the
    // manager as a bare id, then a disable with a string boolean.
    let ops = json!({"schemas": [PATCH_OP], "Operations": [
        {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "updatedEmail@contoso.com"},
        {"op": "Replace", "path": "name.familyName", "value": "updatedFamilyName"},
        {"op": "Add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", "value": manager},
        {"op": "Replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "value": "Sales"},
    ]});
    let (s, b) = scim(
        &srv,
        Method::PATCH,
        &format!("/Users/{user}"),
        &t,
        Some(ops),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["name"]["familyName"], "updatedFamilyName");
    assert_eq!(b[ENTERPRISE]["manager"]["value"], json!(manager));
    assert_eq!(b[ENTERPRISE]["manager"]["displayName"], "Mary Major");
    assert_eq!(b[ENTERPRISE]["department"], "Sales");
    // userName is the UPN, an address, so it stays the user's email; mail is kept beside it.
    assert_eq!(b["userName"], "Test_User_ab6490ee@contoso.com");
    assert_eq!(b["emails"][0]["value"], "updatedEmail@contoso.com");
    let row = rest_user(&srv, &root, &c, &user).await;
    assert_eq!(row["email"], "Test_User_ab6490ee@contoso.com");
    assert_eq!(row["lastName"], "updatedFamilyName");
    assert_eq!(row["managerEmail"], "Manager_Contoso@contoso.com");
    assert_eq!(row["department"], "Sales");

    let disable = json!({"schemas": [PATCH_OP], "Operations": [
        {"op": "Replace", "path": "active", "value": "False"}]});
    let (s, b) = scim(
        &srv,
        Method::PATCH,
        &format!("/Users/{user}"),
        &t,
        Some(disable),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["active"], false);
    assert_eq!(rest_user(&srv, &root, &c, &user).await["isActive"], false);

    // Groups: a name query without members, the create, member add and remove by value
    // lists, a rename, and the delete.
    let (s, b) = scim(
        &srv,
        Method::GET,
        &format!(
            "/Groups?excludedAttributes=members&filter={}",
            filter("displayName", "Group1DisplayName")
        ),
        &t,
        None,
    )
    .await;
    assert_eq!(
        (s, b["totalResults"].clone()),
        (StatusCode::OK, json!(0)),
        "{b}"
    );
    let (s, b) = scim(
        &srv,
        Method::POST,
        "/Groups",
        &t,
        Some(
            json!({"schemas": [GROUP], "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
                    "displayName": "Group1DisplayName", "meta": {"resourceType": "Group"}}),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let group = b["id"].as_str().expect("group").to_owned();
    assert_eq!(b["members"], json!([]));
    let path = format!("/Groups/{group}");
    for (op, count) in [("Add", 2), ("Remove", 1)] {
        let value = if op == "Add" {
            json!([{"value": user}, {"value": manager}])
        } else {
            json!([{"value": manager}])
        };
        let body = json!({"schemas": [PATCH_OP], "Operations": [{"op": op, "path": "members", "value": value}]});
        let (s, b) = scim(&srv, Method::PATCH, &path, &t, Some(body)).await;
        assert_eq!(s, StatusCode::NO_CONTENT, "{b}");
        let (_, b) = scim(&srv, Method::GET, &path, &t, None).await;
        assert_eq!(b["members"].as_array().map(Vec::len), Some(count), "{b}");
    }
    let (_, b) = scim(
        &srv,
        Method::GET,
        &format!(
            "/Groups?excludedAttributes=members&filter={}",
            filter("displayName", "Group1DisplayName")
        ),
        &t,
        None,
    )
    .await;
    assert_eq!(b["totalResults"], 1);
    assert!(b["Resources"][0].get("members").is_none(), "{b}");
    let rename = json!({"schemas": [PATCH_OP], "Operations": [
        {"op": "Replace", "path": "displayName", "value": "1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName"}]});
    let (s, b) = scim(&srv, Method::PATCH, &path, &t, Some(rename)).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{b}");
    let (s, b) = srv
        .post(
            "/api/target-groups/search",
            &root,
            json!({"pageSize": 10}),
            &[(SCOPE, c.as_str())],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let g = &b["data"]["results"][0];
    assert_eq!(
        g["name"],
        "1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName"
    );
    assert_eq!(g["userCount"], 1);
    // The REST rows name the integration (REFERENCE.md: `isScimGroup`, `scimSettingName`).
    assert_eq!(g["isScimGroup"], true);
    assert_eq!(g["scimSettingName"], "Entra ID");
    let (s, b) = srv
        .get(
            &format!("/api/target-groups/{group}"),
            &root,
            &[(SCOPE, c.as_str())],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["data"]["isScimGroup"], true);
    let (s, b) = srv
        .post(
            "/api/target-users/search",
            &root,
            json!({"pageSize": 10, "orderBy": "Email", "ascending": true}),
            &[(SCOPE, c.as_str())],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let names: Vec<&Value> = b["data"]["results"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| &r["scimSettingName"])
        .collect();
    assert_eq!(names, vec![&json!("Entra ID"), &json!("Entra ID")], "{b}");
    let (s, _) = scim(&srv, Method::DELETE, &path, &t, None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, b) = scim(&srv, Method::GET, &path, &t, None).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{b}");

    // Deprovisioning: delete, then 404; the user stays, deleted, in the REST API.
    let (s, _) = scim(&srv, Method::DELETE, &format!("/Users/{user}"), &t, None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, b) = scim(&srv, Method::GET, &format!("/Users/{user}"), &t, None).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{b}");
    assert_eq!(b["status"], "404");
    assert_eq!(rest_user(&srv, &root, &c, &user).await["isDeleted"], true);
}

async fn okta_provisioning(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let root = srv.root_token().await;
    let c = company(&srv, &root, "Okta Co").await;
    let (_, t) = integration(&srv, &root, &c, json!({"name": "Okta"})).await;

    // Okta asks for the user by userName with paging, then creates it with a password it
    // expects to be ignored.
    let query = format!(
        "/Users?filter={}&startIndex=1&count=100",
        filter("userName", "test.user@okta.local")
    );
    let (s, b) = scim(&srv, Method::GET, &query, &t, None).await;
    assert_eq!(
        (s, b["totalResults"].clone()),
        (StatusCode::OK, json!(0)),
        "{b}"
    );
    let (s, b) = scim(
        &srv,
        Method::POST,
        "/Users",
        &t,
        Some(json!({
            "schemas": [USER],
            "userName": "test.user@okta.local",
            "name": {"givenName": "Test", "familyName": "User"},
            "emails": [{"primary": true, "value": "test.user@okta.local", "type": "work"}],
            "displayName": "Test User",
            "locale": "en-US",
            "externalId": "00ujl29u0le5T6Aj10h7",
            "groups": [],
            "password": "1mz050nq",
            "active": true
        })),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let id = b["id"].as_str().expect("id").to_owned();
    assert!(b.get("password").is_none(), "{b}");
    let (s, b) = scim(&srv, Method::GET, &query, &t, None).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["totalResults"], 1);
    assert_eq!(b["startIndex"], 1);
    assert_eq!(b["itemsPerPage"], 1);
    assert_eq!(b["Resources"][0]["id"], json!(id));

    // A profile push is a PUT of the whole user.
    let (s, b) = scim(
        &srv,
        Method::PUT,
        &format!("/Users/{id}"),
        &t,
        Some(json!({
            "schemas": [USER],
            "id": id,
            "userName": "test.user@okta.local",
            "name": {"givenName": "Another", "middleName": "M", "familyName": "User"},
            "emails": [{"primary": true, "value": "test.user@okta.local", "type": "work"}],
            "phoneNumbers": [{"value": "+905551112233", "type": "mobile", "primary": true}],
            "active": true,
            "meta": {"resourceType": "User"}
        })),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(
        b["name"],
        json!({"givenName": "Another", "familyName": "User"})
    );
    assert_eq!(
        b["phoneNumbers"],
        json!([{"value": "+905551112233", "type": "mobile", "primary": true}])
    );
    let row = rest_user(&srv, &root, &c, &id).await;
    assert_eq!(row["firstName"], "Another");
    assert_eq!(row["phoneNumber"], "+905551112233");

    // Push Groups: create with a member, rename with a path-less replace carrying the id,
    // add and remove members by filter path.
    let (s, b) = scim(
        &srv,
        Method::POST,
        "/Groups",
        &t,
        Some(json!({"schemas": [GROUP], "displayName": "Test SCIMv2",
                    "members": [{"value": id, "display": "test.user@okta.local"}]})),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let group = b["id"].as_str().expect("group").to_owned();
    assert_eq!(b["members"][0]["value"], json!(id));
    let path = format!("/Groups/{group}");
    let rename = json!({"schemas": [PATCH_OP], "Operations": [
        {"op": "replace", "value": {"id": group, "displayName": "Test SCIMv2 renamed"}}]});
    let (s, b) = scim(&srv, Method::PATCH, &path, &t, Some(rename)).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{b}");
    let remove = json!({"schemas": [PATCH_OP], "Operations": [
        {"op": "remove", "path": format!("members[value eq \"{id}\"]")}]});
    let (s, b) = scim(&srv, Method::PATCH, &path, &t, Some(remove)).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{b}");
    let (_, b) = scim(&srv, Method::GET, &path, &t, None).await;
    assert_eq!(b["displayName"], "Test SCIMv2 renamed");
    assert_eq!(b["members"], json!([]));
    let add = json!({"schemas": [PATCH_OP], "Operations": [
        {"op": "add", "path": "members", "value": [{"value": id, "display": "test.user@okta.local"}]}]});
    let (s, b) = scim(&srv, Method::PATCH, &path, &t, Some(add)).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{b}");
    let (_, b) = scim(&srv, Method::GET, &format!("/Users/{id}"), &t, None).await;
    assert_eq!(b["groups"][0]["value"], json!(group), "{b}");
    assert_eq!(b["groups"][0]["display"], "Test SCIMv2 renamed");

    // Deactivation is a path-less replace of active; Okta never deletes users.
    let off = json!({"schemas": [PATCH_OP], "Operations": [{"op": "replace", "value": {"active": false}}]});
    let (s, b) = scim(&srv, Method::PATCH, &format!("/Users/{id}"), &t, Some(off)).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["active"], false);
    let row = rest_user(&srv, &root, &c, &id).await;
    assert_eq!(
        (row["isActive"].clone(), row["isDeleted"].clone()),
        (json!(false), json!(false))
    );
}
