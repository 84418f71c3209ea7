//! Schemathesis (PyPI `schemathesis`) against a real `termin serve`, on each backend: every
//! check, the examples, coverage, fuzzing and stateful phases, a bounded number of examples
//! and a fixed seed (so a run is repeatable). It must find nothing.
//!
//! Three passes, since the API has two kinds of caller: the API with a Platform API Key acting
//! as the owner (every operation but the dashboard's), the dashboard's operations with a
//! session, and `POST /auth/logout` with a session of its own (it ends the session the others
//! need). The configuration and why each setting is there: `tests/schemathesis/*.toml`.
//!
//! Schemathesis is found as `$TERMIN_SCHEMATHESIS` or `schemathesis` on the `PATH`; without it
//! the test says so and passes, unless `TERMIN_TEST_REQUIRE_SCHEMATHESIS=1` (as in CI, whose
//! `.ci/run` installs it). `TERMIN_SCHEMATHESIS_EXAMPLES` changes the examples per operation
//! (default 10) and `TERMIN_SCHEMATHESIS_SEED` the seed.

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

use crate::helpers::sqlite_url;
use crate::process::Server;

fn schemathesis() -> Option<PathBuf> {
    if let Ok(path) = std::env::var("TERMIN_SCHEMATHESIS") {
        return Some(PathBuf::from(path));
    }
    let found = Command::new("schemathesis")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if found {
        return Some(PathBuf::from("schemathesis"));
    }
    assert!(
        std::env::var("TERMIN_TEST_REQUIRE_SCHEMATHESIS").as_deref() != Ok("1"),
        "TERMIN_TEST_REQUIRE_SCHEMATHESIS=1 but schemathesis is not installed"
    );
    eprintln!("note: schemathesis is not installed; its run is skipped (pip install schemathesis)");
    None
}

fn config(name: &str) -> String {
    format!("{}/tests/schemathesis/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// What `serve --demo` printed: the Platform API Key, and the admin's e-mail and password.
struct Demo {
    api_key: String,
    admin_pat: String,
    admin_password: String,
}

fn demo(server: &Server) -> Demo {
    let lines = server.lines();
    let after = |marker: &str| {
        lines
            .iter()
            .find_map(|l| l.split_once(marker).map(|(_, rest)| rest.trim().to_owned()))
            .unwrap_or_else(|| panic!("serve --demo printed no {marker:?}: {lines:?}"))
    };
    let admin_line = after("admin@demo.termin.test");
    let admin_index = lines
        .iter()
        .position(|l| l.contains("admin@demo.termin.test"))
        .expect("the admin's line");
    Demo {
        api_key: after("Platform API Key (90 days):"),
        admin_pat: lines[admin_index + 1]
            .split_whitespace()
            .last()
            .expect("the admin's PAT")
            .to_owned(),
        admin_password: admin_line
            .split_whitespace()
            .last()
            .expect("the admin's password")
            .to_owned(),
    }
}

/// A dashboard session: its cookie's value and its CSRF token.
async fn login(client: &reqwest::Client, server: &Server, password: &str) -> (String, String) {
    let response = client
        .post(server.url("/auth/login"))
        .json(&serde_json::json!({ "email": "admin@demo.termin.test", "password": password }))
        .send()
        .await
        .expect("login");
    assert_eq!(response.status(), 200, "the demo admin could not log in");
    let cookie = response
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .and_then(|v| v.strip_prefix("termin_session="))
        .expect("a session cookie")
        .to_owned();
    let body: Value = response.json().await.expect("session JSON");
    (
        cookie,
        body["csrfToken"].as_str().expect("csrfToken").to_owned(),
    )
}

/// Runs one pass; panics with schemathesis's report when it finds anything.
fn run(st: &PathBuf, label: &str, config_file: &str, args: &[String], env: &[(&str, &str)]) {
    let examples =
        std::env::var("TERMIN_SCHEMATHESIS_EXAMPLES").unwrap_or_else(|_| "10".to_owned());
    let seed = std::env::var("TERMIN_SCHEMATHESIS_SEED").unwrap_or_else(|_| "1".to_owned());
    let report = tempfile::tempdir().expect("report dir");
    let output = Command::new(st)
        .arg("--config-file")
        .arg(config(config_file))
        .arg("run")
        .args([
            "--checks",
            "all",
            "--max-examples",
            &examples,
            "--seed",
            &seed,
        ])
        .arg("--no-color")
        .args(args)
        .envs(env.iter().copied())
        // Its cache and reports stay out of the repository.
        .current_dir(report.path())
        .output()
        .expect("run schemathesis");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let summary = stdout
        .lines()
        .rev()
        .find(|l| l.contains(" in ") && l.starts_with('='))
        .unwrap_or_default();
    eprintln!("schemathesis, {label}: {summary}");
    assert!(
        output.status.success(),
        "schemathesis found failures ({label}):\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

async fn against(url: &str, backend: &str) {
    let Some(st) = schemathesis() else {
        return;
    };
    let server = Server::start(
        url,
        &[
            ("TERMIN_DEMO", "true"),
            ("TERMIN_AUTH_FAILURE_LIMIT_PER_MINUTE", "1000000"),
        ],
    );
    let demo = demo(&server);
    let client = reqwest::Client::new();
    // The owner: the one user no request may delete, so the key acts as someone throughout.
    let users: Value = client
        .get(server.url("/v4/user"))
        .bearer_auth(&demo.admin_pat)
        .send()
        .await
        .expect("list users")
        .json()
        .await
        .expect("users JSON");
    let owner = users["users"]
        .as_array()
        .and_then(|u| u.iter().find(|u| u["role"] == "owner"))
        .and_then(|u| u["id"].as_str())
        .expect("the owner")
        .to_owned();
    // Both sessions first: the API pass tries many wrong passwords from this address, and the
    // login throttle would then hold these back.
    let (session, csrf) = login(&client, &server, &demo.admin_password).await;
    let (logout_session, logout_csrf) = login(&client, &server, &demo.admin_password).await;
    let spec = server.url("/openapi.json");

    run(
        &st,
        &format!("{backend}, API"),
        "schemathesis.toml",
        &[
            spec.clone(),
            "-H".into(),
            format!("Authorization: Bearer {}", demo.api_key),
            "-H".into(),
            format!("x-meetergo-api-user-id: {owner}"),
            "--exclude-tag".into(),
            "dashboard".into(),
        ],
        &[],
    );
    run(
        &st,
        &format!("{backend}, dashboard"),
        "dashboard.toml",
        &[
            spec.clone(),
            "-H".into(),
            format!("x-csrf-token: {csrf}"),
            "--include-tag".into(),
            "dashboard".into(),
            "--exclude-path".into(),
            "/auth/logout".into(),
        ],
        &[("TERMIN_SCHEMATHESIS_SESSION", &session)],
    );
    run(
        &st,
        &format!("{backend}, logout"),
        "dashboard.toml",
        &[
            spec,
            "-H".into(),
            format!("x-csrf-token: {logout_csrf}"),
            "--include-path".into(),
            "/auth/logout".into(),
        ],
        &[("TERMIN_SCHEMATHESIS_SESSION", &logout_session)],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_nothing_on_sqlite() {
    let (url, _dir) = sqlite_url();
    against(&url, "SQLite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_nothing_on_postgres() {
    if let Some(url) = crate::pg::fresh_database().await {
        against(&url, "PostgreSQL").await;
    }
}
