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

/// The row of `companies list --name NAME` whose name is exactly NAME, or Null.
async fn listed(s: &TestServer, name: &str) -> Value {
    let rows = s.run(&["companies", "list", "--name", name]).await.json();
    rows.as_array()
        .and_then(|a| a.iter().find(|c| c["companyName"] == name))
        .cloned()
        .unwrap_or(Value::Null)
}

async fn create_update_delete(engine: Engine) {
    let Some(s) = TestServer::start(engine).await else {
        return;
    };
    let token = s.root_token().await;

    // Create with licence fields, an industry by name (any case) and a tag.
    let created = s
        .run(&[
            "companies",
            "create",
            "--name",
            "Umbrella",
            "--users",
            "25",
            "--licence-end",
            "2030-01-31",
            "--industry",
            "healthcare",
            "--tag",
            "gold",
        ])
        .await
        .json();
    let id = created["resourceId"]
        .as_str()
        .expect("resourceId")
        .to_owned();
    let row = listed(&s, "Umbrella").await;
    assert_eq!(row["resourceId"], id.as_str(), "{row}");
    assert_eq!(row["numberOfUsers"], "25", "{row}");
    assert_eq!(row["isNumberOfUsersLimited"], true, "{row}");
    assert_eq!(row["industryName"], "Healthcare", "{row}");
    assert_eq!(row["tags"], json!(["gold"]), "{row}");
    assert!(
        row["licenseEndDate"]
            .as_str()
            .is_some_and(|d| d.starts_with("2030-01-31")),
        "{row}"
    );
    // An unknown industry is refused before anything is sent, with the near names.
    let bad = s
        .run(&["companies", "create", "--name", "X", "--industry", "health"])
        .await;
    bad.code(1);
    assert!(bad.stderr.contains("Healthcare"), "{bad:?}");

    // Below another company, named by name.
    let child = s
        .run(&[
            "companies",
            "create",
            "--name",
            "Umbrella East",
            "--parent",
            "Umbrella",
        ])
        .await
        .json();
    let child_id = child["resourceId"].as_str().expect("resourceId").to_owned();
    let (_, got) = s
        .get(&format!("/api/companies/{child_id}"), &token, &[])
        .await;
    assert_eq!(got["data"]["parentResourceId"], id.as_str(), "{got}");

    // Update by name: only the fields given change.
    let updated = s
        .run(&[
            "companies",
            "update",
            "Umbrella",
            "--name",
            "Umbrella Corp",
            "--unlimited",
        ])
        .await
        .json();
    assert_eq!(updated["resourceId"], id.as_str());
    assert_eq!(listed(&s, "Umbrella").await, Value::Null);
    let row = listed(&s, "Umbrella Corp").await;
    assert_eq!(row["isNumberOfUsersLimited"], false, "{row}");
    assert_eq!(row["industryName"], "Healthcare", "{row}");
    assert_eq!(row["tags"], json!(["gold"]), "{row}");
    assert!(
        row["licenseEndDate"]
            .as_str()
            .is_some_and(|d| d.starts_with("2030-01-31")),
        "{row}"
    );
    // And by id, in a table.
    let by_id = s
        .run(&[
            "companies",
            "update",
            &id,
            "--description",
            "-umbrella-",
            "--output",
            "table",
        ])
        .await;
    by_id.code(0);
    assert!(
        by_id
            .stdout
            .contains(&format!("Updated company Umbrella Corp ({id})")),
        "{by_id:?}"
    );
    let (_, got) = s.get(&format!("/api/companies/{id}"), &token, &[]).await;
    assert_eq!(got["data"]["description"], "-umbrella-", "{got}");

    // Delete without --yes, not on a terminal: refused, naming the company and its users.
    s.create_user(&token, &child_id, json!({"email": "a@east.test"}))
        .await;
    let refused = s.run(&["companies", "delete", "Umbrella East"]).await;
    refused.code(1);
    assert!(
        refused.stderr.contains("pass --yes")
            && refused.stderr.contains(&format!(
                "Umbrella East ({child_id}) with its 1 target user "
            )),
        "{refused:?}"
    );
    assert!(refused.stdout.is_empty(), "{refused:?}");
    assert_ne!(listed(&s, "Umbrella East").await, Value::Null);

    // A company that still has one below it is refused by the server.
    s.run(&["companies", "delete", "Umbrella Corp", "--yes"])
        .await
        .code(4);
    let gone = s
        .run(&["companies", "delete", &child_id, "--yes"])
        .await
        .json();
    assert_eq!(gone["resourceId"], child_id.as_str());
    s.run(&["companies", "delete", "Umbrella Corp", "--yes"])
        .await
        .code(0);
    let left = s.run(&["companies", "list", "--name", "Umbrella"]).await;
    assert_eq!(left.json(), json!([]), "{left:?}");
    // Deleting it again: not found.
    s.run(&["companies", "delete", &id, "--yes"]).await.code(3);
    s.finish().await;
}

/// On a terminal, `companies delete` asks, naming the company and its users; only a yes
/// deletes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    rollcall_no_script,
    ignore = "util-linux script is not installed: no pseudo-terminal"
)]
async fn delete_asks_on_a_terminal() {
    let Some(s) = TestServer::start(Engine::Sqlite).await else {
        return;
    };
    let token = s.root_token().await;
    let id = s
        .create_company(&token, None, json!({"name": "Tty Delete"}))
        .await;
    for i in 0..2 {
        s.create_user(&token, &id, json!({"email": format!("u{i}@tty.test")}))
            .await;
    }
    let Some((shown, code)) =
        crate::common::run_on_terminal(&s, &["companies", "delete", "Tty Delete"], "n\n").await
    else {
        return;
    };
    assert_eq!(code, 0, "{shown}");
    assert!(
        shown.contains(&format!(
            "Delete company Tty Delete ({id}) with its 2 target users"
        )) && shown.contains("Nothing deleted."),
        "{shown}"
    );
    assert_ne!(listed(&s, "Tty Delete").await, Value::Null);
    let (shown, code) =
        crate::common::run_on_terminal(&s, &["companies", "delete", "Tty Delete"], "y\n")
            .await
            .expect("script ran before");
    assert_eq!(code, 0, "{shown}");
    assert!(
        shown.contains(&format!("Deleted company Tty Delete ({id})")),
        "{shown}"
    );
    assert_eq!(listed(&s, "Tty Delete").await, Value::Null);
    s.finish().await;
}

both_engines!(name_resolution, companies_list, create_update_delete);
