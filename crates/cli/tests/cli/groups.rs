//! `rollcall groups ...`, `users list|export --group`, `rollcall fields ...` and `--field` against a
//! real server on both engines.

use crate::common::{Engine, TestServer};
use serde_json::{json, Value};

fn emails(v: &Value) -> Vec<String> {
    let mut out: Vec<String> = v
        .as_array()
        .unwrap_or_else(|| panic!("not an array: {v}"))
        .iter()
        .map(|r| r["email"].as_str().unwrap_or_default().to_owned())
        .collect();
    out.sort();
    out
}

async fn groups_end_to_end(engine: Engine) {
    let Some(s) = TestServer::start(engine).await else {
        return;
    };
    let token = s.root_token().await;
    let company = s
        .create_company(&token, None, json!({"name": "Globex"}))
        .await;
    let mut ids = Vec::new();
    for (i, dept) in ["Sales", "Sales", "Ops", "Sales"].iter().enumerate() {
        ids.push(
            s.create_user(
                &token,
                &company,
                json!({"email": format!("u{i}@globex.test"), "department": dept}),
            )
            .await,
        );
    }

    // create, then names resolve in any case; a bad priority is refused before any request.
    let created = s
        .run(&[
            "groups",
            "create",
            "--company",
            "Globex",
            "--name",
            "Pilot",
            "--priority",
            "High",
        ])
        .await
        .json();
    let pilot = created["resourceId"].as_str().expect("id").to_owned();
    s.run(&["groups", "create", "--company", "Globex", "--name", "Empty"])
        .await
        .code(0);
    let bad = s
        .run(&[
            "groups",
            "create",
            "--company",
            "Globex",
            "--name",
            "X",
            "--priority",
            "urgent",
        ])
        .await;
    assert_ne!(bad.code, 0, "{bad:?}");
    assert!(
        bad.stderr.contains("VeryHigh"),
        "the valid values are listed: {bad:?}"
    );

    // add by filter (every Sales user but one), then one more by id.
    s.run(&[
        "groups",
        "add",
        "--company",
        "Globex",
        "pilot",
        "--where",
        "Department",
        "=",
        "Sales",
        "--except",
        &ids[3],
    ])
    .await
    .code(0);
    s.run(&[
        "groups",
        "add",
        "--company",
        "Globex",
        &pilot,
        "--user",
        &ids[2],
    ])
    .await
    .code(0);
    let members = s
        .run(&["groups", "members", "--company", "Globex", "Pilot"])
        .await
        .json();
    assert_eq!(
        emails(&members),
        ["u0@globex.test", "u1@globex.test", "u2@globex.test"]
    );
    let outside = s
        .run(&[
            "groups",
            "members",
            "--company",
            "Globex",
            "Pilot",
            "--outside",
        ])
        .await
        .json();
    assert_eq!(emails(&outside), ["u3@globex.test"]);
    let listed = s
        .run(&["users", "list", "--company", "Globex", "--group", "PILOT"])
        .await
        .json();
    assert_eq!(emails(&listed), emails(&members));

    // list shows the counts; remove takes one out.
    let list = s
        .run(&["groups", "list", "--company", "Globex"])
        .await
        .json();
    let row = list
        .as_array()
        .expect("rows")
        .iter()
        .find(|g| g["name"] == "Pilot")
        .expect("Pilot")
        .clone();
    assert_eq!(row["userCount"], 3, "{list}");
    assert_eq!(row["priority"], "High", "{list}");
    s.run(&[
        "groups",
        "remove",
        "--company",
        "Globex",
        "Pilot",
        "--user",
        &ids[0],
    ])
    .await
    .code(0);

    // export --group: only the members, whatever the format.
    let out = s.file("pilot.csv");
    s.run(&[
        "users",
        "export",
        "--company",
        "Globex",
        "--group",
        "Pilot",
        "--format",
        "csv",
        "-o",
        &out.display().to_string(),
    ])
    .await
    .code(0);
    let text = std::fs::read_to_string(&out).expect("csv");
    for (email, want) in [
        ("u0@globex.test", false),
        ("u1@globex.test", true),
        ("u2@globex.test", true),
        ("u3@globex.test", false),
    ] {
        assert_eq!(text.contains(email), want, "{email}: {text}");
    }

    // an unknown group is a not-found listing the near names; delete resolves every name first.
    let unknown = s
        .run(&["groups", "members", "--company", "Globex", "Pil"])
        .await;
    assert_ne!(unknown.code, 0);
    assert!(unknown.stderr.contains("Pilot"), "{unknown:?}");
    let partial = s
        .run(&["groups", "delete", "--company", "Globex", "Empty", "Nope"])
        .await;
    assert_ne!(partial.code, 0, "{partial:?}");
    let still = s
        .run(&["groups", "list", "--company", "Globex"])
        .await
        .json();
    assert_eq!(
        still.as_array().map(Vec::len),
        Some(2),
        "nothing deleted: {still}"
    );
    s.run(&["groups", "delete", "--company", "Globex", "Empty", "Pilot"])
        .await
        .code(0);
    let gone = s
        .run(&["groups", "list", "--company", "Globex"])
        .await
        .json();
    assert_eq!(gone.as_array().map(Vec::len), Some(0), "{gone}");
    // the users stay.
    let users = s
        .run(&["users", "list", "--company", "Globex"])
        .await
        .json();
    assert_eq!(users.as_array().map(Vec::len), Some(4));
}

both_engines!(groups_end_to_end);

async fn custom_fields_end_to_end(engine: Engine) {
    let Some(s) = TestServer::start(engine).await else {
        return;
    };
    let token = s.root_token().await;
    s.create_company(&token, None, json!({"name": "Initech"}))
        .await;
    s.run(&[
        "fields",
        "create",
        "--company",
        "Initech",
        "--name",
        "Office",
        "--type",
        "string",
    ])
    .await
    .code(0);
    s.run(&[
        "fields",
        "create",
        "--company",
        "Initech",
        "--name",
        "Level",
        "--type",
        "Number",
        "--sort-order",
        "-1",
    ])
    .await
    .code(0);
    let bad = s
        .run(&[
            "fields",
            "create",
            "--company",
            "Initech",
            "--name",
            "X",
            "--type",
            "money",
        ])
        .await;
    assert_ne!(bad.code, 0, "{bad:?}");
    assert!(
        bad.stderr.contains("DateTime"),
        "the valid types are listed: {bad:?}"
    );
    let list = s
        .run(&["fields", "list", "--company", "Initech"])
        .await
        .json();
    let names: Vec<&str> = list
        .as_array()
        .expect("rows")
        .iter()
        .map(|f| f["name"].as_str().expect("name"))
        .collect();
    assert_eq!(names, ["Level", "Office"], "by sort order: {list}");

    let added = s
        .run(&[
            "users",
            "add",
            "--company",
            "Initech",
            "--email",
            "p@initech.test",
            "--field",
            "office=Austin",
            "--field",
            "Level=2",
        ])
        .await
        .json();
    let id = added["resourceId"].as_str().expect("id").to_owned();
    let got = s
        .run(&["users", "get", "--company", "Initech", &id])
        .await
        .json();
    let values: Vec<(String, String)> = got["customFieldValues"]
        .as_array()
        .expect("values")
        .iter()
        .map(|v| {
            (
                v["name"].as_str().unwrap_or_default().to_owned(),
                v["value"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        values,
        [
            ("Level".to_owned(), "2".to_owned()),
            ("Office".to_owned(), "Austin".to_owned())
        ]
    );
    // A wrong value is the server's 400, naming the field; a bad pair is refused locally.
    let wrong = s
        .run(&[
            "users",
            "update",
            "--company",
            "Initech",
            &id,
            "--field",
            "Level=high",
        ])
        .await;
    assert_ne!(wrong.code, 0);
    assert!(wrong.stderr.contains("Level"), "{wrong:?}");
    let pair = s
        .run(&[
            "users",
            "update",
            "--company",
            "Initech",
            &id,
            "--field",
            "Level",
        ])
        .await;
    assert_ne!(pair.code, 0);
    assert!(pair.stderr.contains("NAME=VALUE"), "{pair:?}");
}

both_engines!(custom_fields_end_to_end);
