//! The OpenAPI document: served at Keepnet's path and browsable offline at `/docs`; valid
//! OpenAPI (checked by `openapi-spec-validator` when installed, always in CI); a snapshot that
//! catches unintended changes; and every reply the server really sends, on both engines,
//! validated against the schema the document gives for that operation and status, with
//! unknown properties refused, so that the document cannot describe a shape the server does
//! not send.

use std::collections::{BTreeMap, BTreeSet};

use crate::common::{Engine, TestServer};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

pub(crate) fn document() -> Value {
    serde_json::to_value(rollcall_server::router::document()).expect("document serialises")
}

#[test]
fn document_snapshot() {
    insta::assert_json_snapshot!("openapi", document());
}

#[test]
fn document_is_valid_openapi() {
    let doc = document();
    assert!(
        doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")),
        "an OpenAPI 3 document: {}",
        doc["openapi"]
    );
    // Every local reference resolves.
    let mut refs = BTreeSet::new();
    collect_refs(&doc, &mut refs);
    assert!(!refs.is_empty());
    for r in &refs {
        let pointer = r.strip_prefix('#').expect("local reference");
        assert!(doc.pointer(pointer).is_some(), "dangling $ref {r}");
    }
    // Every schema is itself a valid JSON Schema (2020-12, as OpenAPI 3.1 uses).
    for (name, schema) in doc["components"]["schemas"].as_object().expect("schemas") {
        assert!(
            jsonschema::meta::is_valid(schema),
            "components.schemas.{name} is not a valid JSON Schema: {schema}"
        );
    }
    // Operation ids are unique, path parameters are declared.
    let mut ids = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            let id = op["operationId"].as_str().expect("operationId");
            assert!(ids.insert(id.to_owned()), "operationId {id} used twice");
            for seg in path.split('/').filter(|s| s.starts_with('{')) {
                let name = seg.trim_matches(|c| c == '{' || c == '}');
                let declared = op["parameters"].as_array().is_some_and(|ps| {
                    ps.iter()
                        .any(|p| p["name"] == name && p["in"] == "path" && p["required"] == true)
                });
                assert!(
                    declared,
                    "{method} {path}: path parameter {name} not declared"
                );
            }
        }
    }
    // The reference validator, when it is installed (CI installs it).
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("openapi.json");
    std::fs::write(&file, serde_json::to_vec_pretty(&doc).expect("json")).expect("write");
    match std::process::Command::new("python3")
        .args(["-m", "openapi_spec_validator"])
        .arg(&file)
        .output()
    {
        Ok(out) if out.status.success() => {
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(text.contains("OK"), "validator output: {text}");
        }
        Ok(out)
            if String::from_utf8_lossy(&out.stderr).contains("No module named")
                && std::env::var("CI").as_deref() != Ok("true") =>
        {
            eprintln!("openapi-spec-validator is not installed: skipping the reference check (pip install openapi-spec-validator)");
        }
        Ok(out) => panic!(
            "openapi-spec-validator rejects the document:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(e) => panic!("python3 could not be run: {e}"),
    }
}

fn collect_refs(v: &Value, out: &mut BTreeSet<String>) {
    match v {
        Value::Object(m) => {
            if let Some(Value::String(r)) = m.get("$ref") {
                out.insert(r.clone());
            }
            m.values().for_each(|c| collect_refs(c, out));
        }
        Value::Array(items) => items.iter().for_each(|c| collect_refs(c, out)),
        _ => {}
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn served_document_and_offline_ui() {
    let Some(srv) = TestServer::start(Engine::Sqlite).await else {
        return;
    };
    let resp = srv
        .http
        .get(srv.url("/swagger/v1/swagger.json"))
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), StatusCode::OK);
    let served: Value = resp.json().await.expect("json");
    assert_eq!(served, document(), "the served document is the built one");

    // The UI page and its assets come from the binary, not from a CDN.
    let resp = srv
        .http
        .get(srv.url("/docs/"))
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), StatusCode::OK);
    let html = resp.text().await.expect("html");
    assert!(html.contains("swagger-ui"), "{html}");
    assert!(
        !html.contains("https://"),
        "the page loads nothing from the internet"
    );
    for asset in [
        "/docs/swagger-ui-bundle.js",
        "/docs/swagger-ui.css",
        "/docs/swagger-initializer.js",
    ] {
        let resp = srv.http.get(srv.url(asset)).send().await.expect("request");
        assert_eq!(resp.status(), StatusCode::OK, "{asset}");
        let body = resp.text().await.expect("body");
        assert!(body.len() > 100, "{asset} has content");
        if asset.ends_with("initializer.js") {
            assert!(body.contains("/swagger/v1/swagger.json"), "{body}");
        }
    }
}

/// Validates replies against the document and remembers which operations were seen.
pub(crate) struct Conformance {
    doc: Value,
    components: Value,
    /// (method, path template) → statuses validated.
    seen: BTreeMap<(String, String), BTreeSet<u16>>,
}

impl Conformance {
    pub(crate) fn new() -> Self {
        let doc = document();
        let mut components = doc["components"].clone();
        forbid_unknown_properties(&mut components);
        Self {
            doc,
            components,
            seen: BTreeMap::new(),
        }
    }

    /// Checks one reply of `method template` against the document and records it.
    fn check(
        &mut self,
        method: &Method,
        template: &str,
        status: StatusCode,
        content_type: &str,
        body: &[u8],
    ) {
        if let Err(e) = self.validate(method, template, status, content_type, body) {
            panic!("{method} {template} {status}: {e}");
        }
        self.seen
            .entry((method.as_str().to_ascii_lowercase(), template.to_owned()))
            .or_default()
            .insert(status.as_u16());
    }

    /// Whether the document lists this reply and its body matches the schema.
    pub(crate) fn validate(
        &self,
        method: &Method,
        template: &str,
        status: StatusCode,
        content_type: &str,
        body: &[u8],
    ) -> Result<(), String> {
        let op = &self.doc["paths"][template][method.as_str().to_ascii_lowercase()];
        if !op.is_object() {
            return Err("the operation is not in the document".into());
        }
        let response = &op["responses"][status.as_u16().to_string()];
        if !response.is_object() {
            return Err(format!(
                "the document does not list this status: {}",
                String::from_utf8_lossy(body)
            ));
        }
        let mime = content_type.split(';').next().unwrap_or("").trim();
        let content = response["content"]
            .as_object()
            .ok_or("the response has no content")?;
        let Some(media) = content.get(mime) else {
            return Err(format!(
                "content type {mime} is not among {:?}",
                content.keys().collect::<Vec<_>>()
            ));
        };
        if mime != "application/json" {
            return if body.is_empty() {
                Err("an empty file".into())
            } else {
                Ok(())
            };
        }
        let value: Value = serde_json::from_slice(body).map_err(|e| format!("not JSON: {e}"))?;
        let mut schema = media["schema"].clone();
        forbid_unknown_properties(&mut schema);
        let root = json!({"components": self.components, "allOf": [schema]});
        let validator = jsonschema::validator_for(&root).map_err(|e| e.to_string())?;
        let errors: Vec<String> = validator
            .iter_errors(&value)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "the reply does not match the document:\n{}\n{value}",
                errors.join("\n")
            ))
        }
    }

    /// Every documented operation was seen answering with success (or, for the few that
    /// document no success, such as the refused custom-role writes and the unsupported
    /// `/api/companies/privacymask`, with one of its errors).
    fn assert_all_operations_seen(&self) {
        let mut missing = Vec::new();
        for (path, item) in self.doc["paths"].as_object().expect("paths") {
            for (method, op) in item.as_object().expect("item") {
                let succeeds = op["responses"]
                    .as_object()
                    .is_some_and(|r| r.keys().any(|k| k.starts_with('2')));
                let ok = self
                    .seen
                    .get(&(method.clone(), path.clone()))
                    .is_some_and(|s| s.iter().any(|c| !succeeds || (200..300).contains(c)));
                if !ok {
                    missing.push(format!("{method} {path}"));
                }
            }
        }
        assert!(missing.is_empty(), "operations never checked: {missing:?}");
        let statuses: BTreeSet<u16> = self.seen.values().flatten().copied().collect();
        for want in [200, 400, 401, 403, 404, 409] {
            assert!(
                statuses.contains(&want),
                "no reply with status {want} was checked"
            );
        }
    }
}

/// Sets `additionalProperties: false` on every object schema that lists its properties, so a
/// property the server sends but the document leaves out is an error.
fn forbid_unknown_properties(v: &mut Value) {
    match v {
        Value::Object(m) => {
            if m.contains_key("properties") && !m.contains_key("additionalProperties") {
                m.insert("additionalProperties".into(), Value::Bool(false));
            }
            m.values_mut().for_each(forbid_unknown_properties);
        }
        Value::Array(items) => items.iter_mut().for_each(forbid_unknown_properties),
        _ => {}
    }
}

#[test]
fn conformance_check_catches_drift() {
    let c = Conformance::new();
    let ok = json!({"data": {"resourceId": "AbCdEfGhIjKl"}, "status": "SUCCESS", "message": null,
        "validationMessages": null, "isSuccess": true});
    let check = |v: &Value, status: StatusCode, ct: &str| {
        c.validate(
            &Method::DELETE,
            "/api/target-users/{resourceId}",
            status,
            ct,
            &serde_json::to_vec(v).expect("json"),
        )
    };
    check(&ok, StatusCode::OK, "application/json").expect("a matching reply");
    let mut extra = ok.clone();
    extra["data"]["deletedAt"] = json!("2026-01-01");
    assert!(
        check(&extra, StatusCode::OK, "application/json").is_err(),
        "an undocumented property"
    );
    let mut wrong = ok.clone();
    wrong["isSuccess"] = json!("yes");
    assert!(
        check(&wrong, StatusCode::OK, "application/json").is_err(),
        "a wrong type"
    );
    let mut missing = ok.clone();
    missing.as_object_mut().expect("object").remove("status");
    assert!(
        check(&missing, StatusCode::OK, "application/json").is_err(),
        "a missing property"
    );
    assert!(
        check(&ok, StatusCode::IM_A_TEAPOT, "application/json").is_err(),
        "an undocumented status"
    );
    assert!(
        check(&ok, StatusCode::OK, "text/html").is_err(),
        "an undocumented content type"
    );
}

/// Sends a request and checks the reply against the document.
struct Caller<'a> {
    srv: &'a TestServer,
    check: Conformance,
}

impl Caller<'_> {
    async fn send(
        &mut self,
        method: Method,
        template: &str,
        path: &str,
        token: Option<&str>,
        company: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self.srv.http.request(method.clone(), self.srv.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(c) = company {
            req = req.header("X-KEEPNET-Company-Id", c);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("request");
        let status = resp.status();
        let ct = content_type(&resp);
        let bytes = resp.bytes().await.expect("body");
        self.check.check(&method, template, status, &ct, &bytes);
        let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        (status, json)
    }

    /// `POST /api/target-users/upload` of `bytes` as the multipart field `File`.
    async fn upload(&mut self, token: &str, company: &str, bytes: &[u8]) -> (StatusCode, Value) {
        let part = reqwest::multipart::Part::bytes(bytes.to_vec()).file_name("users.csv");
        let resp = self
            .srv
            .http
            .post(self.srv.url("/api/target-users/upload"))
            .bearer_auth(token)
            .header("X-KEEPNET-Company-Id", company)
            .multipart(reqwest::multipart::Form::new().part("File", part))
            .send()
            .await
            .expect("request");
        let status = resp.status();
        let ct = content_type(&resp);
        let bytes = resp.bytes().await.expect("body");
        self.check.check(
            &Method::POST,
            "/api/target-users/upload",
            status,
            &ct,
            &bytes,
        );
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    async fn form(&mut self, form: &[(&str, &str)]) -> (StatusCode, Value) {
        let resp = self
            .srv
            .http
            .post(self.srv.url("/connect/token"))
            .form(form)
            .send()
            .await
            .expect("request");
        let status = resp.status();
        let ct = content_type(&resp);
        let bytes = resp.bytes().await.expect("body");
        self.check
            .check(&Method::POST, "/connect/token", status, &ct, &bytes);
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }
}

fn content_type(resp: &reqwest::Response) -> String {
    resp.headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned()
}

fn id(body: &Value) -> String {
    body["data"]["resourceId"]
        .as_str()
        .unwrap_or_else(|| panic!("resourceId in {body}"))
        .to_owned()
}

async fn replies_match_the_document(engine: Engine) {
    // Answers the allowed-domain check's TXT look-up.
    let dns = crate::common::dns::TestDns::start().await;
    let resolver = dns.addr;
    let Some(srv) = TestServer::start_with(engine, |c| c.dns_resolver = Some(resolver)).await
    else {
        return;
    };
    let mut c = Caller {
        srv: &srv,
        check: Conformance::new(),
    };
    use Method as M;

    // Tokens: success and the RFC errors.
    let (s, b) = c
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", crate::common::ROOT_ID),
            ("client_secret", crate::common::ROOT_SECRET),
            ("scope", "api1"),
        ])
        .await;
    assert_eq!(s, StatusCode::OK);
    let root = b["access_token"].as_str().expect("token").to_owned();
    let (s, _) = c.form(&[("grant_type", "password")]).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _) = c
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", crate::common::ROOT_ID),
            ("client_secret", "wrong"),
        ])
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let t = Some(root.as_str());

    // Operations.
    let (s, _) = c
        .send(M::GET, "/health/live", "/health/live", None, None, None)
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = c
        .send(M::GET, "/health/ready", "/health/ready", None, None, None)
        .await;
    assert_eq!(s, StatusCode::OK);

    // Lookups and roles.
    for (template, path) in [
        ("/api/lookups", "/api/lookups"),
        ("/api/lookups/{typeId}", "/api/lookups/industry"),
        ("/api/lookups/{typeId}", "/api/lookups/21"),
        ("/api/lookups/licenses", "/api/lookups/licenses"),
        (
            "/api/lookups/country-timezones",
            "/api/lookups/country-timezones",
        ),
        ("/api/timezone/timezones", "/api/timezone/timezones"),
        (
            "/api/whitelabeling/resolve-whitelabeling",
            "/api/whitelabeling/resolve-whitelabeling",
        ),
        ("/api/system-info/version", "/api/system-info/version"),
        ("/api/system-info/summary", "/api/system-info/summary"),
        ("/api/system-users/settings", "/api/system-users/settings"),
        ("/api/regions", "/api/regions"),
        ("/api/roles", "/api/roles"),
        ("/api/roleswithavailable", "/api/roleswithavailable"),
        ("/api/roles/{resourceId}", "/api/roles/RoleReseller"),
        (
            "/api/companies/clients/generate-client-credentials",
            "/api/companies/clients/generate-client-credentials",
        ),
    ] {
        let (s, _) = c.send(M::GET, template, path, t, None, None).await;
        assert_eq!(s, StatusCode::OK, "{path}");
    }
    let (s, _) = c
        .send(
            M::GET,
            "/api/lookups/{typeId}",
            "/api/lookups/shoes",
            t,
            None,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = c
        .send(
            M::POST,
            "/api/whitelabeling/by-url",
            "/api/whitelabeling/by-url",
            None,
            None,
            Some(json!({"url": "https://portal.example.com"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    for (method, template, path, body, want) in [
        (
            M::POST,
            "/api/roles/search",
            "/api/roles/search",
            Some(json!({"filter": null})),
            StatusCode::OK,
        ),
        (
            M::POST,
            "/api/leaderboard/get-all",
            "/api/leaderboard/get-all",
            Some(json!({"pagination": {"pageNumber": 1, "pageSize": 10}})),
            StatusCode::OK,
        ),
        (
            M::GET,
            "/api/roles/{resourceId}",
            "/api/roles/RoleNobody00",
            None,
            StatusCode::NOT_FOUND,
        ),
        (
            M::POST,
            "/api/roles",
            "/api/roles",
            Some(json!({"name": "x"})),
            StatusCode::BAD_REQUEST,
        ),
        (
            M::PUT,
            "/api/roles/{resourceId}",
            "/api/roles/RoleReseller",
            Some(json!({"name": "x"})),
            StatusCode::BAD_REQUEST,
        ),
        (
            M::DELETE,
            "/api/roles/{resourceId}",
            "/api/roles/RoleReseller",
            None,
            StatusCode::BAD_REQUEST,
        ),
    ] {
        let (s, _) = c.send(method, template, path, t, None, body).await;
        assert_eq!(s, want, "{template}");
    }
    for (body, want) in [
        (json!({"typeidlist": [9, 2]}), StatusCode::OK),
        (json!({}), StatusCode::BAD_REQUEST),
    ] {
        let (s, _) = c
            .send(M::POST, "/api/lookups", "/api/lookups", t, None, Some(body))
            .await;
        assert_eq!(s, want);
    }

    // Companies.
    let (s, b) = c
        .send(
            M::POST,
            "/api/companies",
            "/api/companies",
            t,
            None,
            Some(json!({"name": "Acme Ltd", "numberOfUsers": 50, "licenseStartDate": "2026-01-01", "licenseEndDate": "2027-01-01"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let acme = id(&b);
    let (s, _) = c
        .send(
            M::POST,
            "/api/companies",
            "/api/companies",
            t,
            None,
            Some(json!({"numberOfUsers": 5})),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, b) = c
        .send(
            M::POST,
            "/api/companies",
            "/api/companies",
            t,
            None,
            Some(json!({"name": "Spare Co"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let spare = id(&b);
    let search = json!({"pageNumber": 1, "pageSize": 10, "orderBy": "Name", "ascending": true,
        "filter": {"Condition": "AND", "SearchInputTextValue": "", "FilterGroups": []}});
    let (s, b) = c
        .send(
            M::POST,
            "/api/companies/search",
            "/api/companies/search",
            t,
            None,
            Some(search.clone()),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        b["data"]["results"]
            .as_array()
            .is_some_and(|r| r.len() >= 2),
        "{b}"
    );
    let (s, _) = c
        .send(
            M::GET,
            "/api/companies/my",
            "/api/companies/my",
            t,
            None,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let one = "/api/companies/{resourceId}";
    let (s, _) = c
        .send(
            M::GET,
            one,
            &format!("/api/companies/{acme}"),
            t,
            None,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = c
        .send(M::GET, one, "/api/companies/NoSuchCompan", t, None, None)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, b) = c
        .send(
            M::PUT,
            one,
            &format!("/api/companies/{acme}"),
            t,
            None,
            Some(json!({"name": "Acme Ltd", "numberOfUsers": 60})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, _) = c
        .send(
            M::GET,
            "/api/companies/{resourceId}/license-check",
            &format!("/api/companies/{acme}/license-check"),
            t,
            None,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = c
        .send(
            M::POST,
            "/api/companies/search/export",
            "/api/companies/search/export",
            t,
            None,
            Some(
                json!({"pageNumber": 1, "pageSize": 10, "exportType": "CSV", "reportAllPages": true,
                "filter": {"Condition": "AND", "SearchInputTextValue": ""}}),
            ),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    // Account privacy, the company operations beside `/{resourceId}`.
    let privacy = "/api/companies/privacy";
    let (s, _) = c.send(M::GET, privacy, privacy, t, None, None).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = c
        .send(
            M::PUT,
            privacy,
            privacy,
            t,
            None,
            Some(json!({"privacyDurationId": 1})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let mask = "/api/companies/privacymask";
    for method in [M::GET, M::PUT] {
        let (s, _) = c.send(method, mask, mask, t, None, None).await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
    }
    let limited = "/api/companies/limited";
    let (s, b) = c
        .send(
            M::PUT,
            limited,
            limited,
            t,
            None,
            Some(json!({"resourceId": acme, "name": "Acme Ltd"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let expiry = "/api/companies/licenseexpirydate";
    let (s, _) = c
        .send(
            M::POST,
            expiry,
            expiry,
            t,
            None,
            Some(json!({"licenseStartDate": "2026-01-01"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let doomed = srv
        .create_company(&root, None, json!({"name": "Doomed Co"}))
        .await;
    let bulk = "/api/companies/bulk-delete";
    let (s, _) = c
        .send(
            M::DELETE,
            bulk,
            bulk,
            t,
            None,
            Some(json!({"items": [doomed]})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = c
        .send(
            M::DELETE,
            one,
            &format!("/api/companies/{spare}"),
            t,
            None,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);

    // Clients; a company admin of Acme for the 403s.
    let admin_id = "acme-admin";
    let admin_secret = "acme-admin-secret-0123456789";
    let (s, b) = c
        .send(
            M::POST,
            "/api/companies/clients",
            "/api/companies/clients",
            t,
            Some(&acme),
            Some(
                json!({"name": "Acme admin", "clientId": admin_id, "clientSecret": admin_secret,
                "statusId": 1, "roleResourceIdList": ["RoleCompAdmn"]}),
            ),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let client = id(&b);
    let (s, _) = c
        .send(
            M::POST,
            "/api/companies/clients/search",
            "/api/companies/clients/search",
            t,
            Some(&acme),
            Some(search.clone()),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = c
        .send(
            M::POST,
            "/api/companies/clients/search/export",
            "/api/companies/clients/search/export",
            t,
            Some(&acme),
            Some(json!({"exportType": "CSV", "reportAllPages": true})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let one_client = "/api/companies/clients/{resourceId}";
    let (s, b) = c
        .send(
            M::GET,
            one_client,
            &format!("/api/companies/clients/{client}"),
            t,
            None,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, b2) = c
        .send(
            M::PUT,
            one_client,
            &format!("/api/companies/clients/{client}"),
            t,
            None,
            Some(json!({"name": "Acme administrator", "clientId": admin_id, "statusId": 1, "roleResourceIdList": ["RoleCompAdmn"],
                "hasIpAddressRestriction": b["data"]["hasIpAddressRestriction"].clone()})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b2}");
    let admin = srv.token(admin_id, admin_secret).await;
    let (s, _) = c
        .send(
            M::POST,
            "/api/companies/search",
            "/api/companies/search",
            Some(&admin),
            None,
            Some(search.clone()),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = c
        .send(
            M::GET,
            "/api/target-users/count-summary",
            "/api/target-users/count-summary",
            None,
            None,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);

    // Target users.
    let a = Some(acme.as_str());
    let mut users = Vec::new();
    for (email, first) in [
        ("ada@acme.example", "Ada"),
        ("bo@acme.example", "Bø"),
        ("cy@acme.example", "Cy"),
    ] {
        let (s, b) = c
            .send(
                M::POST,
                "/api/target-users",
                "/api/target-users",
                t,
                a,
                Some(json!({"email": email, "firstName": first, "lastName": "Test", "department": "Ops",
                    "phoneNumber": "+44 20 7946 0000", "priority": "High"})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        users.push(id(&b));
    }
    let (s, _) = c
        .send(
            M::POST,
            "/api/target-users",
            "/api/target-users",
            t,
            a,
            Some(json!({"email": "ada@acme.example"})),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (s, _) = c
        .send(
            M::POST,
            "/api/target-users",
            "/api/target-users",
            t,
            a,
            Some(json!({"email": "nope"})),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let user_search = json!({"pageNumber": 1, "pageSize": 10, "orderBy": "Email", "ascending": true,
        "filter": {"Condition": "AND", "SearchInputTextValue": "",
            "FilterGroups": [{"Condition": "AND", "FilterItems": [{"FieldName": "Department", "Operator": "=", "Value": "Ops"}]}]}});
    let (s, b) = c
        .send(
            M::POST,
            "/api/target-users/search",
            "/api/target-users/search",
            t,
            a,
            Some(user_search.clone()),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(b["data"]["totalNumberOfRecords"], 3, "{b}");
    let (s, _) = c
        .send(
            M::POST,
            "/api/target-users/search",
            "/api/target-users/search",
            t,
            a,
            Some(json!({"pageNumber": 1, "pageSize": 10, "filter": {"FilterGroups": [{"FilterItems": [{"FieldName": "Shoe", "Operator": "=", "Value": "x"}]}]}})),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _) = c
        .send(
            M::POST,
            "/api/target-users/search-email",
            "/api/target-users/search-email",
            t,
            a,
            Some(json!({"email": "acme", "pageNumber": 1, "pageSize": 10})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    for template in [
        "/api/target-users/by-resource-ids",
        "/api/target-users/include-deleted/by-resource-ids",
    ] {
        let (s, b) = c
            .send(
                M::POST,
                template,
                template,
                t,
                a,
                Some(json!({"targetUserResourceIds": users})),
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(b["data"].as_array().map(Vec::len), Some(3), "{b}");
    }
    let one_user = "/api/target-users/{resourceId}";
    let (s, _) = c
        .send(
            M::GET,
            one_user,
            &format!("/api/target-users/{}", users[0]),
            t,
            a,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, b) = c
        .send(
            M::PUT,
            one_user,
            &format!("/api/target-users/{}", users[0]),
            t,
            a,
            Some(json!({"email": "ada@acme.example", "firstName": "Ada", "lastName": "Lovelace"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    for (fmt, want) in [
        ("CSV", "text/csv"),
        ("Excel", "spreadsheetml"),
        ("PDF", "application/pdf"),
    ] {
        let mut body = user_search.clone();
        body["exportType"] = json!(fmt);
        body["reportAllPages"] = json!(true);
        let (s, _) = c
            .send(
                M::POST,
                "/api/target-users/search/export",
                "/api/target-users/search/export",
                t,
                a,
                Some(body),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{fmt} ({want})");
    }
    for fmt in ["Excel", "CSV"] {
        let (s, _) = c
            .send(
                M::POST,
                "/api/target-users/example-file",
                "/api/target-users/example-file",
                t,
                None,
                Some(json!({"exportType": fmt})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{fmt}");
    }
    let (s, _) = c
        .send(
            M::DELETE,
            one_user,
            &format!("/api/target-users/{}", users[1]),
            t,
            a,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, b) = c
        .send(
            M::DELETE,
            "/api/target-users/bulk-delete",
            "/api/target-users/bulk-delete",
            t,
            a,
            Some(json!({"items": [users[2]]})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, b) = c
        .send(
            M::GET,
            "/api/target-users/count-summary",
            "/api/target-users/count-summary",
            t,
            a,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(b["data"]["totalNumberOfDeletedUsers"], 2, "{b}");
    // A restore, one of no user, and the delete again, so that what follows sees the same users.
    let restore = "/api/target-users/{resourceId}/restore";
    let (s, b) = c
        .send(
            M::POST,
            restore,
            &format!("/api/target-users/{}/restore", users[1]),
            t,
            a,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, _) = c
        .send(
            M::POST,
            restore,
            "/api/target-users/NoSuchUser0/restore",
            t,
            a,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = c
        .send(
            M::DELETE,
            one_user,
            &format!("/api/target-users/{}", users[1]),
            t,
            a,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = c
        .send(
            M::DELETE,
            one_client,
            &format!("/api/companies/clients/{client}"),
            t,
            None,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);

    // The audit log: a search, its export (as a file) and the plain list.
    let (s, b) = c
        .send(
            M::POST,
            "/api/audit-logs/search",
            "/api/audit-logs/search",
            t,
            a,
            Some(json!({"pageNumber": 1, "pageSize": 50, "orderBy": "LogDate", "ascending": false,
                "filter": {"Condition": "AND", "SearchInputTextValue": "",
                    "FilterGroups": [{"Condition": "AND", "FilterItems": [{"FieldName": "EntityName", "Operator": "=", "Value": "TargetUser"}]}]}})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert!(
        b["data"]["totalNumberOfRecords"]
            .as_i64()
            .is_some_and(|n| n >= 5),
        "{b}"
    );
    let (s, _) = c
        .send(
            M::POST,
            "/api/audit-logs/search",
            "/api/audit-logs/search",
            t,
            a,
            Some(json!({"orderBy": "Shoe"})),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _) = c
        .send(
            M::POST,
            "/api/audit-logs/search/export",
            "/api/audit-logs/search/export",
            t,
            a,
            Some(json!({"exportType": "CSV", "reportAllPages": true})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, b) = c
        .send(
            M::POST,
            "/api/audit-logs",
            "/api/audit-logs",
            t,
            a,
            Some(json!({"pageNumber": 1, "pageSize": 10})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");

    // Custom fields: define, read, list, update, bulk update, a group's, a user's values.
    let (s, b) = c
        .send(
            M::POST,
            "/api/custom-fields",
            "/api/custom-fields",
            t,
            a,
            Some(json!({"name": "Office", "ownerType": "TargetUser", "fieldDataType": "String"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let field = id(&b);
    let one_field = "/api/custom-fields/{resourceId}";
    let field_path = format!("/api/custom-fields/{field}");
    let (s, b) = c.send(M::GET, one_field, &field_path, t, a, None).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, b) = c
        .send(
            M::PUT,
            one_field,
            &field_path,
            t,
            a,
            Some(json!({"resourceId": field, "name": "Site", "fieldDataType": "String"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, b) = c
        .send(
            M::GET,
            "/api/custom-fields/company",
            "/api/custom-fields/company",
            t,
            a,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, b) = c
        .send(
            M::PUT,
            one_user,
            &format!("/api/target-users/{}", users[0]),
            t,
            a,
            Some(json!({"customFields": [{"resourceId": field, "value": "Berlin"}]})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, b) = c
        .send(
            M::GET,
            one_user,
            &format!("/api/target-users/{}", users[0]),
            t,
            a,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["data"]["customFieldValues"][0]["value"], "Berlin", "{b}");
    let (s, b) = c
        .send(M::POST, "/api/custom-fields/bulk-update", "/api/custom-fields/bulk-update", t, a,
              Some(json!({"targetUserCustomFields": [{"resourceId": field, "name": "Site", "fieldDataType": "String"}]})))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");

    // Target groups: create, read, list, update, the searches, memberships both ways, a
    // user's groups, delete.
    let (s, b) = c
        .send(
            M::POST,
            "/api/target-groups",
            "/api/target-groups",
            t,
            a,
            Some(json!({"name": "Pilot", "priority": "Medium"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let group = id(&b);
    let one_group = "/api/target-groups/{resourceId}";
    let group_path = format!("/api/target-groups/{group}");
    let (s, b) = c.send(M::GET, one_group, &group_path, t, a, None).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let group_fields = "/api/custom-fields/groups/{resourceId}";
    let (s, b) = c
        .send(
            M::GET,
            group_fields,
            &format!("/api/custom-fields/groups/{group}"),
            t,
            a,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, b) = c
        .send(
            M::PUT,
            one_group,
            &group_path,
            t,
            a,
            Some(json!({"name": "Pilot 2", "priority": "High", "isActive": true})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, b) = c
        .send(
            M::GET,
            "/api/target-groups",
            "/api/target-groups",
            t,
            a,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, b) = c
        .send(
            M::PUT,
            "/api/target-groups/users",
            "/api/target-groups/users",
            t,
            a,
            Some(json!({"targetUserResourceIds": [&users[0]], "targetGroupResourceIds": [&group]})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let members = "/api/target-groups/{resourceId}/users";
    let members_path = format!("/api/target-groups/{group}/users");
    let (s, b) = c
        .send(
            M::PUT,
            members,
            &members_path,
            t,
            a,
            Some(json!({"selectAll": true, "filter": null, "excludedResourceIdList": []})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, b) = c
        .send(
            M::POST,
            members,
            &members_path,
            t,
            a,
            Some(json!({"pageNumber": 1, "pageSize": 10, "excludeGroupUsers": false})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    for path in [
        "/api/target-groups/search",
        "/api/target-groups/search/all",
        "/api/target-groups/search/current-company",
    ] {
        let (s, b) = c
            .send(M::POST, path, path, t, a,
                  Some(json!({"pageNumber": 1, "pageSize": 10, "systemGeneratedGroups": true, "selectTargetUserResourceIds": &users[0]})))
            .await;
        assert_eq!(s, StatusCode::OK, "{path}: {b}");
    }
    let (s, b) = c
        .send(
            M::POST,
            "/api/target-groups/search-name",
            "/api/target-groups/search-name",
            t,
            a,
            Some(json!({"groupName": "pilot"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, b) = c
        .send(
            M::POST,
            "/api/target-users/{resourceId}/groups",
            &format!("/api/target-users/{}/groups", users[0]),
            t,
            a,
            Some(json!({})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let detail = "/api/target-groups/targetgroupusercountdetail";
    let (s, b) = c
        .send(M::POST, detail, detail, t, a, Some(json!([&group])))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let detail = "/api/target-groups/targetgroupusercountdetailext";
    let (s, b) = c
        .send(
            M::POST,
            detail,
            detail,
            t,
            a,
            Some(json!({"targetGroupResourceIds": [&group]})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    for fmt in ["CSV", "Excel", "PDF"] {
        let (s, _) = c
            .send(
                M::POST,
                "/api/target-groups/search/export",
                "/api/target-groups/search/export",
                t,
                a,
                Some(json!({"exportType": fmt, "reportAllPages": true})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{fmt}");
        let (s, _) = c
            .send(
                M::POST,
                "/api/target-groups/{resourceId}/users/export",
                &format!("{members_path}/export"),
                t,
                a,
                Some(
                    json!({"exportType": fmt, "reportAllPages": true, "excludeGroupUsers": false}),
                ),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{fmt}");
    }
    let (s, b) = c
        .send(
            M::DELETE,
            members,
            &members_path,
            t,
            a,
            Some(json!({"targetUserResourceIds": [&users[0]]})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, b) = c
        .send(
            M::POST,
            "/api/target-groups",
            "/api/target-groups",
            t,
            a,
            Some(json!({"name": "PILOT 2", "priority": "Low"})),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{b}");
    let (s, b) = c.send(M::DELETE, one_group, &group_path, t, a, None).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, b) = c.send(M::GET, one_group, &group_path, t, a, None).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{b}");

    // Allowed domains: a TXT value, adding, searching and exporting, the two lists, a DNS
    // check that finds the value, a Reseller's mark, deleting.
    let (s, b) = c
        .send(
            M::POST,
            "/api/allow-list/txt-record",
            "/api/allow-list/txt-record",
            t,
            a,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let txt = b["data"].as_str().expect("TXT value").to_owned();
    let (s, b) = c
        .send(
            M::POST,
            "/api/allow-list",
            "/api/allow-list",
            t,
            a,
            Some(json!({"domain": "mail.example", "txtRecord": txt})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let domain = id(&b);
    let (s, _) = c
        .send(
            M::POST,
            "/api/allow-list",
            "/api/allow-list",
            t,
            a,
            Some(json!({"domain": "no"})),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, b) = c
        .send(
            M::POST,
            "/api/allow-list/search",
            "/api/allow-list/search",
            t,
            a,
            Some(json!({"filter": null, "orderBy": "", "pageNumber": 1, "pageSize": 10})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, _) = c
        .send(
            M::POST,
            "/api/allow-list/search/export",
            "/api/allow-list/search/export",
            t,
            a,
            Some(json!({"exportType": "Excel", "reportAllPages": true})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    for list in ["unverified", "verified"] {
        let path = format!("/api/allow-list/search/{list}");
        let (s, b) = c.send(M::GET, &path, &path, t, a, None).await;
        assert_eq!(s, StatusCode::OK, "{b}");
    }
    dns.set_txt("mail.example", &[&txt]);
    let verify = "/api/allow-list/verify/{resourceId}";
    let (s, b) = c
        .send(
            M::POST,
            verify,
            &format!("/api/allow-list/verify/{domain}"),
            t,
            a,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let mark = "/api/allow-list/mark-as-verified/{resourceId}";
    let (s, b) = c
        .send(
            M::PUT,
            mark,
            &format!("/api/allow-list/mark-as-verified/{domain}"),
            t,
            a,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, b) = c
        .send(
            M::DELETE,
            "/api/allow-list",
            "/api/allow-list",
            t,
            a,
            Some(json!({"resourceIds": [domain]})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");

    // Imports: upload, the file, a renewed id, the mapping and its job, the preview, the
    // import and the job log.
    let (s, b) = c
        .upload(&root, &acme, b"Email,First Name\nimp@doc.test,Imp\n")
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let tid = b["data"]["transactionId"].as_str().expect("tid").to_owned();
    let (s, b) = c
        .send(
            M::GET,
            "/api/target-users/upload/{transactionId}",
            &format!("/api/target-users/upload/{tid}"),
            t,
            a,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, b) = c
        .send(
            M::PUT,
            "/api/target-users/{resourceId}/update",
            &format!("/api/target-users/{tid}/update"),
            t,
            a,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let tid = b["data"]["transactionId"].as_str().expect("tid").to_owned();
    let (s, b) = c
        .send(M::POST, "/api/target-users/create-mapping", "/api/target-users/create-mapping", t, a,
              Some(json!({"transactionId": tid, "fieldMappings": [{"excelColumnName": "Email", "fieldName": "Email"}]})))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let mapping = b["data"]["resourceId"]
        .as_str()
        .expect("mapping")
        .to_owned();
    let mapping_path = format!("/api/target-users/mapping-job/{mapping}");
    for _ in 0..200 {
        let (s, b) = c
            .send(
                M::GET,
                "/api/target-users/mapping-job/{resourceId}",
                &mapping_path,
                t,
                a,
                None,
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        if b["data"]["status"] != "InProgress" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let (s, b) = c
        .send(
            M::POST,
            "/api/target-users/{resourceId}/search",
            &format!("/api/target-users/{tid}/search"),
            t,
            a,
            Some(json!({"pageNumber": 1, "pageSize": 10})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, _) = c
        .send(
            M::POST,
            "/api/target-users/{resourceId}/search/export",
            &format!("/api/target-users/{tid}/search/export"),
            t,
            a,
            Some(json!({"pageNumber": 1, "pageSize": 10, "exportType": "CSV", "reportAllPages": true})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, b) = c
        .send(
            M::POST,
            "/api/target-users/{resourceId}/import",
            &format!("/api/target-users/{tid}/import"),
            t,
            a,
            Some(json!({"importType": "ImportAll"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let job = b["data"]["resourceId"].as_str().expect("job").to_owned();
    let (s, b) = c.send(M::GET, "/api/jobs", "/api/jobs", t, a, None).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, b) = c
        .send(
            M::GET,
            "/api/jobs/{resourceId}",
            &format!("/api/jobs/{job}"),
            t,
            a,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");

    // SCIM integrations: create, list, export, the attributes, one, rename, revoke, delete.
    let (s, b) = c
        .send(
            M::POST,
            "/api/scim",
            "/api/scim",
            t,
            a,
            Some(json!({"name": "Entra ID SCIM", "groupBySCIMFieldResourceId": "9fd0afec416c"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let scim = b["data"]["resourceId"].as_str().expect("scim").to_owned();
    let (s, b) = c
        .send(
            M::POST,
            "/api/scim",
            "/api/scim",
            t,
            a,
            Some(json!({"name": ""})),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");
    let (s, b) = c
        .send(
            M::POST,
            "/api/scim/search",
            "/api/scim/search",
            t,
            a,
            Some(json!({"pageSize": 10})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, _) = c
        .send(
            M::POST,
            "/api/scim/search/export",
            "/api/scim/search/export",
            t,
            a,
            Some(json!({"exportType": "CSV", "reportAllPages": true})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, b) = c
        .send(M::GET, "/api/scim/fields", "/api/scim/fields", t, a, None)
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let one = format!("/api/scim/{scim}");
    let (s, b) = c
        .send(M::GET, "/api/scim/{resourceId}", &one, t, a, None)
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, b) = c
        .send(
            M::PUT,
            "/api/scim/{resourceId}",
            &one,
            t,
            a,
            Some(json!({"name": "Okta"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, b) = c
        .send(
            M::POST,
            "/api/scim/{resourceId}/revoke",
            &format!("/api/scim/{scim}/revoke"),
            t,
            a,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, b) = c
        .send(M::DELETE, "/api/scim/{resourceId}", &one, t, a, None)
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, b) = c
        .send(M::GET, "/api/scim/{resourceId}", &one, t, a, None)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{b}");

    c.check.assert_all_operations_seen();
}

both_engines!(replies_match_the_document);

// The document as a reader of the Swagger UI meets it (issue #18): every operation says what it
// does, every request body has an example, the examples work, and the filter fields each search
// lists are the ones its server takes.

/// The headings of the tables `rollcall_server::openapi::FilterFields` appends to descriptions.
const TABLE_HEADINGS: [&str; 2] = [
    rollcall_server::openapi::FILTER_FIELDS_HEADING,
    rollcall_server::openapi::SORT_FIELDS_HEADING,
];

/// Every operation of `doc`: (method, path template, operation).
fn operations(doc: &Value) -> Vec<(String, String, &Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            out.push((method.clone(), path.clone(), op));
        }
    }
    out
}

fn operation_id(op: &Value) -> &str {
    op["operationId"].as_str().expect("operationId")
}

/// The description its handler gives an operation, without the tables appended to it.
fn own_description(op: &Value) -> &str {
    let text = op["description"].as_str().unwrap_or_default();
    let end = TABLE_HEADINGS
        .iter()
        .filter_map(|h| text.find(h))
        .min()
        .unwrap_or(text.len());
    text[..end].trim()
}

/// Every operation has a short summary (no code, no route) and a description of its own. The
/// operations are documented by two helpers of issue #18; the message lists every one that
/// still lacks either.
#[test]
fn every_operation_has_a_summary_and_a_description() {
    let doc = document();
    let mut problems = Vec::new();
    for (method, path, op) in operations(&doc) {
        let id = operation_id(op);
        let summary = op["summary"].as_str().unwrap_or_default().trim();
        if summary.is_empty() {
            problems.push(format!("{id}: no summary"));
        } else if summary.contains('`')
            || summary.contains(path.as_str())
            || summary
                .to_ascii_lowercase()
                .starts_with(&format!("{method} /"))
        {
            problems.push(format!(
                "{id}: the summary repeats code or the route: {summary}"
            ));
        }
        if own_description(op).is_empty() {
            problems.push(format!("{id}: no description"));
        }
    }
    assert!(
        problems.is_empty(),
        "{} operations are not described:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// `{"$ref": "#/components/..."}` resolved, or the schema itself.
fn resolved<'d>(doc: &'d Value, schema: &'d Value) -> &'d Value {
    match schema["$ref"].as_str() {
        Some(r) => doc
            .pointer(r.strip_prefix('#').expect("local reference"))
            .unwrap_or_else(|| panic!("dangling $ref {r}")),
        None => schema,
    }
}

/// Whether a schema gives an example of itself.
fn has_example(schema: &Value) -> bool {
    schema.get("example").is_some() || schema["examples"].as_array().is_some_and(|e| !e.is_empty())
}

/// Every request body with a schema has an example, so that the Swagger UI's "Try it out"
/// starts from something the server takes rather than `"fieldName": "string"`: the media
/// type's, or its schema's; for a form, each property's too (the UI fills a form from them).
/// A file upload's form has nothing to exemplify.
#[test]
fn every_request_body_has_an_example() {
    let doc = document();
    let mut problems = Vec::new();
    for (_, _, op) in operations(&doc) {
        let id = operation_id(op);
        let Some(content) = op["requestBody"]["content"].as_object() else {
            continue;
        };
        for (media_type, media) in content {
            let schema = resolved(&doc, &media["schema"]);
            if schema.is_null() {
                continue;
            }
            let properties = schema["properties"].as_object();
            let file = properties.is_some_and(|p| p.values().any(|p| p["format"] == "binary"));
            if file {
                continue;
            }
            let named = media["examples"].as_object().is_some_and(|e| !e.is_empty());
            if !(media.get("example").is_some() || named || has_example(schema)) {
                problems.push(format!("{id} ({media_type}): no example"));
            }
            if media_type != "application/json" {
                for (name, p) in properties.into_iter().flatten() {
                    if !has_example(resolved(&doc, p)) {
                        problems.push(format!(
                            "{id} ({media_type}): form field {name} has no example"
                        ));
                    }
                }
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{} request bodies lack examples:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// Every `/api` operation that takes a token lists the error replies an `/api` endpoint can
/// send.
#[test]
fn every_api_operation_lists_the_error_replies() {
    let doc = document();
    for (method, path, op) in operations(&doc) {
        let anonymous = op["security"] == json!([{}]);
        if !path.starts_with("/api/") || anonymous {
            continue;
        }
        for status in ["400", "401", "403", "404", "408", "409", "429", "500"] {
            assert!(
                op["responses"][status]["content"]["application/json"]["schema"]["$ref"]
                    == "#/components/schemas/ErrorEnvelope",
                "{method} {path} does not list its {status} reply"
            );
        }
    }
}

/// The examples of an operation's JSON body, by name: the media type's example, each named
/// example, or else the schema's.
fn json_examples(doc: &Value, op: &Value) -> Vec<(String, Value)> {
    let id = operation_id(op);
    let media = &op["requestBody"]["content"]["application/json"];
    assert!(media.is_object(), "{id} takes no JSON body");
    let mut out = Vec::new();
    if let Some(e) = media.get("example") {
        out.push(("example".to_owned(), e.clone()));
    }
    for (name, e) in media["examples"].as_object().into_iter().flatten() {
        out.push((name.clone(), resolved(doc, e)["value"].clone()));
    }
    if out.is_empty() {
        let schema = resolved(doc, &media["schema"]);
        let e = schema
            .get("example")
            .or_else(|| schema["examples"].get(0))
            .unwrap_or_else(|| panic!("{id} has no example body"));
        out.push(("schema".to_owned(), e.clone()));
    }
    out
}

/// The operation with this id: (method, path template, operation).
fn operation_by_id<'d>(doc: &'d Value, id: &str) -> (Method, String, &'d Value) {
    operations(doc)
        .into_iter()
        .find(|(_, _, op)| operation_id(op) == id)
        .map(|(m, p, op)| {
            (
                Method::from_bytes(m.to_uppercase().as_bytes()).expect("method"),
                p,
                op,
            )
        })
        .unwrap_or_else(|| panic!("no operation {id}"))
}

/// `v` with each string that is a key of `ids` replaced by its value.
fn with_ids(v: &Value, ids: &BTreeMap<&str, String>) -> Value {
    match v {
        Value::String(s) => ids
            .get(s.as_str())
            .map_or_else(|| v.clone(), |id| json!(id)),
        Value::Array(items) => Value::Array(items.iter().map(|i| with_ids(i, ids)).collect()),
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, i)| (k.clone(), with_ids(i, ids)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// The placeholder ids the examples of the operations below carry: a company, a target user
/// and an upload.
const COMPANY_ID: &str = "xC5kfGz7w2Nz";
const USER_ID: &str = "Qm3nT8vLp2Xa";
const TRANSACTION_ID: &str = "Tx9kP2mV7bQe";

/// The operations of companies, REST API clients, target users and imports, whose examples
/// [`request_examples_are_accepted`] sends.
const EXAMPLED: &[&str] = &[
    "createCompany",
    "searchCompanies",
    "exportCompanies",
    "updateCompany",
    "updateCompanyLimited",
    "setCompanyPrivacy",
    "getCompanyLicenseExpiryDate",
    "bulkDeleteCompanies",
    "createClient",
    "searchClients",
    "exportClients",
    "updateClient",
    "createTargetUser",
    "searchTargetUsers",
    "exportTargetUsers",
    "searchTargetUsersByEmail",
    "getTargetUsersByResourceIds",
    "getTargetUsersByResourceIdsIncludingDeleted",
    "updateTargetUser",
    "bulkDeleteTargetUsers",
    "getTargetUserExampleFile",
    "createTargetUserMapping",
    "searchUploadedTargetUsers",
    "exportUploadedTargetUsers",
    "importTargetUsers",
];

/// Sends the examples of the operation `id` ([`json_examples`]) as the Swagger UI would, with
/// `{resourceId}` and the placeholder ids filled in; every one must be answered 200. Returns
/// the replies.
async fn send_examples(
    srv: &TestServer,
    doc: &Value,
    id: &str,
    token: &str,
    scope: Option<&str>,
    path_id: Option<&str>,
    ids: &BTreeMap<&str, String>,
) -> Vec<Value> {
    let (method, template, op) = operation_by_id(doc, id);
    let path = match path_id {
        Some(r) => template.replace("{resourceId}", r),
        None => template.clone(),
    };
    assert!(!path.contains('{'), "{id}: nothing for {template}");
    let headers: Vec<(&str, &str)> = scope
        .map(|c| vec![(crate::common::SCOPE, c)])
        .unwrap_or_default();
    let mut replies = Vec::new();
    for (name, example) in json_examples(doc, op) {
        let body = with_ids(&example, ids);
        let (status, reply) = srv
            .call(method.clone(), &path, token, Some(body.clone()), &headers)
            .await;
        assert_eq!(
            status,
            StatusCode::OK,
            "{id} ({method} {path}) refuses its example {name} {body}: {reply}"
        );
        replies.push(reply);
    }
    replies
}

/// Sends the form of the operation `id` as the Swagger UI fills it: each property's example.
async fn send_form(
    srv: &TestServer,
    doc: &Value,
    id: &str,
    media_type: &str,
    token: &str,
    path_id: Option<&str>,
    ids: &BTreeMap<&str, String>,
) {
    let (method, template, op) = operation_by_id(doc, id);
    let path = match path_id {
        Some(r) => template.replace("{resourceId}", r),
        None => template.clone(),
    };
    let schema = resolved(doc, &op["requestBody"]["content"][media_type]["schema"]);
    let mut fields: Vec<(String, String)> = Vec::new();
    for (name, p) in schema["properties"].as_object().expect("form properties") {
        let example = with_ids(&resolved(doc, p)["example"], ids);
        let values = match example {
            Value::Array(items) => items,
            one => vec![one],
        };
        for v in values {
            let text = match v {
                Value::String(s) => s,
                other => other.to_string(),
            };
            fields.push((name.clone(), text));
        }
    }
    let req = srv
        .http
        .request(method.clone(), srv.url(&path))
        .bearer_auth(token);
    let req = if media_type == "multipart/form-data" {
        let form = fields
            .iter()
            .fold(reqwest::multipart::Form::new(), |f, (k, v)| {
                f.text(k.clone(), v.clone())
            });
        req.multipart(form)
    } else {
        req.form(&fields)
    };
    let resp = req.send().await.expect("request");
    let status = resp.status();
    let body = resp.text().await.expect("body");
    assert_eq!(
        status,
        StatusCode::OK,
        "{id} ({media_type}) refuses {fields:?}: {body}"
    );
}

/// "Try it out" works: the request examples of the company, client, target-user and import
/// operations, sent in the order of Keepnet's reseller walkthrough (create a customer, find it
/// with the companies search, add a user, search the customer's users with the
/// `Department Contains "sales"` example, export them, import a file), are each answered 200
/// by a real server, and the searches find what the examples made.
async fn request_examples_are_accepted(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let doc = document();
    let root = srv.root_token().await;
    let t = root.as_str();
    let mut ids: BTreeMap<&str, String> = BTreeMap::new();
    let mut sent: BTreeSet<&str> = BTreeSet::new();

    // A customer, and the reseller's list of companies.
    let reply = send_examples(&srv, &doc, "createCompany", t, None, None, &ids).await;
    let company = id(&reply[0]);
    ids.insert(COMPANY_ID, company.clone());
    let c = Some(company.as_str());
    let pages = send_examples(&srv, &doc, "searchCompanies", t, None, None, &ids).await;
    assert!(
        pages
            .iter()
            .any(|p| crate::common::result_ids(p).contains(&company)),
        "no companies search example finds the company the create example made: {pages:?}"
    );
    send_examples(&srv, &doc, "exportCompanies", t, None, None, &ids).await;
    send_examples(&srv, &doc, "updateCompany", t, None, c, &ids).await;
    send_examples(&srv, &doc, "updateCompanyLimited", t, None, None, &ids).await;
    send_examples(
        &srv,
        &doc,
        "getCompanyLicenseExpiryDate",
        t,
        None,
        None,
        &ids,
    )
    .await;
    // The reseller's own company: a customer's privacy is the customer's.
    send_examples(&srv, &doc, "setCompanyPrivacy", t, None, None, &ids).await;
    for media_type in ["multipart/form-data", "application/x-www-form-urlencoded"] {
        send_form(&srv, &doc, "createCompany", media_type, t, None, &ids).await;
        send_form(&srv, &doc, "updateCompany", media_type, t, c, &ids).await;
    }
    send_form(
        &srv,
        &doc,
        "updateCompanyLimited",
        "multipart/form-data",
        t,
        None,
        &ids,
    )
    .await;
    sent.extend([
        "createCompany",
        "searchCompanies",
        "exportCompanies",
        "updateCompany",
        "updateCompanyLimited",
        "getCompanyLicenseExpiryDate",
        "setCompanyPrivacy",
    ]);

    // The customer's target users.
    let reply = send_examples(&srv, &doc, "createTargetUser", t, c, None, &ids).await;
    let user = id(&reply[0]);
    ids.insert(USER_ID, user.clone());
    let pages = send_examples(&srv, &doc, "searchTargetUsers", t, c, None, &ids).await;
    for (page, (name, _)) in pages.iter().zip(json_examples(
        &doc,
        operation_by_id(&doc, "searchTargetUsers").2,
    )) {
        assert_eq!(
            crate::common::result_ids(page),
            vec![user.clone()],
            "the target-user search example {name} finds the user the create example made"
        );
    }
    let files = send_examples(&srv, &doc, "exportTargetUsers", t, c, None, &ids).await;
    assert!(
        files[0]
            .as_str()
            .is_some_and(|csv| csv.contains("jane.doe@example.com")),
        "the export example exports the user: {files:?}"
    );
    let pages = send_examples(&srv, &doc, "searchTargetUsersByEmail", t, c, None, &ids).await;
    assert_eq!(crate::common::result_ids(&pages[0]), vec![user.clone()]);
    for by_ids in [
        "getTargetUsersByResourceIds",
        "getTargetUsersByResourceIdsIncludingDeleted",
    ] {
        let found = send_examples(&srv, &doc, by_ids, t, c, None, &ids).await;
        assert_eq!(found[0]["data"][0]["resourceId"], json!(user), "{by_ids}");
    }
    send_examples(&srv, &doc, "updateTargetUser", t, c, Some(&user), &ids).await;
    sent.extend([
        "createTargetUser",
        "searchTargetUsers",
        "exportTargetUsers",
        "searchTargetUsersByEmail",
        "getTargetUsersByResourceIds",
        "getTargetUsersByResourceIdsIncludingDeleted",
        "updateTargetUser",
    ]);

    // Its REST API clients.
    let reply = send_examples(&srv, &doc, "createClient", t, c, None, &ids).await;
    let client = id(&reply[0]);
    let pages = send_examples(&srv, &doc, "searchClients", t, c, None, &ids).await;
    assert_eq!(crate::common::result_ids(&pages[0]), vec![client.clone()]);
    send_examples(&srv, &doc, "exportClients", t, c, None, &ids).await;
    send_examples(&srv, &doc, "updateClient", t, None, Some(&client), &ids).await;
    sent.extend([
        "createClient",
        "searchClients",
        "exportClients",
        "updateClient",
    ]);

    // An import of the template, as its example row.
    let files = send_examples(&srv, &doc, "getTargetUserExampleFile", t, c, None, &ids).await;
    let template = files[0].as_str().expect("the CSV template").to_owned();
    let part = reqwest::multipart::Part::bytes(template.into_bytes()).file_name("template.csv");
    let resp = srv
        .http
        .post(srv.url("/api/target-users/upload"))
        .bearer_auth(t)
        .header(crate::common::SCOPE, &company)
        .multipart(reqwest::multipart::Form::new().part("File", part))
        .send()
        .await
        .expect("upload");
    assert_eq!(resp.status(), StatusCode::OK);
    let upload: Value = resp.json().await.expect("json");
    let transaction = upload["data"]["transactionId"]
        .as_str()
        .expect("transactionId")
        .to_owned();
    ids.insert(TRANSACTION_ID, transaction.clone());
    let reply = send_examples(&srv, &doc, "createTargetUserMapping", t, c, None, &ids).await;
    let job = id(&reply[0]);
    let mut status = String::new();
    for _ in 0..200 {
        let (_, b) = srv
            .get(
                &format!("/api/target-users/mapping-job/{job}"),
                t,
                &[(crate::common::SCOPE, &company)],
            )
            .await;
        status = b["data"]["status"].as_str().unwrap_or_default().to_owned();
        if status != "InProgress" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(
        status, "Finished",
        "the template's row maps without a problem"
    );
    let pages = send_examples(
        &srv,
        &doc,
        "searchUploadedTargetUsers",
        t,
        c,
        Some(&transaction),
        &ids,
    )
    .await;
    assert_eq!(
        pages[0]["data"]["items"]["totalNumberOfRecords"], 1,
        "{}",
        pages[0]
    );
    send_examples(
        &srv,
        &doc,
        "exportUploadedTargetUsers",
        t,
        c,
        Some(&transaction),
        &ids,
    )
    .await;
    send_examples(
        &srv,
        &doc,
        "importTargetUsers",
        t,
        c,
        Some(&transaction),
        &ids,
    )
    .await;
    sent.extend([
        "getTargetUserExampleFile",
        "createTargetUserMapping",
        "searchUploadedTargetUsers",
        "exportUploadedTargetUsers",
        "importTargetUsers",
    ]);

    // The deletes last: the user, then the customer.
    let reply = send_examples(&srv, &doc, "bulkDeleteTargetUsers", t, c, None, &ids).await;
    assert_eq!(reply[0]["data"]["deletedCount"], 1, "{}", reply[0]);
    let reply = send_examples(&srv, &doc, "bulkDeleteCompanies", t, None, None, &ids).await;
    assert_eq!(reply[0]["data"]["deletedCount"], 1, "{}", reply[0]);
    sent.extend(["bulkDeleteTargetUsers", "bulkDeleteCompanies"]);

    let listed: BTreeSet<&str> = EXAMPLED.iter().copied().collect();
    assert_eq!(sent, listed, "EXAMPLED lists the operations sent");
}

/// The filter fields (or sort fields) the table of each search operation lists are exactly the
/// ones its server takes: an unknown field is refused with the names the server allows, which
/// must be the table's. Every such operation is routed, too.
async fn filter_tables_are_the_servers(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let doc = document();
    let root = srv.root_token().await;
    let t = root.as_str();
    let company = srv
        .create_company(t, None, json!({"name": "Fields Ltd"}))
        .await;
    let scope = [(crate::common::SCOPE, company.as_str())];
    let user = srv
        .create_user(t, &company, json!({"email": "ann@example.com"}))
        .await;
    let (s, b) = srv
        .post("/api/target-groups", t, json!({"name": "Everyone"}), &scope)
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let group = id(&b);
    let part = reqwest::multipart::Part::bytes(b"Email Address\nann@example.com\n".to_vec())
        .file_name("users.csv");
    let upload: Value = srv
        .http
        .post(srv.url("/api/target-users/upload"))
        .bearer_auth(t)
        .header(crate::common::SCOPE, &company)
        .multipart(reqwest::multipart::Form::new().part("File", part))
        .send()
        .await
        .expect("upload")
        .json()
        .await
        .expect("json");
    let transaction = upload["data"]["transactionId"]
        .as_str()
        .expect("transactionId")
        .to_owned();

    let unknown = json!({"condition": "AND", "filterGroups": [{"condition": "AND", "filterItems": [
        {"fieldName": "NoSuchField", "operator": "=", "value": "x"}
    ]}]});
    let mut checked = 0;
    for (method, template, op) in operations(&doc) {
        let id = operation_id(op);
        let description = op["description"].as_str().unwrap_or_default();
        let filters = description.contains(TABLE_HEADINGS[0]);
        if !filters && !description.contains(TABLE_HEADINGS[1]) {
            continue;
        }
        let documented = if filters {
            description
                .lines()
                .filter_map(|l| l.strip_prefix("| `"))
                .filter_map(|l| l.split('`').next())
                .map(str::to_owned)
                .collect::<BTreeSet<String>>()
        } else {
            let list = description
                .split("in any case: ")
                .nth(1)
                .expect("the sort fields");
            list.split('`')
                .skip(1)
                .step_by(2)
                .map(str::to_owned)
                .collect()
        };
        let resource = if template.starts_with("/api/target-users/{resourceId}/search") {
            Some(transaction.as_str())
        } else if template.starts_with("/api/target-groups/{resourceId}/users") {
            Some(group.as_str())
        } else if template.starts_with("/api/target-users/{resourceId}/groups") {
            Some(user.as_str())
        } else {
            None
        };
        let path = match resource {
            Some(r) => template.replace("{resourceId}", r),
            None => template.clone(),
        };
        let mut body = if !filters {
            json!({"orderBy": "NoSuchField"})
        } else if id.starts_with("bulkDelete") {
            json!({"selectAll": true, "filter": unknown})
        } else {
            json!({"filter": unknown})
        };
        if template.ends_with("/export") {
            body["exportType"] = json!("CSV");
        }
        let method = Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
        let (status, reply) = srv.call(method, &path, t, Some(body), &scope).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{id} {path}: {reply}");
        let message = reply["message"].as_str().unwrap_or_default();
        let allowed: BTreeSet<String> = message
            .split("use one of: ")
            .nth(1)
            .unwrap_or_else(|| panic!("{id}: {message}"))
            .split(", ")
            .map(str::to_owned)
            .collect();
        assert_eq!(
            allowed, documented,
            "{id}: the server's fields and the table's differ"
        );
        checked += 1;
    }
    assert!(checked >= 20, "only {checked} searches have tables");
}

both_engines!(request_examples_are_accepted, filter_tables_are_the_servers);
