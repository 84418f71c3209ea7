//! Tests of the real binary: the operator CLI, request logs, graceful shutdown, and several
//! nodes on one PostgreSQL database.

use std::sync::Arc;

use serde_json::{json, Value};
use termin_domain::tenancy::Plan;

use crate::helpers::{sqlite_url, Auth, TestApp};
use crate::process::{cli, cli_json, get_status, Server};

/// The operator CLI works against the database a server uses, while it runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_operator_cli_manages_companies_users_and_credentials() {
    let (url, _dir) = sqlite_url();
    let company = cli_json(
        &url,
        &[
            "company",
            "create",
            "--name",
            "Acme",
            "--owner-email",
            "boss@acme.test",
        ],
        None,
    );
    let company_id = company["companyId"].as_str().unwrap().to_owned();
    assert_eq!(company["plan"], "platform");
    let admin = cli_json(
        &url,
        &[
            "user",
            "create",
            "--company",
            &company_id,
            "--email",
            "ops@acme.test",
            "--role",
            "admin",
            "--password-stdin",
        ],
        Some("a long enough password\n"),
    );
    assert_eq!(admin["role"], "admin");
    let token = cli_json(
        &url,
        &[
            "token",
            "create",
            "--user",
            "ops@acme.test",
            "--name",
            "sync",
            "--expires-in-days",
            "30",
            "--scope",
            "account",
        ],
        None,
    );
    let pat = token["secret"].as_str().unwrap().to_owned();
    assert!(pat.starts_with("rgo-"));
    assert_eq!(token["scopes"], serde_json::json!(["account"]));
    let key = cli_json(
        &url,
        &[
            "api-key",
            "create",
            "--company",
            &company_id,
            "--name",
            "platform",
            "--expires-in-days",
            "7",
        ],
        None,
    );
    let key = key["secret"].as_str().unwrap().to_owned();

    let server = Server::start(&url, &[]);
    let client = reqwest::Client::new();
    assert_eq!(
        get_status(&client, &server.url("/v4/user/me"), &pat).await,
        200
    );
    assert_eq!(
        get_status(&client, &server.url("/v4/user/me"), &key).await,
        200
    );

    let revoked = cli_json(
        &url,
        &["token", "revoke", token["id"].as_str().unwrap()],
        None,
    );
    assert_eq!(revoked["state"], "revoked");
    assert_eq!(
        get_status(&client, &server.url("/v4/user/me"), &pat).await,
        401
    );

    // The password set through stdin logs in.
    let app = TestApp::with_url(url.clone(), None, crate::helpers::test_config()).await;
    let login = app
        .call(
            axum::http::Method::POST,
            "/auth/login",
            &Auth::None,
            Some(
                serde_json::json!({"email": "ops@acme.test", "password": "a long enough password"}),
            ),
        )
        .await;
    login.assert_status(200);

    // Bad input is an error with a message, not a crash.
    let bad = cli(
        &url,
        &[
            "user",
            "create",
            "--company",
            &company_id,
            "--email",
            "x",
            "--role",
            "admin",
        ],
        None,
    );
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--email"));
    let bad = cli(&url, &["company", "set-plan", &company_id, "gold"], None);
    assert!(String::from_utf8_lossy(&bad.stderr).contains("must be one of"));
}

/// No secret reaches a log line: create a token, use it, fail with it, revoke it, log in with a
/// password; then search everything the server printed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_logs_never_contain_a_secret() {
    let (url, _dir) = sqlite_url();
    let company = cli_json(
        &url,
        &[
            "company",
            "create",
            "--name",
            "Acme",
            "--owner-email",
            "boss@acme.test",
            "--password-stdin",
        ],
        Some("the owner's password\n"),
    );
    let company_id = company["companyId"].as_str().unwrap().to_owned();
    let pat = cli_json(
        &url,
        &["token", "create", "--user", "boss@acme.test", "--name", "t"],
        None,
    )["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    let key = cli_json(
        &url,
        &[
            "api-key",
            "create",
            "--company",
            &company_id,
            "--name",
            "k",
            "--expires-in-days",
            "7",
        ],
        None,
    )["secret"]
        .as_str()
        .unwrap()
        .to_owned();

    let mut server = Server::start(
        &url,
        &[("RUST_LOG", "debug"), ("TERMIN_LOG_FORMAT", "json")],
    );
    let client = reqwest::Client::new();
    assert_eq!(
        get_status(&client, &server.url("/v4/user/me"), &pat).await,
        200
    );
    assert_eq!(
        get_status(&client, &server.url("/v4/user/me"), &key).await,
        200
    );
    // The last character changed (to one it is not), so the checksum no longer matches.
    let last = if pat.ends_with('0') { '1' } else { '0' };
    let tampered = format!("{}{last}", &pat[..pat.len() - 1]);
    assert_eq!(
        get_status(&client, &server.url("/v4/user/me"), &tampered).await,
        401
    );
    let login = client
        .post(server.url("/auth/login"))
        .json(&serde_json::json!({"email": "boss@acme.test", "password": "the owner's password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200);
    let cookie = login.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let session_secret = cookie.trim_start_matches("termin_session=").to_owned();
    let listed = client
        .get(server.url("/auth/tokens"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    let listed = listed.text().await.unwrap();
    assert!(
        !listed.contains(&pat),
        "a later response contained the token"
    );
    let bad_login = client
        .post(server.url("/auth/login"))
        .json(&serde_json::json!({"email": "boss@acme.test", "password": "a wrong password!"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad_login.status(), 401);
    cli_json(&url, &["token", "revoke", &listed_id(&listed)], None);
    let revoked = client
        .get(server.url("/v4/user/me"))
        .bearer_auth(&pat)
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 401);
    assert!(
        !revoked.text().await.unwrap().contains(&pat),
        "an error body contained the token"
    );

    assert!(
        server.terminate().success(),
        "graceful shutdown on SIGTERM exits 0"
    );
    let lines = server.lines();
    let requests = lines.iter().filter(|l| l.contains("\"route\"")).count();
    assert!(requests >= 6, "expected request log lines, got: {lines:#?}");
    for secret in [
        &pat,
        &key,
        &tampered,
        &session_secret,
        &"the owner's password".to_owned(),
        &"a wrong password!".to_owned(),
    ] {
        for line in &lines {
            assert!(
                !line.contains(secret.as_str()),
                "a log line contains a secret: {line}"
            );
        }
    }
}

fn listed_id(list: &str) -> String {
    let list: serde_json::Value = serde_json::from_str(list).unwrap();
    list[0]["id"].as_str().unwrap().to_owned()
}

/// Two `termin serve` processes on one PostgreSQL database, started at the same moment (so
/// their migrations race): a PAT stops on both at the very next request after revocation,
/// expiry, owner deactivation and owner removal.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pat_stops_on_every_node_at_the_next_request() {
    let Some(url) = crate::pg::fresh_database().await else {
        return;
    };
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| Server::start(&url, &[]));
        let b = s.spawn(|| Server::start(&url, &[]));
        (a.join().unwrap(), b.join().unwrap())
    });
    let app = TestApp::with_url(url.clone(), None, crate::helpers::test_config()).await;
    let c = app.company(Plan::Platform).await;
    let client = reqwest::Client::new();
    let both = |pat: String| {
        let client = client.clone();
        let urls = [a.url("/v4/user/me"), b.url("/v4/user/me")];
        async move {
            let mut out = Vec::new();
            for u in urls {
                out.push(get_status(&client, &u, &pat).await);
            }
            out
        }
    };

    // Revocation through the CLI, seen by both nodes on their next request.
    let token = cli_json(
        &url,
        &[
            "token",
            "create",
            "--user",
            &c.member.user.email,
            "--name",
            "n",
        ],
        None,
    );
    let pat = token["secret"].as_str().unwrap().to_owned();
    assert_eq!(both(pat.clone()).await, [200, 200]);
    cli_json(
        &url,
        &["token", "revoke", token["id"].as_str().unwrap()],
        None,
    );
    assert_eq!(both(pat).await, [401, 401]);

    // Expiry.
    let in_an_hour = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(1);
    let expiring = app
        .pat(
            &c.member.user,
            termin_domain::credential::Scopes::unlimited(),
            Some(in_an_hour),
        )
        .await;
    assert_eq!(both(expiring.clone()).await, [200, 200]);
    // The nodes read the system clock, so the expiry moves instead: a second ago.
    let past = jiff::Timestamp::now() - jiff::SignedDuration::from_secs(1);
    sqlx::query(
        "UPDATE personal_access_tokens SET expires_at = $1 \
         WHERE user_id = $2 AND expires_at IS NOT NULL AND revoked_at IS NULL",
    )
    .bind(past.as_millisecond())
    .bind(c.member.user.id.to_string())
    .execute(&mut *app.db.conn().await.unwrap())
    .await
    .unwrap();
    assert_eq!(both(expiring).await, [401, 401]);

    // Owner deactivated through the CLI, then reactivated.
    assert_eq!(both(c.admin.pat.clone()).await, [200, 200]);
    cli_json(&url, &["user", "deactivate", &c.admin.user.email], None);
    assert_eq!(both(c.admin.pat.clone()).await, [401, 401]);
    cli_json(
        &url,
        &["user", "reactivate", &c.admin.user.id.to_string()],
        None,
    );
    assert_eq!(both(c.admin.pat.clone()).await, [200, 200]);

    // Owner removed through node B's API; node A refuses the next request.
    let (_, key) = app.api_key(c.id, &c.owner.user).await;
    let removed = client
        .delete(b.url(&format!("/v4/user/{}", c.admin.user.id)))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(removed.status(), 200);
    assert_eq!(both(c.admin.pat.clone()).await, [401, 401]);
}

/// `termin backup` under a booking load copies every booking acknowledged before it began, and
/// `termin restore` brings the copy back as a database a fresh server serves.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_under_load_restores_every_acknowledged_booking() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("live.db").display());
    cli_json(
        &url,
        &[
            "company",
            "create",
            "--name",
            "Load",
            "--owner-email",
            "owner@load.test",
        ],
        None,
    );
    let pat = cli_json(
        &url,
        &[
            "token",
            "create",
            "--user",
            "owner@load.test",
            "--name",
            "load",
        ],
        None,
    )["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    let server = Server::start(&url, &[]);
    let client = reqwest::Client::new();
    let day = json!({"enabled": true, "hours": [{"start": "00:00", "end": "24:00"}]});
    let week: serde_json::Map<String, Value> = [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ]
    .iter()
    .map(|d| (d.to_string(), day.clone()))
    .collect();
    let post = |path: &str, body: Value| {
        client
            .post(server.url(path))
            .bearer_auth(&pat)
            .json(&body)
            .send()
    };
    let availability: Value = post(
        "/v4/availability",
        json!({"name": "always", "timezone": "UTC", "schedule": week}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let mt: Value = post(
        "/v4/meeting-type",
        json!({"meetingInfo": {"name": "Five", "duration": 5},
        "availabilityId": availability["id"], "daysIntoFuture": {"bookingLimit": 365}}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let first = (jiff::Timestamp::now() + jiff::SignedDuration::from_hours(48)).as_second()
        / 86_400
        * 86_400;
    let acknowledged = Arc::new(std::sync::Mutex::new(
        Vec::<(std::time::Instant, String)>::new(),
    ));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut loaders = Vec::new();
    for worker in 0..4i64 {
        let (client, pat, acknowledged, stop) = (
            client.clone(),
            pat.clone(),
            acknowledged.clone(),
            stop.clone(),
        );
        let (url, mt_id) = (server.url("/v4/booking"), mt["id"].clone());
        loaders.push(tokio::spawn(async move {
            let mut n = 0i64;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let start = jiff::Timestamp::from_second(first + (n * 4 + worker) * 300).unwrap();
                n += 1;
                let body = json!({"meetingTypeId": mt_id, "start": start.to_string(),
                    "attendee": {"email": format!("w{worker}n{n}@example.com"), "firstname": "A", "lastname": "B"}});
                let r = client.post(&url).bearer_auth(&pat).json(&body).send().await.unwrap();
                assert_eq!(r.status().as_u16(), 201);
                let id = r.json::<Value>().await.unwrap()["appointmentId"].as_str().unwrap().to_owned();
                acknowledged.lock().unwrap().push((std::time::Instant::now(), id));
            }
        }));
    }
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    let began = std::time::Instant::now();
    let backup = dir.path().join("backup.db");
    let out = cli_json(&url, &["backup", backup.to_str().unwrap()], None);
    assert_eq!(out["backup"], backup.to_str().unwrap());
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for l in loaders {
        l.await.unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    let before: Vec<&String> = acknowledged
        .iter()
        .filter(|(at, _)| *at < began)
        .map(|(_, id)| id)
        .collect();
    assert!(
        before.len() >= 10,
        "the load booked too little to tell: {}",
        before.len()
    );
    assert!(
        acknowledged.len() > before.len(),
        "bookings went on during the backup"
    );
    // A backup never overwrites.
    assert!(!cli(&url, &["backup", backup.to_str().unwrap()], None)
        .status
        .success());

    // Into a fresh database, served by a fresh server.
    let restored = format!("sqlite://{}", dir.path().join("restored.db").display());
    let out = cli_json(&restored, &["restore", backup.to_str().unwrap()], None);
    assert_eq!(out["restored"], backup.to_str().unwrap());
    let fresh = Server::start(&restored, &[]);
    for id in &before {
        let r = client
            .get(fresh.url(&format!("/v4/appointment/{id}")))
            .bearer_auth(&pat)
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status().as_u16(),
            200,
            "acknowledged before the backup, missing from it: {id}"
        );
    }
    // Restoring over a database needs --replace; a file that is not a termin database is refused.
    let again = cli(&restored, &["restore", backup.to_str().unwrap()], None);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("--replace"));
    let junk = dir.path().join("junk.db");
    std::fs::write(&junk, b"not a database").unwrap();
    let other = format!("sqlite://{}", dir.path().join("other.db").display());
    assert!(!cli(&other, &["restore", junk.to_str().unwrap()], None)
        .status
        .success());
    drop(fresh);
    drop(server);
}
