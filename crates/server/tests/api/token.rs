//! `POST /connect/token` (RFC 6749 client credentials) and bearer authentication of `/api`.

use crate::common::{assert_error, jwt_claims, message, Engine, TestServer, ROOT_ID, ROOT_SECRET};
use base64::Engine as _;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::StatusCode;
use serde_json::{json, Value};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// A signing secret the tests know, so they can forge tokens.
fn known_secret() -> String {
    "k".repeat(40)
}

fn now_secs() -> i64 {
    i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock")
            .as_secs(),
    )
    .expect("seconds fit")
}

/// Signs `claims` with `secret`, naming the key `kid` in the header (`None`: no kid).
fn sign_with_kid(claims: &Value, secret: &str, kid: Option<&str>) -> String {
    let mut header = Header::new(Algorithm::HS256);
    header.kid = kid.map(str::to_owned);
    jsonwebtoken::encode(
        &header,
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .expect("sign")
}

/// The key id in a token's header.
fn kid_of(token: &str) -> String {
    jsonwebtoken::decode_header(token)
        .expect("a JWT header")
        .kid
        .expect("tokens carry a kid")
}

/// `GET /api/companies/my` with a raw Authorization header value (or none).
async fn my_with_auth(srv: &TestServer, auth: Option<&str>) -> (StatusCode, Value) {
    let mut req = srv.http.get(srv.url("/api/companies/my"));
    if let Some(a) = auth {
        req = req.header("Authorization", a);
    }
    let resp = req.send().await.expect("request");
    let status = resp.status();
    let text = resp.text().await.expect("body");
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

#[track_caller]
fn assert_oauth_error(status: StatusCode, body: &Value, code: &str) {
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"], code, "{body}");
    assert!(
        body["error_description"]
            .as_str()
            .is_some_and(|d| !d.is_empty()),
        "error_description: {body}"
    );
}

async fn token_success_and_claims(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let resp = srv
        .http
        .post(srv.url("/connect/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", ROOT_ID),
            ("client_secret", ROOT_SECRET),
            ("scope", "api1"),
        ])
        .send()
        .await
        .expect("token request");
    assert_eq!(resp.status(), StatusCode::OK);
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["token_type"], "Bearer", "{body}");
    assert_eq!(body["expires_in"], 3600, "{body}");
    assert_eq!(body["scope"], "api1", "{body}");
    let permissions = body["permissions"].as_array().expect("permissions");
    assert!(!permissions.is_empty(), "{body}");
    assert!(
        permissions.iter().any(|p| p == "companies/search|POST"),
        "a reseller may search companies: {body}"
    );
    let token = body["access_token"].as_str().expect("access_token");
    assert_eq!(token.split('.').count(), 3, "a JWT: {token}");

    let claims = jwt_claims(token);
    assert_eq!(claims["role"], "Reseller", "{claims}");
    assert_eq!(claims["reseller_access"], true, "{claims}");
    assert_eq!(claims["company_admin_access"], true, "{claims}");
    assert_eq!(claims["root_access"], false, "{claims}");
    assert_eq!(
        claims["user_company_resourceid"],
        srv.root_company.as_str(),
        "{claims}"
    );
    assert_eq!(claims["client_id"], ROOT_ID, "{claims}");
    assert_eq!(claims["iss"], "rollcall", "{claims}");
    assert_eq!(claims["scope"], json!(["api1"]), "{claims}");
    let (exp, iat) = (
        claims["exp"].as_i64().expect("exp"),
        claims["iat"].as_i64().expect("iat"),
    );
    assert_eq!(exp - iat, 3600, "{claims}");
    assert!((iat - now_secs()).abs() < 60, "iat is now: {claims}");

    // The token works on /api.
    let (status, my) = srv.get("/api/companies/my", token, &[]).await;
    assert_eq!(status, StatusCode::OK, "{my}");
    assert_eq!(my["data"][0]["resourceId"], srv.root_company.as_str());

    // `scope` may be left out.
    let (status, body) = srv
        .token_request(&[
            ("grant_type", "client_credentials"),
            ("client_id", ROOT_ID),
            ("client_secret", ROOT_SECRET),
        ])
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["scope"], "api1");
}

async fn token_claims_by_role(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let root = srv.root_token().await;
    let company = srv
        .create_company(&root, None, json!({"Name": "Customer One"}))
        .await;
    let (id, secret) = srv.create_client(&root, &company, "Company Admin").await;
    let (status, body) = srv
        .token_request(&[
            ("grant_type", "client_credentials"),
            ("client_id", &id),
            ("client_secret", &secret),
            ("scope", "api1"),
        ])
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let permissions = body["permissions"].as_array().expect("permissions");
    assert!(!permissions.is_empty(), "{body}");
    assert!(
        !permissions.iter().any(|p| p == "companies/search|POST"),
        "a company admin may not search companies: {body}"
    );
    let claims = jwt_claims(body["access_token"].as_str().expect("token"));
    assert_eq!(claims["role"], "Company Admin", "{claims}");
    assert_eq!(claims["reseller_access"], false, "{claims}");
    assert_eq!(claims["company_admin_access"], true, "{claims}");
    assert_eq!(claims["root_access"], false, "{claims}");
    assert_eq!(claims["user_company_resourceid"], company.as_str());
    assert_eq!(claims["user_company_name"], "Customer One");
    assert_eq!(claims["client_id"], id.as_str());
    assert_eq!(claims["user_company_parentcompany_resourceid"], "");

    // A reseller below the root carries its parent company.
    let (rid, rsecret) = srv.create_client(&root, &company, "Reseller").await;
    let claims = jwt_claims(&srv.token(&rid, &rsecret).await);
    assert_eq!(claims["role"], "Reseller", "{claims}");
    assert_eq!(claims["reseller_access"], true, "{claims}");
    assert_eq!(
        claims["user_company_parentcompany_resourceid"],
        srv.root_company.as_str(),
        "{claims}"
    );
    assert_eq!(claims["user_company_parentcompany_name"], "rollcall");
}

/// (what, form fields, expected `error`).
type TokenCase = (
    &'static str,
    Vec<(&'static str, &'static str)>,
    &'static str,
);

async fn token_errors_follow_rfc6749(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let cases: Vec<TokenCase> = vec![
        (
            "missing grant_type",
            vec![
                ("client_id", ROOT_ID),
                ("client_secret", ROOT_SECRET),
                ("scope", "api1"),
            ],
            "invalid_request",
        ),
        (
            "grant_type=password",
            vec![
                ("grant_type", "password"),
                ("client_id", ROOT_ID),
                ("client_secret", ROOT_SECRET),
                ("scope", "api1"),
            ],
            "unsupported_grant_type",
        ),
        (
            "missing client_id",
            vec![
                ("grant_type", "client_credentials"),
                ("client_secret", ROOT_SECRET),
                ("scope", "api1"),
            ],
            "invalid_request",
        ),
        (
            "missing client_secret",
            vec![
                ("grant_type", "client_credentials"),
                ("client_id", ROOT_ID),
                ("scope", "api1"),
            ],
            "invalid_request",
        ),
        (
            "wrong secret",
            vec![
                ("grant_type", "client_credentials"),
                ("client_id", ROOT_ID),
                ("client_secret", "wrong-secret-0123456789"),
                ("scope", "api1"),
            ],
            "invalid_client",
        ),
        (
            "unknown client",
            vec![
                ("grant_type", "client_credentials"),
                ("client_id", "nobody-at-all"),
                ("client_secret", ROOT_SECRET),
                ("scope", "api1"),
            ],
            "invalid_client",
        ),
        (
            "scope=other",
            vec![
                ("grant_type", "client_credentials"),
                ("client_id", ROOT_ID),
                ("client_secret", ROOT_SECRET),
                ("scope", "other"),
            ],
            "invalid_scope",
        ),
    ];
    for (what, form, code) in cases {
        let (status, body) = srv.token_request(&form).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{what}: {body}");
        assert_eq!(body["error"], code, "{what}: {body}");
        assert!(
            body["error_description"]
                .as_str()
                .is_some_and(|d| !d.is_empty()),
            "{what}: {body}"
        );
        assert!(body.get("access_token").is_none(), "{what}: {body}");
    }
}

async fn token_json_body_is_invalid_request(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let resp = srv
        .http
        .post(srv.url("/connect/token"))
        .json(&json!({
            "grant_type": "client_credentials",
            "client_id": ROOT_ID,
            "client_secret": ROOT_SECRET,
            "scope": "api1"
        }))
        .send()
        .await
        .expect("request");
    let status = resp.status();
    let body: Value = resp.json().await.expect("json");
    assert_oauth_error(status, &body, "invalid_request");
    assert!(
        body["error_description"]
            .as_str()
            .is_some_and(|d| d.contains("form")),
        "the description says to send a form: {body}"
    );
}

async fn token_http_basic_client_auth(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let resp = srv
        .http
        .post(srv.url("/connect/token"))
        .basic_auth(ROOT_ID, Some(ROOT_SECRET))
        .form(&[("grant_type", "client_credentials"), ("scope", "api1")])
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), StatusCode::OK);
    let body: Value = resp.json().await.expect("json");
    let token = body["access_token"].as_str().expect("access_token");
    assert_eq!(jwt_claims(token)["client_id"], ROOT_ID);
    let (status, _) = srv.get("/api/companies/my", token, &[]).await;
    assert_eq!(status, StatusCode::OK);

    // A wrong secret in Basic is invalid_client too.
    let resp = srv
        .http
        .post(srv.url("/connect/token"))
        .basic_auth(ROOT_ID, Some("not-the-secret-at-all"))
        .form(&[("grant_type", "client_credentials"), ("scope", "api1")])
        .send()
        .await
        .expect("request");
    let status = resp.status();
    let body: Value = resp.json().await.expect("json");
    assert_oauth_error(status, &body, "invalid_client");
}

async fn api_rejects_missing_and_garbage_tokens(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let (status, body) = my_with_auth(&srv, None).await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED, "UNAUTHORIZED");

    for auth in [
        "Bearer not-a-jwt",
        "Bearer a.b.c",
        "Bearer ",
        "Basic cm9vdDpzZWNyZXQ=",
    ] {
        let (status, body) = my_with_auth(&srv, Some(auth)).await;
        assert_error(status, &body, StatusCode::UNAUTHORIZED, "UNAUTHORIZED");
    }

    // The same holds on a write endpoint.
    let resp = srv
        .http
        .post(srv.url("/api/companies"))
        .json(&json!({"Name": "Sneaky"}))
        .send()
        .await
        .expect("request");
    let status = resp.status();
    let body: Value = resp.json().await.expect("json");
    assert_error(status, &body, StatusCode::UNAUTHORIZED, "UNAUTHORIZED");
}

async fn api_rejects_forged_tokens(engine: Engine) {
    let Some(srv) =
        TestServer::start_with(engine, |cfg| cfg.jwt_secret = Some(known_secret())).await
    else {
        return;
    };
    let real = srv.root_token().await;
    let claims = jwt_claims(&real);
    let kid = kid_of(&real);
    assert!(
        kid.starts_with("cfg-"),
        "a configured secret has a cfg- key id: {kid}"
    );
    let sign = |claims: &Value, secret: &str| sign_with_kid(claims, secret, Some(&kid));

    // Sanity: the same claims signed with the server's key are accepted, so the forgeries
    // below fail for the reason each one is about.
    let (status, body) = my_with_auth(
        &srv,
        Some(&format!("Bearer {}", sign(&claims, &known_secret()))),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // Signed with another key.
    let other = sign(&claims, &"x".repeat(40));
    let (status, body) = my_with_auth(&srv, Some(&format!("Bearer {other}"))).await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED, "UNAUTHORIZED");

    // The right key but no key id, or a key id the server does not hold.
    for forged in [
        sign_with_kid(&claims, &known_secret(), None),
        sign_with_kid(&claims, &known_secret(), Some("cfg-000000000000")),
    ] {
        let (status, body) = my_with_auth(&srv, Some(&format!("Bearer {forged}"))).await;
        assert_error(status, &body, StatusCode::UNAUTHORIZED, "UNAUTHORIZED");
    }

    // The right key and kid, but a lifetime the server never issues: ten years from iat, an
    // expiry two hours away with a recent iat, or issued in the future.
    let now = now_secs();
    for (iat, exp, why) in [
        (now - 60, now + 10 * 365 * 86_400, "lifetime"),
        (now - 60, now + 7_200, "lifetime"),
        (now - 6_000, now + 7_000, "lifetime"),
        (now + 600, now + 1_200, "future"),
    ] {
        let mut long = claims.clone();
        long["iat"] = json!(iat);
        long["exp"] = json!(exp);
        let forged = sign(&long, &known_secret());
        let (status, body) = my_with_auth(&srv, Some(&format!("Bearer {forged}"))).await;
        assert_error(status, &body, StatusCode::UNAUTHORIZED, "UNAUTHORIZED");
        assert!(message(&body).contains(why), "iat {iat} exp {exp}: {body}");
    }
    // Within the lifetime (an hour, issued a minute ago) it is accepted: the refusals above are
    // about the lifetime, not the edit.
    let mut fine = claims.clone();
    fine["iat"] = json!(now - 60);
    fine["exp"] = json!(now + 3_540);
    let (status, body) = my_with_auth(
        &srv,
        Some(&format!("Bearer {}", sign(&fine, &known_secret()))),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // alg: none, empty signature.
    let header = B64.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let payload = B64.encode(serde_json::to_vec(&claims).expect("claims"));
    for none in [
        format!("{header}.{payload}."),
        format!("{header}.{payload}"),
    ] {
        let (status, body) = my_with_auth(&srv, Some(&format!("Bearer {none}"))).await;
        assert_error(status, &body, StatusCode::UNAUTHORIZED, "UNAUTHORIZED");
    }

    // A real token whose payload was edited, signature kept.
    let parts: Vec<&str> = real.split('.').collect();
    for (key, value) in [
        ("role", json!("Company Admin")),
        ("user_company_resourceid", json!("AAAAAAAAAAAA")),
        ("exp", json!(claims["exp"].as_i64().expect("exp") + 86_400)),
    ] {
        let mut edited = claims.clone();
        edited[key] = value;
        let payload = B64.encode(serde_json::to_vec(&edited).expect("claims"));
        let token = format!("{}.{payload}.{}", parts[0], parts[2]);
        let (status, body) = my_with_auth(&srv, Some(&format!("Bearer {token}"))).await;
        assert_error(status, &body, StatusCode::UNAUTHORIZED, "UNAUTHORIZED");
    }

    // Expired an hour ago, otherwise valid (right key, issuer and subject).
    let mut expired = claims.clone();
    expired["iat"] = json!(now_secs() - 7200);
    expired["exp"] = json!(now_secs() - 3600);
    assert_eq!(expired["iss"], "rollcall");
    assert!(expired["sub"].as_str().is_some_and(|s| !s.is_empty()));
    let token = sign(&expired, &known_secret());
    let (status, body) = my_with_auth(&srv, Some(&format!("Bearer {token}"))).await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED, "UNAUTHORIZED");
    assert!(message(&body).contains("expired"), "{body}");
}

async fn inactive_client_stops_at_once(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let root = srv.root_token().await;
    let company = srv
        .create_company(&root, None, json!({"Name": "Customer"}))
        .await;
    let (id, secret) = srv.create_client(&root, &company, "Company Admin").await;
    let token = srv.token(&id, &secret).await;
    let (status, _) = srv.get("/api/companies/my", &token, &[]).await;
    assert_eq!(status, StatusCode::OK);

    let rid = srv.client_resource_id(&root, &company, &id).await;
    let (status, body) = srv
        .put(
            &format!("/api/companies/clients/{rid}"),
            &root,
            json!({"name": id, "clientId": id, "statusId": 2, "roleResourceIdList": ["RoleCompAdmn"]}),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = srv
        .get(&format!("/api/companies/clients/{rid}"), &root, &[])
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // CONTRACT.md (2026-12-05): 2 is read as inactive, which the wire spells 0.
    assert_eq!(body["data"]["statusId"], 0, "{body}");

    let (status, body) = srv.get("/api/companies/my", &token, &[]).await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED, "UNAUTHORIZED");
    let (status, body) = srv
        .token_request(&[
            ("grant_type", "client_credentials"),
            ("client_id", &id),
            ("client_secret", &secret),
            ("scope", "api1"),
        ])
        .await;
    assert_oauth_error(status, &body, "invalid_client");

    // Reactivated, the old token works again (it has not expired).
    let (status, body) = srv
        .put(
            &format!("/api/companies/clients/{rid}"),
            &root,
            json!({"name": id, "clientId": id, "statusId": 1, "roleResourceIdList": ["RoleCompAdmn"]}),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = srv.get("/api/companies/my", &token, &[]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

async fn deleted_client_stops_at_once(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let root = srv.root_token().await;
    let company = srv
        .create_company(&root, None, json!({"Name": "Customer"}))
        .await;
    let (id, secret) = srv.create_client(&root, &company, "Reseller").await;
    let token = srv.token(&id, &secret).await;
    let (status, _) = srv.get("/api/companies/my", &token, &[]).await;
    assert_eq!(status, StatusCode::OK);

    let rid = srv.client_resource_id(&root, &company, &id).await;
    let (status, body) = srv
        .delete(&format!("/api/companies/clients/{rid}"), &root, &[])
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["resourceId"], rid.as_str());

    let (status, body) = srv.get("/api/companies/my", &token, &[]).await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED, "UNAUTHORIZED");
    let (status, body) = srv
        .post(
            "/api/companies/search",
            &token,
            json!({}),
            &[("X-KEEPNET-Company-Id", company.as_str())],
        )
        .await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED, "UNAUTHORIZED");
    let (status, body) = srv
        .token_request(&[
            ("grant_type", "client_credentials"),
            ("client_id", &id),
            ("client_secret", &secret),
            ("scope", "api1"),
        ])
        .await;
    assert_oauth_error(status, &body, "invalid_client");
    let (status, body) = srv
        .get(&format!("/api/companies/clients/{rid}"), &root, &[])
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "NOT_FOUND");
}

async fn ip_allow_list(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let root = srv.root_token().await;
    let company = srv
        .create_company(&root, None, json!({"Name": "Customer"}))
        .await;
    let scope = [("X-KEEPNET-Company-Id", company.as_str())];

    // Created restricted to another address: no token at all.
    let restricted_id = "restricted-client";
    let restricted_secret = "restricted-secret-0123456789";
    let (status, body) = srv
        .post(
            "/api/companies/clients",
            &root,
            json!({"name": "Restricted", "clientId": restricted_id, "clientSecret": restricted_secret,
                   "statusId": 1, "roleResourceIdList": ["RoleCompAdmn"],
                   "hasIpAddressRestriction": true, "allowedIpAddresses": ["203.0.113.7"]}),
            &scope,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = srv
        .token_request(&[
            ("grant_type", "client_credentials"),
            ("client_id", restricted_id),
            ("client_secret", restricted_secret),
            ("scope", "api1"),
        ])
        .await;
    assert_oauth_error(status, &body, "invalid_client");

    // Created unrestricted, token taken, then restricted: the old token gets IP_RESTRICTED.
    let (id, secret) = srv.create_client(&root, &company, "Company Admin").await;
    let token = srv.token(&id, &secret).await;
    let rid = srv.client_resource_id(&root, &company, &id).await;
    let restrict = |allowed: &str| {
        json!({"name": id, "clientId": id, "statusId": 1, "roleResourceIdList": ["RoleCompAdmn"],
               "hasIpAddressRestriction": true, "allowedIpAddresses": [allowed]})
    };
    let path = format!("/api/companies/clients/{rid}");
    let (status, body) = srv.put(&path, &root, restrict("203.0.113.7"), &[]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = srv.get("/api/companies/my", &token, &[]).await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "IP_RESTRICTED");
    let (status, body) = srv
        .get(&format!("/api/companies/{company}"), &token, &[])
        .await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "IP_RESTRICTED");

    // A range holding 127.0.0.1 lets it through.
    let (status, body) = srv.put(&path, &root, restrict("127.0.0.0/8"), &[]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = srv.get("/api/companies/my", &token, &[]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"][0]["resourceId"], company.as_str());
    // And it can get new tokens again.
    let fresh = srv.token(&id, &secret).await;
    let (status, _) = srv.get("/api/companies/my", &fresh, &[]).await;
    assert_eq!(status, StatusCode::OK);
}

async fn a_masked_secret_keeps_the_stored_one(engine: Engine) {
    // CONTRACT.md: Keepnet's UI sends the form back with the secret shown as `*`s.
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let root = srv.root_token().await;
    let company = srv
        .create_company(&root, None, json!({"Name": "Customer"}))
        .await;
    let (id, secret) = srv.create_client(&root, &company, "Company Admin").await;
    let rid = srv.client_resource_id(&root, &company, &id).await;
    let path = format!("/api/companies/clients/{rid}");
    let (status, body) = srv
        .put(
            &path,
            &root,
            json!({"name": "Renamed", "clientId": id, "clientSecret": "****************",
                   "statusId": 1, "roleResourceIdList": ["RoleCompAdmn"]}),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // The old secret still works, and the masked text is not a secret.
    srv.token(&id, &secret).await;
    let (status, body) = srv
        .token_request(&[
            ("grant_type", "client_credentials"),
            ("client_id", id.as_str()),
            ("client_secret", "********"),
            ("scope", "api1"),
        ])
        .await;
    assert_oauth_error(status, &body, "invalid_client");
    // A masked value cannot create a client.
    let (status, body) = srv
        .post(
            "/api/companies/clients",
            &root,
            json!({"name": "Masked", "clientId": "masked-client", "clientSecret": "****************",
                   "statusId": 1, "roleResourceIdList": ["RoleCompAdmn"]}),
            &[("X-KEEPNET-Company-Id", company.as_str())],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body.to_string().contains("masked value"),
        "the message says what is wrong: {body}"
    );
}

both_engines!(
    a_masked_secret_keeps_the_stored_one,
    token_success_and_claims,
    token_claims_by_role,
    token_errors_follow_rfc6749,
    token_json_body_is_invalid_request,
    token_http_basic_client_auth,
    api_rejects_missing_and_garbage_tokens,
    api_rejects_forged_tokens,
    inactive_client_stops_at_once,
    deleted_client_stops_at_once,
    ip_allow_list,
);
