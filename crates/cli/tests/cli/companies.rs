//! `rollcall companies list` and `--company` name resolution, against a real server on both
//! engines.

use crate::common::{Engine, TestServer};
use serde_json::{json, Value};

/// Creates the companies of the name-resolution tests; returns (name, id) pairs.
async fn seed(s: &TestServer, token: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (name, extra) in [
        ("Acme Logistics", json!({})),
        // Same name in another case: exact-case lookups tell them apart, any-case ones cannot.
        ("acme logistics", json!({})),
        ("Globex", json!({"numberOfUsers": 1})),
        ("Globex Health", json!({"licenseEndDate": "2020-01-01"})),
        ("Initech", json!({})),
    ] {
        let mut body = json!({"name": name});
        if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            b.extend(e.clone());
        }
        let id = s.create_company(token, None, body).await;
        // One user per company, named after it, so that a listing shows which company it hit.
        let slug = name.to_lowercase().replace(' ', "-");
        let case = if name.starts_with('a') {
            "lower"
        } else {
            "upper"
        };
        s.create_user(
            token,
            &id,
            json!({"email": format!("{case}@{slug}.test"), "firstName": name}),
        )
        .await;
        out.push((name.to_owned(), id));
    }
    // Globex (licence of 1) gets a second active user: over its limit.
    s.create_user(token, &out[2].1, json!({"email": "second@globex.test"}))
        .await;
    out
}

fn emails(v: &Value) -> Vec<String> {
    let mut e: Vec<String> = v
        .as_array()
        .unwrap_or_else(|| panic!("not an array: {v}"))
        .iter()
        .map(|u| u["email"].as_str().unwrap_or_default().to_owned())
        .collect();
    e.sort();
    e
}

async fn name_resolution(engine: Engine) {
    let Some(s) = TestServer::start(engine).await else {
        return;
    };
    let token = s.root_token().await;
    let companies = seed(&s, &token).await;
    let list = |company: &str| {
        let company = company.to_owned();
        let s = &s;
        async move { s.run(&["users", "list", "--company", &company]).await }
    };

    // An exact name, even when a longer name contains it.
    assert_eq!(
        emails(&list("Globex").await.json()),
        ["second@globex.test", "upper@globex.test"]
    );
    // Any case, when only one company has that name.
    assert_eq!(
        emails(&list("initech").await.json()),
        ["upper@initech.test"]
    );
    assert_eq!(
        emails(&list("GLOBEX HEALTH").await.json()),
        ["upper@globex-health.test"]
    );
    // Exact case wins over a same-name-other-case company.
    assert_eq!(
        emails(&list("acme logistics").await.json()),
        ["lower@acme-logistics.test"]
    );
    assert_eq!(
        emails(&list("Acme Logistics").await.json()),
        ["upper@acme-logistics.test"]
    );
    // Ambiguous: exit 3 and both candidates listed with their ids.
    let amb = list("ACME LOGISTICS").await;
    amb.code(3);
    assert!(amb.stderr.contains("matches 2 companies"), "{amb:?}");
    for (name, id) in &companies[..2] {
        assert!(
            amb.stderr.contains(&format!("{name} ({id})")),
            "{name} missing: {amb:?}"
        );
    }
    assert!(amb.stdout.is_empty());
    // An id.
    let by_id = list(&companies[4].1).await;
    assert_eq!(emails(&by_id.json()), ["upper@initech.test"]);
    // Not found: exit 3, with the names that contain the text as suggestions.
    let partial = list("Glob").await;
    partial.code(3);
    assert!(
        partial.stderr.contains("no company is named 'Glob'")
            && partial
                .stderr
                .contains(&format!("Globex ({})", companies[2].1))
            && partial
                .stderr
                .contains(&format!("Globex Health ({})", companies[3].1)),
        "{partial:?}"
    );
    let none = list("Umbrella").await;
    none.code(3);
    assert!(none.stderr.contains("no company"), "{none:?}");
    // A well-formed id nobody has: not found either.
    list("ZZZZZZZZZZZZ").await.code(3);
    // The caller's own company resolves by name too (it is not in companies/search).
    let own = list("rollcall").await;
    assert_eq!(own.json(), json!([]), "{own:?}");
    s.finish().await;
}

async fn companies_list(engine: Engine) {
    let Some(s) = TestServer::start(engine).await else {
        return;
    };
    let token = s.root_token().await;
    let companies = seed(&s, &token).await;
    let names = |v: &Value| -> Vec<String> {
        v.as_array()
            .unwrap_or_else(|| panic!("{v}"))
            .iter()
            .map(|c| c["companyName"].as_str().unwrap_or_default().to_owned())
            .collect()
    };

    let all = s.run(&["companies", "list"]).await.json();
    assert_eq!(all.as_array().map(Vec::len), Some(5), "{all}");
    // Rows carry the id under both names, and the counts.
    let globex = all
        .as_array()
        .and_then(|a| a.iter().find(|c| c["companyName"] == "Globex"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(globex["companyResourceId"], companies[2].1.as_str());
    assert_eq!(globex["resourceId"], companies[2].1.as_str());
    assert_eq!(globex["targetUserCount"], 2);

    let by_name = s.run(&["companies", "list", "--name", "glob"]).await.json();
    assert_eq!(names(&by_name), ["Globex", "Globex Health"]);
    let exceeding = s
        .run(&["companies", "list", "--exceeding-limit"])
        .await
        .json();
    assert_eq!(names(&exceeding), ["Globex"]);
    let expired = s.run(&["companies", "list", "--expired"]).await.json();
    assert_eq!(names(&expired), ["Globex Health"]);

    // A table when asked for one: header and aligned columns.
    let table = s
        .run(&["companies", "list", "--name", "glob", "--output", "table"])
        .await;
    table.code(0);
    let lines: Vec<&str> = table.stdout.lines().collect();
    assert!(
        lines[0].contains("Company") && lines[0].contains("Resource Id"),
        "{table:?}"
    );
    let globex_line = lines
        .iter()
        .find(|l| l.contains(&companies[2].1))
        .unwrap_or_else(|| panic!("{table:?}"));
    let health_line = lines
        .iter()
        .find(|l| l.contains(&companies[3].1))
        .unwrap_or_else(|| panic!("{table:?}"));
    assert_eq!(
        globex_line.find(&companies[2].1),
        health_line.find(&companies[3].1),
        "ids line up: {table:?}"
    );
    assert!(
        health_line.contains("unlimited") && health_line.contains("yes"),
        "{health_line}"
    );
    s.finish().await;
}

both_engines!(name_resolution, companies_list);
