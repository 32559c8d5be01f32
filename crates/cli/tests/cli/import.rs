//! `rollcall users import` against a real server on both engines: the mapping guessed from the
//! headers and said, a custom field and a group by name, the preview's problems and the errors
//! file, `--dry-run`, `--yes` off a terminal, `--only-new`, and exit code 6 when rows were left
//! out.

use crate::common::{Engine, Run, TestServer};
use serde_json::json;

/// `rollcall users import --company Initech ARGS`.
async fn import(s: &TestServer, args: &[&str]) -> Run {
    let mut all = vec!["users", "import", "--company", "Initech"];
    all.extend_from_slice(args);
    s.run(&all).await
}

async fn import_from_the_cli(engine: Engine) {
    let Some(s) = TestServer::start(engine).await else {
        return;
    };
    let token = s.root_token().await;
    let company = s
        .create_company(&token, None, json!({"name": "Initech"}))
        .await;
    s.create_user(
        &token,
        &company,
        json!({"email": "peter@initech.test", "department": "Before"}),
    )
    .await;
    s.run(&[
        "groups",
        "create",
        "--company",
        "Initech",
        "--name",
        "Imported",
    ])
    .await
    .code(0);
    s.run(&[
        "fields",
        "create",
        "--company",
        "Initech",
        "--name",
        "Floor",
        "--type",
        "number",
    ])
    .await
    .code(0);
    let file = s.file("staff.csv");
    std::fs::write(
        &file,
        "Email Address,First Name,Department,Level\n\
         peter@initech.test,Peter,Software,4\n\
         milton@initech.test,Milton,Basement,B2\n\
         samir@initech.test,Samir,Software,4\n\
         not an email,Bob,,\n",
    )
    .expect("write");
    let path = file.display().to_string();

    // Off a terminal, nothing is imported without --yes.
    let refused = import(&s, &[&path]).await;
    refused.code(1);
    assert!(refused.stderr.contains("--yes"), "{refused:?}");

    // A dry run says what it would do and where the problems are (Level has no field of that
    // name: the headers map Email, First Name and Department).
    let dry = import(&s, &[&path, "--dry-run"]).await;
    dry.code(6);
    assert!(
        dry.stderr
            .contains("4 rows: 2 new, 1 existing, 1 with problems"),
        "{dry:?}"
    );
    assert!(dry.stderr.contains("Dry run: nothing imported."), "{dry:?}");
    assert!(
        dry.stderr.contains("row 4 (not an email): Email:"),
        "{dry:?}"
    );
    let (st, users) = s
        .post(
            "/api/target-users/search",
            &token,
            json!({"pageNumber": 1, "pageSize": 50}),
            &[("X-KEEPNET-Company-Id", company.as_str())],
        )
        .await;
    assert_eq!(st, reqwest::StatusCode::OK);
    assert_eq!(
        users["data"]["totalNumberOfRecords"], 1,
        "a dry run imports nothing"
    );

    // Milton's floor is not a number: with Level mapped to Floor his row has a problem too.
    let mapped = import(
        &s,
        &[
            &path,
            "--map",
            "Email Address=Email",
            "--map",
            "Level=floor",
            "--dry-run",
        ],
    )
    .await;
    mapped.code(6);
    assert!(
        mapped
            .stderr
            .contains("row 2 (milton@initech.test): Floor:"),
        "{mapped:?}"
    );
    std::fs::write(
        &file,
        "Email Address,First Name,Department,Level\n\
         peter@initech.test,Peter,Software,4\n\
         milton@initech.test,Milton,Basement,2\n\
         samir@initech.test,Samir,Software,4\n\
         not an email,Bob,,\n",
    )
    .expect("write");
    let errors = s.file("problems.csv");
    let run = import(
        &s,
        &[
            &path,
            "--map",
            "Email Address=Email",
            "--map",
            "Department=department",
            "--map",
            "Level=Floor",
            "--group",
            "imported",
            "--yes",
            "--errors",
            &errors.display().to_string(),
        ],
    )
    .await;
    run.code(6);
    assert!(
        run.stderr
            .contains("Imported into Initech: 2 created, 1 updated, 1 not imported"),
        "{run:?}"
    );
    let text = std::fs::read_to_string(&errors).expect("errors file");
    assert!(text.starts_with("Row,Email,Field,Message"), "{text}");
    assert!(text.contains("4,not an email,Email,"), "{text}");

    let listed = s
        .run(&[
            "users",
            "list",
            "--company",
            "Initech",
            "--group",
            "Imported",
            "--output",
            "json",
        ])
        .await
        .json();
    let mut emails: Vec<&str> = listed
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| r["email"].as_str().unwrap_or_default())
        .collect();
    emails.sort_unstable();
    assert_eq!(
        emails,
        [
            "milton@initech.test",
            "peter@initech.test",
            "samir@initech.test"
        ]
    );
    let peter = listed
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["email"] == "peter@initech.test")
        .expect("peter")
        .clone();
    assert_eq!(
        peter["department"], "Software",
        "the existing user is updated"
    );
    assert_eq!(peter["customFieldValues"][0]["value"], "4");

    // --only-new with the mapping guessed from the headers (and said): nobody new, nothing
    // changes, no problem rows.
    let again = s.file("again.csv");
    std::fs::write(&again, "email,department\npeter@initech.test,Changed\n").expect("write");
    let run = import(&s, &[&again.display().to_string(), "--only-new", "--yes"]).await;
    run.code(0);
    assert!(
        run.stderr
            .contains("Columns mapped from their headers (use --map COLUMN=FIELD to choose): email -> Email, department -> Department."),
        "{run:?}"
    );
    assert!(run.stderr.contains("Nothing to import."), "{run:?}");
}

both_engines!(import_from_the_cli);
