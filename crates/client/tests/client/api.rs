//! The client library (`rollcall_client::Client`) against a real rollcall server on both engines:
//! every public endpoint method, with what it writes read back through the client and
//! cross-checked over raw HTTP, errors with their HTTP status, envelope `status` and message,
//! exports parsed as the files they claim to be, searches streamed over every page, and a token
//! refused in the middle of a session after the server's signing key changed.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Debug;

use chrono::{TimeZone, Utc};
use futures::TryStreamExt;
use reqwest::StatusCode;
use rollcall_client::types::company::{ClientInput, CompanyInput, LookupDto};
use rollcall_client::types::target_user::{BulkDeleteRequest, SearchEmailRequest, TargetUserInput};
use rollcall_client::{
    Client, ClientError, ExportOptions, Filter, FilterGroup, FilterItem, SearchRequest,
};
use rollcall_server::routes::clients::{ROLE_COMPANY_ADMIN_ID, ROLE_RESELLER_ID};
use rollcall_testkit::{result_ids, Engine, TestServer, ROOT_ID, ROOT_SECRET, SCOPE};
use serde_json::json;

/// A client of the bootstrap Reseller against `s`.
fn root_client(s: &TestServer) -> Client {
    Client::builder(&s.base)
        .credentials(ROOT_ID, ROOT_SECRET)
        .build()
        .expect("a client for the test server")
}

/// Like [`root_client`], streaming searches `page_size` rows a page.
fn paging_client(s: &TestServer, page_size: i64) -> Client {
    Client::builder(&s.base)
        .credentials(ROOT_ID, ROOT_SECRET)
        .page_size(page_size)
        .build()
        .expect("a paging client for the test server")
}

/// Asserts that `r` failed with an API error of HTTP `http` and envelope status `status` and a
/// message; returns the message and the validation messages.
#[track_caller]
fn api_error<T: Debug>(
    r: Result<T, ClientError>,
    http: u16,
    status: &str,
) -> (String, Vec<String>) {
    let e = match r {
        Ok(v) => panic!("expected HTTP {http} {status}, got success: {v:?}"),
        Err(e) => e,
    };
    assert_eq!(e.http_status(), Some(http), "{e}");
    match e {
        ClientError::Api {
            status: got,
            message,
            validation_messages,
            ..
        } => {
            assert_eq!(got.as_deref(), Some(status), "{message}");
            assert!(!message.is_empty(), "an API error carries a message");
            (message, validation_messages)
        }
        other => panic!("expected an API error, got {other:?}"),
    }
}

/// Asserts that some validation message contains `text`.
#[track_caller]
fn has_message(messages: &[String], text: &str) {
    assert!(
        messages.iter().any(|m| m.contains(text)),
        "no validation message contains '{text}': {messages:?}"
    );
}

/// A search with one filter item.
fn filtered(field: &str, operator: &str, value: &str) -> SearchRequest {
    SearchRequest {
        filter: Some(Filter {
            filter_groups: Some(vec![FilterGroup {
                filter_items: Some(vec![FilterItem::new(field, operator, value)]),
                ..FilterGroup::default()
            }]),
            ..Filter::default()
        }),
        ..SearchRequest::default()
    }
}

/// A company with just a name, below `parent` (default: the root company).
async fn new_company(client: &Client, parent: Option<&str>, name: &str) -> String {
    client
        .create_company(
            parent,
            &CompanyInput {
                name: Some(name.to_owned()),
                ..CompanyInput::default()
            },
        )
        .await
        .unwrap_or_else(|e| panic!("create company {name}: {e}"))
        .resource_id
}

/// A target user with an email and a first name.
async fn new_user(client: &Client, company: &str, email: &str, department: &str) -> String {
    client
        .create_target_user(
            Some(company),
            &TargetUserInput {
                email: Some(email.to_owned()),
                first_name: Some(email.split('@').next().unwrap_or_default().to_owned()),
                department: Some(department.to_owned()),
                ..TargetUserInput::default()
            },
        )
        .await
        .unwrap_or_else(|e| panic!("create user {email}: {e}"))
        .resource_id
}

/// A lookup catalogue entry other than the first (so that a default cannot pass for it).
fn pick<'a>(lookups: &'a BTreeMap<String, Vec<LookupDto>>, kind: &str) -> &'a LookupDto {
    let entries = lookups
        .get(kind)
        .unwrap_or_else(|| panic!("no '{kind}' catalogue"));
    entries
        .get(1)
        .or_else(|| entries.first())
        .unwrap_or_else(|| panic!("the '{kind}' catalogue is empty"))
}

/// Lookups, roles, company create (multipart) / read / update / delete, my companies, the
/// company searches and the licence check.
async fn companies(engine: Engine) {
    let Some(s) = TestServer::start(engine).await else {
        return;
    };
    let client = root_client(&s);
    let token = s.root_token().await;

    // Lookups: every catalogue, and each one alone by any spelling of its name.
    let lookups = client.lookups().await.expect("lookups");
    let kinds: BTreeSet<&str> = lookups.keys().map(String::as_str).collect();
    let want: BTreeSet<&str> = rollcall_store::LookupKind::ALL
        .iter()
        .map(|k| k.as_str())
        .collect();
    assert_eq!(kinds, want);
    for (kind, entries) in &lookups {
        assert!(!entries.is_empty(), "the {kind} catalogue is empty");
        assert_eq!(&client.lookup(kind).await.expect("lookup"), entries);
    }
    assert_eq!(
        client.lookup("License-Type").await.expect("lookup"),
        lookups["license_type"]
    );
    let (message, _) = api_error(client.lookup("planets").await, 404, "NOT_FOUND");
    assert!(message.contains("planets"), "{message}");

    // Roles, as the raw API lists them.
    let roles = client.roles(None).await.expect("roles");
    let ids: BTreeSet<&str> = roles.iter().map(|r| r.resource_id.as_str()).collect();
    assert_eq!(
        ids,
        BTreeSet::from([ROLE_RESELLER_ID, ROLE_COMPANY_ADMIN_ID])
    );
    let (status, raw) = s.get("/api/roles", &token, &[]).await;
    assert_eq!(status, StatusCode::OK, "{raw}");
    assert_eq!(
        serde_json::to_value(&roles).expect("roles as JSON"),
        raw["data"]
    );

    // Create: every field of Keepnet's multipart form, read back.
    let (country, industry) = (pick(&lookups, "country"), pick(&lookups, "industry"));
    let (license, period) = (
        pick(&lookups, "license_type"),
        pick(&lookups, "license_period_type"),
    );
    let start = Utc
        .with_ymd_and_hms(2025, 1, 1, 0, 0, 0)
        .single()
        .expect("date");
    let end = Utc
        .with_ymd_and_hms(2031, 6, 30, 12, 30, 0)
        .single()
        .expect("date");
    let input = CompanyInput {
        name: Some("Acme Logistics".into()),
        description: Some("Freight, worldwide".into()),
        address: Some("1 Harbour Road, Izmir".into()),
        website_url: Some("https://acme.example".into()),
        logo_url: Some("https://acme.example/logo.png".into()),
        country_resource_id: Some(country.resource_id.clone()),
        industry_resource_id: Some(industry.resource_id.clone()),
        license_type_resource_id: Some(license.resource_id.clone()),
        license_period_type_resource_id: Some(period.resource_id.clone()),
        number_of_users: Some(1),
        is_number_of_users_limited: None,
        license_start_date: Some(start),
        license_end_date: Some(end),
        time_zone_id: Some("Europe/Istanbul".into()),
        date_format: Some("dd.MM.yyyy".into()),
        time_format: Some("HH:mm".into()),
        status_id: Some(1),
        // The same tag in another case is one tag.
        tags: Some(vec!["gold".into(), "emea".into(), "GOLD".into()]),
        preferred_language_type_resource_id: Some("tr".into()),
        resource_id: None,
    };
    let acme = client
        .create_company(None, &input)
        .await
        .expect("create company")
        .resource_id;
    let c = client.get_company(&acme).await.expect("get company");
    assert_eq!(c.resource_id, acme);
    assert_eq!(c.name, "Acme Logistics");
    assert_eq!(c.description, input.description);
    assert_eq!(c.address, input.address);
    assert_eq!(c.website_url, input.website_url);
    assert_eq!(c.logo_url, input.logo_url);
    assert_eq!(c.country_resource_id.as_ref(), Some(&country.resource_id));
    assert_eq!(c.country_name.as_ref(), Some(&country.name));
    assert_eq!(c.country_code, country.code);
    assert_eq!(c.industry_resource_id.as_ref(), Some(&industry.resource_id));
    assert_eq!(c.industry_name.as_ref(), Some(&industry.name));
    assert_eq!(
        c.license_type_resource_id.as_ref(),
        Some(&license.resource_id)
    );
    assert_eq!(c.license_type_name.as_ref(), Some(&license.name));
    assert_eq!(
        c.license_period_type_resource_id.as_ref(),
        Some(&period.resource_id)
    );
    assert_eq!(c.license_period_type_name.as_ref(), Some(&period.name));
    assert_eq!(c.license_start_date, Some(start));
    assert_eq!(c.license_end_date, Some(end));
    // The language is stored as the catalogue's resource id whatever spelling was sent.
    assert_eq!(
        c.preferred_language_type_resource_id.as_deref(),
        Some("LangTurkish0")
    );
    assert_eq!(c.preferred_language_type_name.as_deref(), Some("Turkish"));
    assert!(!c.licence_expired);
    // A user count without IsNumberOfUsersLimited makes a limited licence.
    assert!(c.is_number_of_users_limited);
    assert_eq!(c.number_of_users, Some(1));
    assert_eq!(c.time_zone_id, input.time_zone_id);
    assert_eq!(c.date_format, input.date_format);
    assert_eq!(c.time_format, input.time_format);
    assert_eq!(c.status_id, Some(1));
    assert_eq!(c.tags, ["gold", "emea"]);
    assert_eq!(c.parent_resource_id.as_ref(), Some(&s.root_company));
    assert_eq!(c.target_user_count, 0);
    // The raw API says the same.
    let (status, raw) = s.get(&format!("/api/companies/{acme}"), &token, &[]).await;
    assert_eq!(status, StatusCode::OK, "{raw}");
    assert_eq!(
        serde_json::to_value(&c).expect("company as JSON"),
        raw["data"]
    );

    // A company below another one (the parent travels as the scope header).
    let depot = new_company(&client, Some(&acme), "Acme Depot").await;
    let other = new_company(&client, None, "Globex").await;
    assert_eq!(
        client
            .get_company(&depot)
            .await
            .expect("depot")
            .parent_resource_id,
        Some(acme.clone())
    );

    // My companies: the root and the tree below it.
    let my = client.my_companies().await.expect("my companies");
    assert_eq!(my.len(), 1, "{my:?}");
    assert_eq!(my[0].resource_id, s.root_company);
    let children: BTreeSet<&str> = my[0]
        .children
        .iter()
        .map(|c| c.resource_id.as_str())
        .collect();
    assert_eq!(children, BTreeSet::from([acme.as_str(), other.as_str()]));
    let acme_node = my[0]
        .children
        .iter()
        .find(|c| c.resource_id == acme)
        .expect("acme in the tree");
    assert_eq!(acme_node.name, "Acme Logistics");
    assert_eq!(acme_node.children.len(), 1);
    assert_eq!(acme_node.children[0].resource_id, depot);
    assert_eq!(acme_node.children[0].name, "Acme Depot");

    // Licence check: a limit of 1 with two active users is exceeded; one inactive user is not
    // counted as active.
    let alice = new_user(&client, &acme, "alice@acme.test", "Ops").await;
    new_user(&client, &acme, "bob@acme.test", "Ops").await;
    let lc = client.license_check(&acme).await.expect("licence check");
    assert!(lc.is_limited);
    assert_eq!(lc.license_limit, Some(1));
    assert_eq!((lc.active_user_count, lc.total_user_count), (2, 2));
    assert!(lc.is_license_exceeded);
    client
        .update_target_user(
            Some(&acme),
            &alice,
            &TargetUserInput {
                is_active: Some(false),
                ..TargetUserInput::default()
            },
        )
        .await
        .expect("deactivate alice");
    let lc = client.license_check(&acme).await.expect("licence check");
    assert_eq!((lc.active_user_count, lc.total_user_count), (1, 2));
    assert!(!lc.is_license_exceeded);

    // Search: one page with a filter, and the stream over pages of one row.
    let page = client
        .search_companies_page(filtered("CompanyName", "Contains", "acme"))
        .await
        .expect("search companies");
    let mut names: Vec<&str> = page
        .results
        .iter()
        .map(|r| r.company_name.as_str())
        .collect();
    names.sort_unstable();
    assert_eq!(names, ["Acme Depot", "Acme Logistics"]);
    assert_eq!(page.total_number_of_records, 2);
    let row = page
        .results
        .iter()
        .find(|r| r.resource_id == acme)
        .expect("acme in the page");
    assert_eq!(row.company_resource_id, acme);
    assert_eq!(row.target_user_count, 1);
    assert_eq!(row.inactive_target_user_count, 1);
    assert_eq!(
        row.tags.as_deref(),
        Some(&["gold".to_owned(), "emea".to_owned()][..])
    );
    let streamed: Vec<String> = paging_client(&s, 1)
        .search_companies(SearchRequest::default())
        .map_ok(|r| r.resource_id)
        .try_collect()
        .await
        .expect("stream companies");
    let (status, raw) = s
        .post(
            "/api/companies/search",
            &token,
            json!({"pageNumber": 1, "pageSize": 1000}),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{raw}");
    assert_eq!(streamed, result_ids(&raw), "same rows in the same order");
    assert_eq!(
        streamed.iter().collect::<BTreeSet<_>>(),
        BTreeSet::from([&acme, &depot, &other])
    );

    // Update (multipart): the fields sent change, the others stay.
    client
        .update_company(
            &acme,
            &CompanyInput {
                name: Some("Acme Freight".into()),
                number_of_users: Some(5),
                tags: Some(vec!["platinum".into()]),
                status_id: Some(2),
                ..CompanyInput::default()
            },
        )
        .await
        .expect("update company");
    let c = client.get_company(&acme).await.expect("get company");
    assert_eq!(c.name, "Acme Freight");
    assert_eq!(c.number_of_users, Some(5));
    assert_eq!(c.tags, ["platinum"]);
    assert_eq!(
        (c.status_id, c.status_name.as_deref()),
        (Some(2), Some("Inactive"))
    );
    assert_eq!(c.description, input.description, "left out, kept");
    assert_eq!(c.license_end_date, Some(end), "left out, kept");
    let (status, raw) = s.get(&format!("/api/companies/{acme}"), &token, &[]).await;
    assert_eq!(status, StatusCode::OK, "{raw}");
    assert_eq!(raw["data"]["name"], "Acme Freight");
    assert_eq!(raw["data"]["numberOfUsers"], 5);

    // Errors carry the HTTP status, the envelope status and the messages.
    // An empty form: the server reports the missing name (not an unreadable body), and an
    // update that changes nothing is accepted.
    let (_, v) = api_error(
        client.create_company(None, &CompanyInput::default()).await,
        400,
        "INPUT_ERROR",
    );
    has_message(&v, "Name is required");
    let same = client
        .update_company(&acme, &CompanyInput::default())
        .await
        .expect("an update of nothing");
    assert_eq!(same.resource_id, acme);
    assert_eq!(
        client.get_company(&acme).await.expect("get company").name,
        "Acme Freight"
    );
    let (_, v) = api_error(
        client
            .create_company(
                None,
                &CompanyInput {
                    name: Some("Nowhere".into()),
                    country_resource_id: Some("atlantis".into()),
                    license_start_date: Some(end),
                    license_end_date: Some(start),
                    ..CompanyInput::default()
                },
            )
            .await,
        400,
        "INPUT_ERROR",
    );
    has_message(&v, "CountryResourceId 'atlantis' is unknown");
    has_message(&v, "LicenseEndDate must not be before LicenseStartDate");
    let (_, v) = api_error(
        client
            .update_company(
                &acme,
                &CompanyInput {
                    status_id: Some(7),
                    ..CompanyInput::default()
                },
            )
            .await,
        400,
        "INPUT_ERROR",
    );
    has_message(&v, "StatusId must be 1 (active) or 2 (inactive), got 7");
    let unknown = rollcall_store::new_resource_id();
    let (message, _) = api_error(client.get_company(&unknown).await, 404, "NOT_FOUND");
    assert!(message.contains(&unknown), "{message}");
    api_error(client.license_check(&unknown).await, 404, "NOT_FOUND");
    api_error(
        client
            .update_company(
                &unknown,
                &CompanyInput {
                    name: Some("x".into()),
                    ..CompanyInput::default()
                },
            )
            .await,
        404,
        "NOT_FOUND",
    );
    api_error(client.get_company("not-an-id").await, 400, "INPUT_ERROR");
    // The caller's own company cannot be deleted; a company with children cannot either.
    api_error(
        client.delete_company(&s.root_company).await,
        403,
        "FORBIDDEN",
    );
    let (message, _) = api_error(client.delete_company(&acme).await, 409, "CONFLICT");
    assert!(message.contains("1 child company"), "{message}");

    // Deletes really delete: the company is gone for the client, the raw API and the tree.
    let deleted = client.delete_company(&depot).await.expect("delete depot");
    assert_eq!(deleted.resource_id, depot);
    api_error(client.get_company(&depot).await, 404, "NOT_FOUND");
    let (status, raw) = s.get(&format!("/api/companies/{depot}"), &token, &[]).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{raw}");
    api_error(client.delete_company(&depot).await, 404, "NOT_FOUND");
    client.delete_company(&acme).await.expect("delete acme");
    let my = client.my_companies().await.expect("my companies");
    let children: Vec<&str> = my[0]
        .children
        .iter()
        .map(|c| c.resource_id.as_str())
        .collect();
    assert_eq!(children, [other.as_str()]);
    // Its users went with it.
    api_error(
        client.get_target_user(Some(&acme), &alice).await,
        404,
        "NOT_FOUND",
    );
    s.finish().await;
}

/// REST API clients: generated credentials, create / read / update / delete, the page search,
/// and what the changes do to the client using those credentials.
async fn api_clients(engine: Engine) {
    let Some(s) = TestServer::start(engine).await else {
        return;
    };
    let client = root_client(&s);
    let token = s.root_token().await;
    let company = new_company(&client, None, "Clients Co").await;

    // Generated credentials: fresh each time, and good enough for the server to accept.
    let creds = client
        .generate_client_credentials(Some(&company))
        .await
        .expect("generate credentials");
    let again = client
        .generate_client_credentials(None)
        .await
        .expect("generate credentials");
    assert_ne!(creds.client_id, again.client_id);
    assert_ne!(creds.client_secret, again.client_secret);
    let input = ClientInput {
        name: Some("ci-bot".into()),
        client_id: Some(creds.client_id.clone()),
        client_secret: Some(creds.client_secret.clone()),
        status_id: Some(1),
        has_ip_address_restriction: None,
        allowed_ip_addresses: None,
        role_resource_id_list: Some(vec![ROLE_COMPANY_ADMIN_ID.into()]),
    };
    let id = client
        .create_client(Some(&company), &input)
        .await
        .expect("create client")
        .resource_id;
    let got = client
        .get_client(Some(&company), &id)
        .await
        .expect("get client");
    assert_eq!(got.resource_id, id);
    assert_eq!(got.name, "ci-bot");
    assert_eq!(got.client_id, creds.client_id);
    assert_eq!(got.client_secret, None, "the secret is never returned");
    assert_eq!((got.status_id, got.status_name.as_str()), (1, "Active"));
    assert!(!got.has_ip_address_restriction);
    assert!(got.allowed_ip_addresses.is_empty());
    assert_eq!(got.role_resource_id_list, [ROLE_COMPANY_ADMIN_ID]);
    let (status, raw) = s
        .get(
            &format!("/api/companies/clients/{id}"),
            &token,
            &[(SCOPE, &company)],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{raw}");
    assert_eq!(
        serde_json::to_value(&got).expect("client as JSON"),
        raw["data"]
    );
    assert_eq!(
        s.client_resource_id(&token, &company, &creds.client_id)
            .await,
        id
    );

    // The page search lists exactly that client.
    let page = client
        .search_clients_page(Some(&company), SearchRequest::default())
        .await
        .expect("search clients");
    assert_eq!(page.total_number_of_records, 1);
    assert_eq!(page.results.len(), 1);
    let row = &page.results[0];
    assert_eq!(
        (
            row.resource_id.as_str(),
            row.client_name.as_str(),
            row.client_id.as_str()
        ),
        (id.as_str(), "ci-bot", creds.client_id.as_str())
    );
    assert_eq!((row.status_id, row.status_name.as_str()), (1, "Active"));

    // The credentials work, with a Company Admin's reach.
    let bot = Client::builder(&s.base)
        .credentials(&creds.client_id, &creds.client_secret)
        .build()
        .expect("bot client");
    let mine = bot.my_companies().await.expect("bot's companies");
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].resource_id, company);
    assert!(mine[0].children.is_empty());
    api_error(
        bot.search_companies_page(SearchRequest::default()).await,
        403,
        "FORBIDDEN",
    );

    // Errors: a clientId in use, and every problem of an empty client at once.
    let (message, _) = api_error(
        client.create_client(Some(&company), &input).await,
        409,
        "CONFLICT",
    );
    assert!(message.contains(&creds.client_id), "{message}");
    let (_, v) = api_error(
        client
            .create_client(
                Some(&company),
                &ClientInput {
                    client_secret: Some("short".into()),
                    ..ClientInput::default()
                },
            )
            .await,
        400,
        "INPUT_ERROR",
    );
    has_message(&v, "name is required");
    has_message(&v, "clientId is required");
    has_message(&v, "clientSecret must be at least 16 characters");
    has_message(&v, "Role should be selected");
    let unknown = rollcall_store::new_resource_id();
    let (message, _) = api_error(
        client.get_client(Some(&company), &unknown).await,
        404,
        "NOT_FOUND",
    );
    assert!(message.contains(&unknown), "{message}");

    // Update: a new name and secret. The old secret stops working, the new one works.
    let rotated = client
        .generate_client_credentials(Some(&company))
        .await
        .expect("generate credentials");
    let renamed = ClientInput {
        name: Some("ci-bot-2".into()),
        client_secret: Some(rotated.client_secret.clone()),
        ..input.clone()
    };
    let updated = client
        .update_client(Some(&company), &id, &renamed)
        .await
        .expect("update client");
    assert_eq!(updated.resource_id, id);
    assert_eq!(
        client
            .get_client(Some(&company), &id)
            .await
            .expect("get client")
            .name,
        "ci-bot-2"
    );
    let old_secret = Client::builder(&s.base)
        .credentials(&creds.client_id, &creds.client_secret)
        .build()
        .expect("client");
    match old_secret.my_companies().await {
        Err(ClientError::Auth {
            http_status, error, ..
        }) => assert_eq!((http_status, error.as_str()), (400, "invalid_client")),
        other => panic!("the old secret should be refused: {other:?}"),
    }
    let new_secret = Client::builder(&s.base)
        .credentials(&creds.client_id, &rotated.client_secret)
        .build()
        .expect("client");
    new_secret
        .my_companies()
        .await
        .expect("the new secret works");
    // The token the bot already holds still works (a secret change does not revoke tokens).
    bot.my_companies()
        .await
        .expect("the bot's token still works");
    assert_eq!(bot.token_fetches(), 1);

    // An IP allow-list without this address: the bot's next call is refused with 403.
    let restricted = ClientInput {
        has_ip_address_restriction: Some(true),
        allowed_ip_addresses: Some(vec!["203.0.113.0/24".into()]),
        client_secret: None,
        ..renamed.clone()
    };
    client
        .update_client(Some(&company), &id, &restricted)
        .await
        .expect("restrict client");
    let got = client
        .get_client(Some(&company), &id)
        .await
        .expect("get client");
    assert!(got.has_ip_address_restriction);
    assert_eq!(got.allowed_ip_addresses, ["203.0.113.0/24"]);
    api_error(bot.my_companies().await, 403, "IP_RESTRICTED");
    let (_, v) = api_error(
        client
            .update_client(
                Some(&company),
                &id,
                &ClientInput {
                    allowed_ip_addresses: Some(vec!["not-an-ip".into()]),
                    ..restricted.clone()
                },
            )
            .await,
        400,
        "INPUT_ERROR",
    );
    has_message(&v, "Invalid ip address: 'not-an-ip'");
    client
        .update_client(
            Some(&company),
            &id,
            &ClientInput {
                allowed_ip_addresses: Some(vec!["127.0.0.1".into()]),
                ..restricted
            },
        )
        .await
        .expect("allow this address");
    bot.my_companies().await.expect("allowed again");

    // Delete: gone for the client and the raw API; its token and its credentials stop working.
    let deleted = client
        .delete_client(Some(&company), &id)
        .await
        .expect("delete client");
    assert_eq!(deleted.resource_id, id);
    api_error(
        client.get_client(Some(&company), &id).await,
        404,
        "NOT_FOUND",
    );
    let (status, raw) = s
        .get(
            &format!("/api/companies/clients/{id}"),
            &token,
            &[(SCOPE, &company)],
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{raw}");
    api_error(
        client.delete_client(Some(&company), &id).await,
        404,
        "NOT_FOUND",
    );
    let page = client
        .search_clients_page(Some(&company), SearchRequest::default())
        .await
        .expect("search clients");
    assert_eq!(page.total_number_of_records, 0);
    assert!(page.results.is_empty());
    // The bot's token is refused (401); the client renews it once, and the token endpoint
    // refuses the deleted client's credentials.
    match bot.my_companies().await {
        Err(ClientError::Auth {
            http_status, error, ..
        }) => assert_eq!((http_status, error.as_str()), (400, "invalid_client")),
        other => panic!("a deleted client should be refused: {other:?}"),
    }
    s.finish().await;
}

/// `search_clients` streams every client of a company exactly once over several pages.
async fn clients_stream(engine: Engine) {
    let Some(s) = TestServer::start(engine).await else {
        return;
    };
    let client = root_client(&s);
    let company = new_company(&client, None, "Many Clients").await;
    let mut created: BTreeMap<String, String> = BTreeMap::new();
    for i in 0..25 {
        let name = format!("bot-{i:02}");
        let id = client
            .create_client(
                Some(&company),
                &ClientInput {
                    name: Some(name.clone()),
                    client_id: Some(format!("{name}-{}", company.to_ascii_lowercase())),
                    client_secret: Some(format!("secret-of-{name}-0123456789")),
                    role_resource_id_list: Some(vec![ROLE_COMPANY_ADMIN_ID.into()]),
                    ..ClientInput::default()
                },
            )
            .await
            .unwrap_or_else(|e| panic!("create client {name}: {e}"))
            .resource_id;
        created.insert(id, name);
    }
    // Another company's client is not in the stream.
    let elsewhere = new_company(&client, None, "Elsewhere").await;
    s.create_client(&s.root_token().await, &elsewhere, "CompanyAdmin")
        .await;

    let paged = paging_client(&s, 10);
    let rows: Vec<_> = paged
        .search_clients(Some(&company), SearchRequest::default())
        .try_collect()
        .await
        .expect("stream clients");
    assert_eq!(rows.len(), 25, "every client once");
    let streamed: BTreeMap<String, String> = rows
        .iter()
        .map(|r| (r.resource_id.clone(), r.client_name.clone()))
        .collect();
    assert_eq!(streamed, created, "the same 25 clients, none twice");

    // The last of three pages of 10 has the 5 left.
    let last = paged
        .search_clients_page(
            Some(&company),
            SearchRequest {
                page_number: Some(3),
                ..SearchRequest::default()
            },
        )
        .await
        .expect("page 3");
    assert_eq!(
        (last.total_number_of_pages, last.total_number_of_records),
        (3, 25)
    );
    assert_eq!(last.results.len(), 5);

    // A body's own page size, order and first page are kept: pages of 7 by name from page 2.
    let names: Vec<String> = paged
        .search_clients(
            Some(&company),
            SearchRequest {
                page_number: Some(2),
                page_size: Some(7),
                order_by: Some("ClientName".into()),
                ascending: Some(true),
                ..SearchRequest::default()
            },
        )
        .map_ok(|r| r.client_name)
        .try_collect()
        .await
        .expect("stream clients by name");
    let mut sorted: Vec<String> = created.values().cloned().collect();
    sorted.sort();
    assert_eq!(names, sorted[7..]);
    s.finish().await;
}

/// Target users: create / read / update / delete, duplicates and validation, the searches, the
/// by-id lookups, the count summary and bulk delete.
async fn target_users(engine: Engine) {
    let Some(s) = TestServer::start(engine).await else {
        return;
    };
    let client = root_client(&s);
    let token = s.root_token().await;
    let company = new_company(&client, None, "Users Co").await;
    let scope = Some(company.as_str());

    let input = TargetUserInput {
        email: Some("Alice.Archer@Example.com".into()),
        first_name: Some("Alice".into()),
        last_name: Some("Archer".into()),
        department: Some("Finance".into()),
        priority: Some("High".into()),
        is_active: None,
        custom_fields: None,
        phone_number: Some("+442071234567".into()),
        target_group_resource_ids: None,
        time_zone_id: Some("Europe/London".into()),
        preferred_language_id: Some("en-GB".into()),
        manager_first_name: Some("Mia".into()),
        manager_last_name: Some("Manager".into()),
        manager_email: Some("mia@example.com".into()),
    };
    let alice = client
        .create_target_user(scope, &input)
        .await
        .expect("create alice")
        .resource_id;
    let u = client
        .get_target_user(scope, &alice)
        .await
        .expect("get alice");
    assert_eq!(u.resource_id, alice);
    assert_eq!(Some(&u.email), input.email.as_ref());
    assert_eq!(u.first_name, input.first_name);
    assert_eq!(u.last_name, input.last_name);
    assert_eq!(u.department, input.department);
    assert_eq!(Some(&u.priority), input.priority.as_ref());
    assert_eq!(u.phone_number, input.phone_number);
    assert_eq!(u.time_zone_id, input.time_zone_id);
    // `en-GB` is stored as English's resource id (docs/api.md).
    assert_eq!(u.preferred_language_id.as_deref(), Some("LangEnglish0"));
    assert_eq!(u.manager_first_name, input.manager_first_name);
    assert_eq!(u.manager_last_name, input.manager_last_name);
    assert_eq!(u.manager_email, input.manager_email);
    assert_eq!(u.manager_full_name.as_deref(), Some("Mia Manager"));
    assert!(u.is_active && !u.is_deleted);
    let (status, raw) = s
        .get(
            &format!("/api/target-users/{alice}"),
            &token,
            &[(SCOPE, &company)],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{raw}");
    assert_eq!(serde_json::to_value(&u).expect("user as JSON"), raw["data"]);

    let bob = new_user(&client, &company, "bob@example.com", "Sales").await;
    let carol = new_user(&client, &company, "carol@example.org", "Sales").await;

    // Errors: the same email in another case (409), bad fields (400), unknown ids (404).
    let (message, _) = api_error(
        client
            .create_target_user(
                scope,
                &TargetUserInput {
                    email: Some("alice.archer@EXAMPLE.COM".into()),
                    ..TargetUserInput::default()
                },
            )
            .await,
        409,
        "CONFLICT",
    );
    assert!(message.contains("already exists"), "{message}");
    let (_, v) = api_error(
        client
            .create_target_user(
                scope,
                &TargetUserInput {
                    email: Some("not-an-email".into()),
                    priority: Some("Urgent".into()),
                    ..TargetUserInput::default()
                },
            )
            .await,
        400,
        "INPUT_ERROR",
    );
    has_message(&v, "email 'not-an-email' is not a valid email address");
    has_message(&v, "priority 'Urgent' is not valid");
    let unknown = rollcall_store::new_resource_id();
    let (message, _) = api_error(
        client.get_target_user(scope, &unknown).await,
        404,
        "NOT_FOUND",
    );
    assert!(message.contains(&unknown), "{message}");
    api_error(
        client
            .update_target_user(scope, &unknown, &TargetUserInput::default())
            .await,
        404,
        "NOT_FOUND",
    );
    api_error(
        client.delete_target_user(scope, &unknown).await,
        404,
        "NOT_FOUND",
    );

    // Update: the fields sent change, the others stay.
    client
        .update_target_user(
            scope,
            &bob,
            &TargetUserInput {
                department: Some("Support".into()),
                is_active: Some(false),
                ..TargetUserInput::default()
            },
        )
        .await
        .expect("update bob");
    let b = client.get_target_user(scope, &bob).await.expect("get bob");
    assert_eq!(b.department.as_deref(), Some("Support"));
    assert!(!b.is_active);
    assert_eq!(b.email, "bob@example.com");
    assert_eq!(b.first_name.as_deref(), Some("bob"));
    assert!(b.update_time.is_some());

    // Searches: a filtered page, the stream over pages of one row, and search-email.
    let page = client
        .search_target_users_page(scope, filtered("Department", "Contains", "fin"))
        .await
        .expect("search users");
    assert_eq!(page.total_number_of_records, 1);
    assert_eq!(page.results[0].resource_id, alice);
    assert_eq!(
        page.results[0].manager_full_name.as_deref(),
        Some("Mia Manager")
    );
    let streamed: Vec<String> = paging_client(&s, 1)
        .search_target_users(scope, SearchRequest::default())
        .map_ok(|u| u.resource_id)
        .try_collect()
        .await
        .expect("stream users");
    assert_eq!(streamed.len(), 3, "{streamed:?}");
    assert_eq!(
        streamed.iter().collect::<BTreeSet<_>>(),
        BTreeSet::from([&alice, &bob, &carol])
    );
    let by_email = client
        .search_target_users_by_email(
            scope,
            &SearchEmailRequest {
                email: Some("EXAMPLE.COM".into()),
                ..SearchEmailRequest::default()
            },
        )
        .await
        .expect("search by email");
    let emails: Vec<&str> = by_email.results.iter().map(|u| u.email.as_str()).collect();
    assert_eq!(emails, ["Alice.Archer@Example.com", "bob@example.com"]);
    let second = client
        .search_target_users_by_email(
            scope,
            &SearchEmailRequest {
                email: Some("example".into()),
                page_number: Some(2),
                page_size: Some(2),
                ascending: Some(false),
                ..SearchEmailRequest::default()
            },
        )
        .await
        .expect("search by email, page 2");
    assert_eq!(
        (second.total_number_of_records, second.total_number_of_pages),
        (3, 2)
    );
    let emails: Vec<&str> = second.results.iter().map(|u| u.email.as_str()).collect();
    assert_eq!(
        emails,
        ["Alice.Archer@Example.com"],
        "descending, third row"
    );

    // Delete: soft, so the user stays readable, marked deleted; no second delete, no edit.
    let deleted = client
        .delete_target_user(scope, &carol)
        .await
        .expect("delete carol");
    assert_eq!(deleted.resource_id, carol);
    assert!(
        client
            .get_target_user(scope, &carol)
            .await
            .expect("get carol")
            .is_deleted
    );
    api_error(
        client.delete_target_user(scope, &carol).await,
        409,
        "CONFLICT",
    );
    api_error(
        client
            .update_target_user(
                scope,
                &carol,
                &TargetUserInput {
                    department: Some("x".into()),
                    ..TargetUserInput::default()
                },
            )
            .await,
        409,
        "CONFLICT",
    );

    // By resource ids: live users only, or deleted ones too; unknown ids are left out.
    let ids = vec![alice.clone(), bob.clone(), carol.clone(), unknown.clone()];
    let live = client
        .target_users_by_resource_ids(scope, &ids, false)
        .await
        .expect("by ids");
    let live: BTreeMap<&str, (&str, i32, bool)> = live
        .iter()
        .map(|u| {
            (
                u.resource_id.as_str(),
                (u.email.as_str(), u.status, u.is_deleted),
            )
        })
        .collect();
    assert_eq!(
        live,
        BTreeMap::from([
            (alice.as_str(), ("Alice.Archer@Example.com", 1, false)),
            (bob.as_str(), ("bob@example.com", 0, false)),
        ])
    );
    let all = client
        .target_users_by_resource_ids(scope, &ids, true)
        .await
        .expect("by ids, deleted too");
    assert_eq!(all.len(), 3);
    let c = all
        .iter()
        .find(|u| u.resource_id == carol)
        .expect("carol with the deleted");
    assert!(c.is_deleted);
    assert_eq!(c.email, "carol@example.org");

    // Bulk delete: by ids, then everything a filter selects except one.
    let mut temps = Vec::new();
    for i in 0..4 {
        temps.push(new_user(&client, &company, &format!("temp{i}@example.net"), "Temp").await);
    }
    let r = client
        .bulk_delete_target_users(
            scope,
            &BulkDeleteRequest {
                items: Some(temps[..2].to_vec()),
                ..BulkDeleteRequest::default()
            },
        )
        .await
        .expect("bulk delete by ids");
    assert_eq!(r.deleted_count, 2);
    let f = filtered("Department", "=", "Temp");
    let r = client
        .bulk_delete_target_users(
            scope,
            &BulkDeleteRequest {
                select_all: Some(true),
                excluded_items: Some(vec![temps[3].clone()]),
                filter: f.filter,
                ..BulkDeleteRequest::default()
            },
        )
        .await
        .expect("bulk delete by filter");
    assert_eq!(
        r.deleted_count, 1,
        "temp2 only: temp0/1 are deleted already"
    );
    for (i, id) in temps.iter().enumerate() {
        let u = client.get_target_user(scope, id).await.expect("get temp");
        assert_eq!(u.is_deleted, i < 3, "temp{i}");
    }
    api_error(
        client
            .bulk_delete_target_users(scope, &BulkDeleteRequest::default())
            .await,
        400,
        "INPUT_ERROR",
    );

    // The count summary adds it all up, as the raw API does.
    let sum = client.count_summary(scope).await.expect("count summary");
    assert_eq!(sum.total_number_of_active_users, 2, "alice and temp3");
    assert_eq!(sum.total_number_of_in_active_users, 1, "bob");
    assert_eq!(sum.total_number_of_deleted_users, 4, "carol and temp0-2");
    assert_eq!(sum.monthly_active_users.len(), 12);
    assert_eq!(
        sum.monthly_active_users.last().map(|m| m.count),
        Some(7),
        "every user was added this month"
    );
    let (status, raw) = s
        .get(
            "/api/target-users/count-summary",
            &token,
            &[(SCOPE, &company)],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{raw}");
    assert_eq!(
        serde_json::to_value(&sum).expect("summary as JSON"),
        raw["data"]
    );
    s.finish().await;
}

/// The rows of a CSV file, header first.
fn csv_rows(bytes: &[u8]) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(bytes)
        .records()
        .map(|r| r.expect("a CSV record").iter().map(str::to_owned).collect())
        .collect()
}

/// The rows of the first sheet of an xlsx file, header first, as text.
fn xlsx_rows(bytes: Vec<u8>) -> Vec<Vec<String>> {
    use calamine::Reader;
    let mut wb = calamine::Xlsx::new(std::io::Cursor::new(bytes)).expect("an xlsx file");
    let range = wb
        .worksheet_range_at(0)
        .expect("a sheet")
        .expect("a readable sheet");
    range
        .rows()
        .map(|r| r.iter().map(ToString::to_string).collect())
        .collect()
}

/// The column of `header` in `rows` (header first).
fn column<'a>(rows: &'a [Vec<String>], header: &str) -> Vec<&'a str> {
    let i = rows[0]
        .iter()
        .position(|h| h == header)
        .unwrap_or_else(|| panic!("no column {header} in {:?}", rows[0]));
    rows[1..].iter().map(|r| r[i].as_str()).collect()
}

/// Exports of target users and companies (CSV, Excel, PDF; streamed downloads and written
/// files) and the import template.
async fn exports(engine: Engine) {
    let Some(s) = TestServer::start(engine).await else {
        return;
    };
    let client = root_client(&s);
    let company = new_company(&client, None, "Export Co").await;
    let scope = Some(company.as_str());
    let mut users = BTreeMap::new();
    for email in ["zoe@example.com", "yann@example.com", "xia@example.com"] {
        users.insert(new_user(&client, &company, email, "Research").await, email);
    }
    let every = |export_type: &str| SearchRequest {
        export_type: Some(export_type.to_owned()),
        report_all_pages: Some(true),
        ..SearchRequest::default()
    };

    // CSV, streamed: named, typed, with a byte-order mark unless asked not to.
    let d = client
        .download_target_users(scope, every("CSV"), &ExportOptions::default())
        .await
        .expect("CSV download");
    assert!(d.content_type.starts_with("text/csv"), "{}", d.content_type);
    assert_eq!(d.file_name.as_deref(), Some("Target Users.csv"));
    let mut bom_csv = Vec::new();
    let n = d.write_to(&mut bom_csv).await.expect("CSV body");
    assert_eq!(n, bom_csv.len() as u64);
    let body = bom_csv
        .strip_prefix("\u{feff}".as_bytes())
        .expect("a byte-order mark by default");
    let rows = csv_rows(body);
    assert_eq!(rows[0], rollcall_server::export::TARGET_USER_COLUMNS);
    let exported: BTreeMap<&str, &str> = column(&rows, "Resource Id")
        .into_iter()
        .zip(column(&rows, "Email"))
        .collect();
    let want: BTreeMap<&str, &str> = users.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    assert_eq!(exported, want);
    let mut plain = Vec::new();
    client
        .download_target_users(
            scope,
            every("CSV"),
            &ExportOptions {
                csv_bom: Some(false),
            },
        )
        .await
        .expect("CSV download without BOM")
        .write_to(&mut plain)
        .await
        .expect("CSV body");
    assert_eq!(plain, body, "the same file without the mark");

    // Without reportAllPages, the requested page only (in the requested order).
    let mut page = Vec::new();
    client
        .download_target_users(
            scope,
            SearchRequest {
                export_type: Some("CSV".into()),
                page_size: Some(2),
                order_by: Some("Email".into()),
                ascending: Some(true),
                ..SearchRequest::default()
            },
            &ExportOptions::default(),
        )
        .await
        .expect("CSV page")
        .write_to(&mut page)
        .await
        .expect("CSV body");
    let rows = csv_rows(page.strip_prefix("\u{feff}".as_bytes()).unwrap_or(&page));
    assert_eq!(
        column(&rows, "Email"),
        ["xia@example.com", "yann@example.com"]
    );

    // Excel and PDF, written to a buffer.
    let mut xlsx = Vec::new();
    let n = client
        .export_target_users(scope, every("Excel"), &mut xlsx)
        .await
        .expect("Excel export");
    assert_eq!(n, xlsx.len() as u64);
    let rows = xlsx_rows(xlsx);
    assert_eq!(rows[0], rollcall_server::export::TARGET_USER_COLUMNS);
    let emails: BTreeSet<&str> = column(&rows, "Email").into_iter().collect();
    assert_eq!(emails, users.values().copied().collect::<BTreeSet<_>>());
    let mut pdf = Vec::new();
    client
        .export_target_users(scope, every("PDF"), &mut pdf)
        .await
        .expect("PDF export");
    let doc = lopdf::Document::load_mem(&pdf).expect("a PDF file");
    assert!(!doc.get_pages().is_empty());

    // A bad export type is an error before any byte.
    let (message, _) = api_error(
        client
            .download_target_users(scope, every("Word"), &ExportOptions::default())
            .await,
        400,
        "INPUT_ERROR",
    );
    assert!(message.contains("exportType"), "{message}");

    // Companies: CSV and Excel, the same companies the search streams.
    let other = new_company(&client, None, "Export Co Two").await;
    let companies: BTreeSet<String> = client
        .search_companies(SearchRequest::default())
        .map_ok(|c| c.resource_id)
        .try_collect()
        .await
        .expect("companies");
    assert!(companies.contains(&company) && companies.contains(&other));
    let d = client
        .download_companies(
            every("CSV"),
            &ExportOptions {
                csv_bom: Some(false),
            },
        )
        .await
        .expect("companies CSV");
    assert_eq!(d.file_name.as_deref(), Some("Companies.csv"));
    let mut csv_file = Vec::new();
    d.write_to(&mut csv_file).await.expect("companies CSV body");
    let rows = csv_rows(&csv_file);
    assert_eq!(rows[0], rollcall_server::export::COMPANY_COLUMNS);
    let ids: BTreeSet<String> = column(&rows, "Resource Id")
        .into_iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(ids, companies);
    let i = column(&rows, "Resource Id")
        .iter()
        .position(|id| *id == company)
        .expect("Export Co's row");
    assert_eq!(column(&rows, "Company Name")[i], "Export Co");
    assert_eq!(column(&rows, "Active Users")[i], "3");
    let mut xlsx = Vec::new();
    let n = client
        .export_companies(every("Excel"), &mut xlsx)
        .await
        .expect("companies Excel");
    assert_eq!(n, xlsx.len() as u64);
    let rows = xlsx_rows(xlsx);
    assert_eq!(rows[0], rollcall_server::export::COMPANY_COLUMNS);
    let names: BTreeSet<&str> = column(&rows, "Company Name").into_iter().collect();
    assert_eq!(names, BTreeSet::from(["Export Co", "Export Co Two"]));

    // The import template: the importer's columns and one example row, in CSV and Excel alike,
    // and the example row is a user the API accepts.
    let mut template = Vec::new();
    let n = client
        .example_file(scope, "CSV", &mut template)
        .await
        .expect("CSV template");
    assert_eq!(n, template.len() as u64);
    let csv_template = csv_rows(
        template
            .strip_prefix("\u{feff}".as_bytes())
            .unwrap_or(&template),
    );
    assert_eq!(
        csv_template[0],
        rollcall_server::routes::target_users::TEMPLATE_COLUMNS
    );
    assert_eq!(csv_template.len(), 2, "a header and one example row");
    let mut xlsx = Vec::new();
    client
        .example_file(None, "Excel", &mut xlsx)
        .await
        .expect("Excel template");
    let xlsx_template = xlsx_rows(xlsx);
    // The same cells, except that CSV neutralises what a spreadsheet would run as a formula
    // (the phone number's leading '+').
    let neutralised: Vec<Vec<String>> = xlsx_template
        .iter()
        .map(|r| {
            r.iter()
                .map(|c| rollcall_server::export::neutralise(c).into_owned())
                .collect()
        })
        .collect();
    assert_eq!(neutralised, csv_template);
    let cell = |name: &str| Some(column(&xlsx_template, name)[0].to_owned());
    let example = TargetUserInput {
        email: cell("Email Address"),
        first_name: cell("First Name"),
        last_name: cell("Last Name"),
        phone_number: cell("Phone Number"),
        department: cell("Department"),
        time_zone_id: cell("Time Zone"),
        priority: cell("Priority"),
        manager_first_name: cell("Manager First Name"),
        manager_last_name: cell("Manager Last Name"),
        manager_email: cell("Manager Email"),
        ..TargetUserInput::default()
    };
    let id = client
        .create_target_user(scope, &example)
        .await
        .expect("the example row is a valid user")
        .resource_id;
    let u = client
        .get_target_user(scope, &id)
        .await
        .expect("example user");
    assert_eq!(Some(u.email), example.email);
    assert_eq!(Some(u.priority), example.priority);
    assert_eq!(u.manager_email, example.manager_email);
    api_error(
        client.example_file(scope, "PDF", &mut Vec::new()).await,
        400,
        "INPUT_ERROR",
    );
    s.finish().await;
}

/// A token refused in the middle of a session (the server restarted with another signing key
/// on the same address): the client fetches one new token and the call succeeds.
async fn token_refused_mid_session(engine: Engine) {
    let Some(s) = TestServer::start(engine).await else {
        return;
    };
    let client = root_client(&s);
    let company = new_company(&client, None, "Renewal Co").await;
    assert_eq!(client.token_fetches(), 1);
    let old = client.access_token().await.expect("the cached token");
    assert_eq!(client.token_fetches(), 1, "the cached token is reused");

    let s = s
        .restart_in_place_with(|c| {
            c.jwt_secret = Some("another-secret-of-at-least-32-characters!!".into());
        })
        .await;
    // The old token is refused now.
    let (status, raw) = s.get(&format!("/api/companies/{company}"), &old, &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{raw}");

    let c = client
        .get_company(&company)
        .await
        .expect("renewed and repeated");
    assert_eq!(c.name, "Renewal Co");
    assert_eq!(client.token_fetches(), 2, "one new token");
    let new = client.access_token().await.expect("the new token");
    assert_ne!(new, old);
    // A write with the new token, no further fetch.
    new_user(&client, &company, "after@restart.test", "Ops").await;
    assert_eq!(client.token_fetches(), 2);
    s.finish().await;
}

both_engines!(
    companies,
    api_clients,
    clients_stream,
    target_users,
    exports,
    token_refused_mid_session,
);
