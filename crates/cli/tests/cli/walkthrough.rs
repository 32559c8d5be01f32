//! The README's CLI walkthrough, read from the README itself and run line by line against a
//! `--demo` server, on both engines: every command succeeds and says what the API says. When
//! the README changes, this test runs the new commands.

use std::collections::BTreeMap;

use crate::common::{Engine, Run, TestServer, SCOPE};
use crate::users::{read_csv, xlsx_sheets};
use serde_json::{json, Value};

const README: &str = include_str!("../../../../README.md");
const SECTION: &str = "## Walkthrough: the same with the `rollcall` CLI";

/// The `rollcall ...` lines of the walkthrough's first shell block, as argument lists (without
/// the program name and without trailing comments).
fn walkthrough_commands() -> Vec<Vec<String>> {
    let section = README
        .split_once(SECTION)
        .map(|(_, rest)| rest)
        .expect("the README has the CLI walkthrough");
    let block = section
        .split_once("```sh\n")
        .and_then(|(_, rest)| rest.split_once("```"))
        .map(|(block, _)| block)
        .expect("a sh block in the walkthrough");
    block
        .lines()
        .filter(|l| l.starts_with("rollcall "))
        .map(|l| {
            let words = shlex::split(l).unwrap_or_else(|| panic!("not shell words: {l}"));
            words
                .into_iter()
                .skip(1)
                .take_while(|w| !w.starts_with('#'))
                .collect()
        })
        .collect()
}

/// The value after `flag` in `args`.
fn flag<'a>(args: &'a [String], name: &str) -> Option<&'a str> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(String::as_str)
}

/// The companies the root manages (only those over their licence with `over`), by name, with
/// their search rows.
async fn companies(s: &TestServer, token: &str, over: bool) -> BTreeMap<String, Value> {
    let (status, body) = s
        .post(
            "/api/companies/search",
            token,
            json!({"pageNumber": 1, "pageSize": 100, "isTargetUserCountExceededLimit": over}),
            &[],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body["data"]["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| {
            (
                r["companyName"].as_str().unwrap_or_default().to_owned(),
                r.clone(),
            )
        })
        .collect()
}

/// Every user of a company, deleted ones included (exports list them, with a Deleted column),
/// from its count summary.
async fn users_of(s: &TestServer, token: &str, company: &str) -> usize {
    let c = s.count_summary(token, company).await;
    let n = c["totalNumberOfActiveUsers"].as_u64().unwrap_or_default()
        + c["totalNumberOfInActiveUsers"].as_u64().unwrap_or_default()
        + c["totalNumberOfDeletedUsers"].as_u64().unwrap_or_default();
    usize::try_from(n).expect("a count")
}

async fn readme_walkthrough(engine: Engine) {
    let commands = walkthrough_commands();
    assert!(
        commands.len() >= 8,
        "the walkthrough lists its commands: {commands:?}"
    );
    let Some(s) = TestServer::start_with(engine, |c| c.demo = true).await else {
        return;
    };
    let token = s.root_token().await;
    let all = companies(&s, &token, false).await;
    let over = companies(&s, &token, true).await;
    assert!(all.len() >= 4, "demo customers: {:?}", all.keys());
    let id_of = |name: &str| -> String {
        all.iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .and_then(|(_, r)| r["resourceId"].as_str())
            .unwrap_or_else(|| panic!("no company {name}"))
            .to_owned()
    };
    let mut every_user = 0;
    for name in all.keys() {
        every_user += users_of(&s, &token, &id_of(name)).await;
    }

    for args in &commands {
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let run: Run = s.run(&argv).await;
        assert_eq!(run.code, 0, "rollcall {}: {run:?}", args.join(" "));
        let what = format!("rollcall {}", args.join(" "));
        match (argv[0], argv[1]) {
            ("companies", "list") => {
                let rows = run.json();
                let names: Vec<&str> = rows
                    .as_array()
                    .expect("rows")
                    .iter()
                    .filter_map(|r| r["companyName"].as_str())
                    .collect();
                if argv.contains(&"--exceeding-limit") {
                    assert!(
                        !names.is_empty(),
                        "{what}: the demo has one over its licence"
                    );
                    let mut names = names.clone();
                    names.sort();
                    assert_eq!(
                        names,
                        over.keys().map(String::as_str).collect::<Vec<_>>(),
                        "{what}"
                    );
                } else {
                    let mut names = names.clone();
                    names.sort();
                    assert_eq!(
                        names,
                        all.keys().map(String::as_str).collect::<Vec<_>>(),
                        "{what}"
                    );
                }
            }
            ("users", "list") => {
                let rows = run.json();
                let rows = rows.as_array().expect("rows");
                assert!(!rows.is_empty(), "{what}: the demo data has matches");
                if let Some(limit) = flag(args, "--limit") {
                    assert!(rows.len() <= limit.parse().expect("limit"), "{what}");
                }
                if flag(args, "--status") == Some("active") {
                    assert!(
                        rows.iter().all(|r| r["status"] == "Active"),
                        "{what}: {rows:?}"
                    );
                }
                if flag(args, "--sort") == Some("LastName") {
                    let last: Vec<String> = rows
                        .iter()
                        .map(|r| r["lastName"].as_str().unwrap_or_default().to_owned())
                        .collect();
                    let mut sorted = last.clone();
                    sorted.sort_by_key(|n| n.to_lowercase());
                    assert_eq!(
                        last.iter().map(|n| n.to_lowercase()).collect::<Vec<_>>(),
                        sorted.iter().map(|n| n.to_lowercase()).collect::<Vec<_>>(),
                        "{what}"
                    );
                }
                if let Some(i) = args.iter().position(|a| a == "--where") {
                    let (field, value) = (&args[i + 1], args[i + 3].to_lowercase());
                    let key = format!("{}{}", field[..1].to_lowercase(), &field[1..]);
                    assert!(
                        rows.iter().all(|r| r[&key]
                            .as_str()
                            .is_some_and(|v| v.to_lowercase().contains(&value))),
                        "{what}: {rows:?}"
                    );
                }
            }
            ("users", "export") => {
                let file = s.home.path().join(flag(args, "-o").expect("-o"));
                let (format, single) = (
                    flag(args, "--format").expect("--format"),
                    flag(args, "--company"),
                );
                let want = match single {
                    Some(name) => users_of(&s, &token, &id_of(name)).await,
                    None => every_user,
                };
                let rows = match format {
                    "csv" => read_csv(&file).len() - 1,
                    "xlsx" => xlsx_sheets(&file).iter().map(|sheet| sheet.len() - 1).sum(),
                    other => panic!("{what}: the test does not read {other}"),
                };
                assert_eq!(rows, want, "{what}: one row per user");
            }
            ("users", "count") => {
                let report = run.json();
                let rows = report["companies"].as_array().expect("companies");
                let mut active = 0;
                for row in rows {
                    let id = row["companyResourceId"].as_str().expect("id");
                    let summary = s.count_summary(&token, id).await;
                    assert_eq!(row["active"], summary["totalNumberOfActiveUsers"], "{what}");
                    assert_eq!(
                        row["inactive"], summary["totalNumberOfInActiveUsers"],
                        "{what}"
                    );
                    assert_eq!(
                        row["deleted"], summary["totalNumberOfDeletedUsers"],
                        "{what}"
                    );
                    active += row["active"].as_i64().expect("active");
                }
                let want = if flag(args, "--company").is_some() {
                    1
                } else {
                    all.len()
                };
                assert_eq!(rows.len(), want, "{what}");
                assert_eq!(report["totals"]["active"], active, "{what}");
            }
            other => panic!("the test does not know how to check {other:?}"),
        }
    }
    // The scope header name the README's curl walkthrough uses is the one the server reads.
    assert!(README.contains(SCOPE));
    s.finish().await;
}

both_engines!(readme_walkthrough);
