//! A webhook receiver for termin, to copy from.
//!
//! ```sh
//! WEBHOOK_SECRET=whsec_... cargo run -p webhook-receiver -- 127.0.0.1:9000
//! # several webhooks pointed here: WEBHOOK_SECRET=whsec_a,whsec_b
//! ```
//!
//! It verifies every delivery (signature over `id.timestamp.body`, timestamp within five
//! minutes), answers 400 to anything that does not verify, remembers delivery ids so that a
//! retried delivery is processed once, and prints one line per event. `GET /stats` answers
//! `{"received": n, "duplicates": n, "rejected": n}` (the benchmarks read it). With `QUIET=1`
//! it prints nothing per event.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

#[derive(Default)]
struct Stats {
    seen: HashSet<String>,
    received: u64,
    duplicates: u64,
    rejected: u64,
}

#[derive(Clone)]
struct App {
    /// One secret per webhook pointed here (comma separated in `WEBHOOK_SECRET`).
    secrets: Arc<Vec<String>>,
    quiet: bool,
    stats: Arc<Mutex<Stats>>,
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

async fn receive(State(app): State<App>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let id = header(&headers, "webhook-id");
    let now = jiff::Timestamp::now().as_second();
    let verified = app
        .secrets
        .iter()
        .map(|secret| {
            termin_domain::webhook::verify(
                secret,
                id,
                header(&headers, "webhook-timestamp"),
                header(&headers, "webhook-signature"),
                &body,
                now,
                Duration::from_secs(300),
            )
        })
        .find(Result::is_ok)
        .unwrap_or(Err(termin_domain::webhook::VerifyError::NoMatch));
    let mut stats = app.stats.lock().unwrap();
    if let Err(e) = verified {
        stats.rejected += 1;
        eprintln!("rejected delivery {id}: {e}");
        return StatusCode::BAD_REQUEST;
    }
    // Delivery is at least once: the same webhook-id may come again after a retry.
    if !stats.seen.insert(id.to_owned()) {
        stats.duplicates += 1;
        return StatusCode::NO_CONTENT;
    }
    stats.received += 1;
    drop(stats);
    if !app.quiet {
        let event: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        println!(
            "{} {} appointment={} start={}",
            id,
            event["webhookType"].as_str().unwrap_or("?"),
            event["id"].as_str().unwrap_or("-"),
            event["start"].as_str().unwrap_or("-"),
        );
    }
    StatusCode::NO_CONTENT
}

async fn stats(State(app): State<App>) -> Json<Value> {
    let s = app.stats.lock().unwrap();
    Json(json!({"received": s.received, "duplicates": s.duplicates, "rejected": s.rejected}))
}

#[tokio::main]
async fn main() {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:9000".into());
    let secrets = std::env::var("WEBHOOK_SECRET")
        .expect("set WEBHOOK_SECRET to the webhook's whsec_... secret");
    let app = App {
        secrets: Arc::new(
            secrets
                .split(',')
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect(),
        ),
        quiet: std::env::var("QUIET").is_ok_and(|q| q == "1"),
        stats: Arc::default(),
    };
    let router = Router::new()
        .route("/", post(receive))
        .route("/hook", post(receive))
        .route("/stats", get(stats))
        .with_state(app);
    let listener = tokio::net::TcpListener::bind(&addr).await.expect("bind");
    println!(
        "webhook receiver listening on http://{}",
        listener.local_addr().unwrap()
    );
    axum::serve(listener, router).await.unwrap();
}
