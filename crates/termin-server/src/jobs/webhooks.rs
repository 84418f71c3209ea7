//! The delivery worker. Every `termin serve` runs one; on PostgreSQL several nodes share the
//! queue, each claiming different deliveries (`FOR UPDATE SKIP LOCKED` plus a lease), so a
//! healthy receiver gets each event once. A node that dies mid-delivery leaves a lease that runs
//! out, and another attempt follows: delivery is at least once.

use std::hash::{BuildHasher, RandomState};
use std::net::IpAddr;
use std::time::{Duration, Instant};

use jiff::SignedDuration;
use reqwest::{Client, Url};
use termin_domain::webhook::SigningSecret;
use termin_service::deliveries::{self, Attempt, ClaimedDelivery, DeliveryPolicy};
use termin_service::guard::TargetGuard;
use termin_service::{ServiceError, ServiceResult};
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::state::AppState;

/// The HTTP client deliveries use: no redirects followed, no proxy, the configured timeout, and
/// every host name resolved through the SSRF guard.
pub fn client(state: &AppState) -> Client {
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .timeout(state.config.webhooks.timeout)
        .connect_timeout(Duration::from_secs(10))
        .user_agent(concat!("termin-webhooks/", env!("CARGO_PKG_VERSION")))
        .dns_resolver(std::sync::Arc::new(GuardedResolver(
            state.service.guard.clone(),
        )))
        .build()
        .expect("a TLS backend is compiled in")
}

/// Runs until `stop` turns true: delivers whatever is due, then waits for the poll interval or a
/// wake-up from this node's own changes.
pub async fn run(state: AppState, mut stop: watch::Receiver<bool>) {
    let client = client(&state);
    loop {
        match deliver_due(&state, &client).await {
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "webhook delivery pass failed"),
        }
        tokio::select! {
            _ = stop.changed() => break,
            _ = tokio::time::sleep(state.config.webhooks.poll_interval) => {}
            _ = state.webhook_wakeup.notified() => {}
        }
        if *stop.borrow() {
            break;
        }
    }
}

/// Delivers every due delivery, batch after batch, and returns how many were attempted.
pub async fn deliver_due(state: &AppState, client: &Client) -> ServiceResult<usize> {
    let svc = &state.service;
    // A claimed delivery stays this node's until its request has had time to time out.
    let lease = SignedDuration::try_from(state.config.webhooks.timeout)
        .map_err(ServiceError::internal)?
        + SignedDuration::from_secs(5);
    let mut total = 0;
    loop {
        let batch =
            deliveries::claim_due(svc, lease, state.config.webhooks.concurrency as i64).await?;
        if batch.is_empty() {
            return Ok(total);
        }
        total += batch.len();
        let mut tasks = JoinSet::new();
        for delivery in batch {
            let (state, client) = (state.clone(), client.clone());
            tasks.spawn(async move {
                if let Err(e) = deliver_one(&state, &client, delivery).await {
                    tracing::warn!(error = %e, "recording a webhook delivery failed");
                }
            });
        }
        while tasks.join_next().await.is_some() {}
    }
}

fn jitter_unit() -> f64 {
    RandomState::new().hash_one(Instant::now()) as f64 / u64::MAX as f64
}

/// Why a delivery's endpoint may not be contacted now, for endpoints given as IP literals
/// (names are checked by the client's resolver at connect time).
async fn refused(state: &AppState, url: &Url) -> Option<String> {
    let host = url.host_str()?;
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if bare.parse::<IpAddr>().is_ok() {
        return state.service.guard.allowed_addresses(bare).await.err();
    }
    None
}

fn describe(err: &reqwest::Error) -> String {
    let mut text = if err.is_timeout() {
        "timed out".to_owned()
    } else if err.is_connect() {
        "could not connect".to_owned()
    } else {
        "request failed".to_owned()
    };
    let mut source = std::error::Error::source(err);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

async fn deliver_one(state: &AppState, client: &Client, d: ClaimedDelivery) -> ServiceResult<()> {
    let svc = &state.service;
    if !d.webhook_active {
        return deliveries::abandon(svc, &d).await;
    }
    let started = Instant::now();
    let started_at = svc.now();
    let url = Url::parse(&d.endpoint).map_err(ServiceError::internal)?;
    // No connection is held while the endpoint answers.
    let result: Result<u16, String> = match refused(state, &url).await {
        Some(reason) => Err(reason),
        None => {
            let id = d.id.to_string();
            let timestamp = started_at.as_second();
            let secret = SigningSecret::parse(&d.secret).map_err(ServiceError::internal)?;
            client
                .post(url)
                .header("content-type", "application/json")
                .header("webhook-id", &id)
                .header("webhook-timestamp", timestamp.to_string())
                .header(
                    "webhook-signature",
                    secret.sign(&id, timestamp, d.payload.as_bytes()),
                )
                .body(d.payload.clone())
                .send()
                .await
                .map(|r| r.status().as_u16())
                .map_err(|e| describe(&e))
        }
    };
    let attempt = Attempt {
        started_at,
        result,
        duration_ms: started.elapsed().as_millis() as i64,
    };
    let policy = DeliveryPolicy {
        retry_scale: state.config.webhooks.retry_scale,
        disable_after_failed_deliveries: state.config.webhooks.disable_after_failed_deliveries,
    };
    deliveries::record_attempt(svc, &d, attempt, policy, jitter_unit()).await
}

/// reqwest's resolver hook: every name a delivery connects to is checked by the SSRF guard at
/// that moment (DNS answers can change after the endpoint was accepted).
struct GuardedResolver(TargetGuard);

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let guard = self.0.clone();
        Box::pin(async move {
            let ips = guard
                .allowed_addresses(name.as_str())
                .await
                .map_err(|e| -> Box<dyn std::error::Error + Send + Sync> { e.into() })?;
            let addrs: reqwest::dns::Addrs = Box::new(
                ips.into_iter()
                    .map(|ip| std::net::SocketAddr::new(ip, 0))
                    .collect::<Vec<_>>()
                    .into_iter(),
            );
            Ok(addrs)
        })
    }
}
