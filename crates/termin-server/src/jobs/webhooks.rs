//! The delivery worker. Every `termin serve` runs one; on PostgreSQL several nodes share the
//! queue, each claiming different deliveries (`FOR UPDATE SKIP LOCKED` plus a lease), so a
//! healthy receiver gets each event once. A node that dies mid-delivery leaves a lease that runs
//! out, and another attempt follows: delivery is at least once.

use std::hash::{BuildHasher, RandomState};
use std::net::IpAddr;
use std::time::{Duration, Instant};

use jiff::{SignedDuration, Timestamp};
use reqwest::{Client, Url};
use termin_domain::webhook::{retry_delay, SigningSecret};
use termin_service::guard::TargetGuard;
use termin_storage::webhooks::{self, AttemptOutcome, ClaimedDelivery};
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::state::AppState;
use termin_service::now;
use termin_service::{ServiceError, ServiceResult};

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
            state.webhook_guard.clone(),
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
    let mut total = 0;
    loop {
        let at = now();
        let lease = at
            + SignedDuration::try_from(state.config.webhooks.timeout)
                .map_err(ServiceError::internal)?
            + SignedDuration::from_secs(5);
        // Writes go through write transactions, which take their turn on SQLite instead of
        // racing booking transactions for the lock.
        let mut tx = state.db.begin_write().await?;
        let batch = webhooks::claim_due(
            &mut tx,
            state.db.backend(),
            at,
            lease,
            state.config.webhooks.concurrency as i64,
        )
        .await?;
        tx.commit()
            .await
            .map_err(termin_storage::StorageError::from)?;
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
        return state.webhook_guard.allowed_addresses(bare).await.err();
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
    if !d.webhook_active {
        webhooks::abandon(
            &mut *state.db.conn().await?,
            d.id,
            "webhook disabled or deleted",
            now(),
        )
        .await?;
        return Ok(());
    }
    let started = Instant::now();
    let at = now();
    let url = Url::parse(&d.endpoint).map_err(ServiceError::internal)?;
    let result: Result<u16, String> = match refused(state, &url).await {
        Some(reason) => Err(reason),
        None => {
            let id = d.id.to_string();
            let timestamp = at.as_second();
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
    let succeeded = matches!(result, Ok(code) if (200..300).contains(&code));
    let retry_at = if succeeded {
        None
    } else {
        retry_delay(
            d.attempts as usize,
            state.config.webhooks.retry_scale,
            jitter_unit(),
        )
        .and_then(|delay| SignedDuration::try_from(delay).ok())
        .map(|delay| Timestamp::now() + delay)
    };
    let outcome = AttemptOutcome {
        at,
        status_code: result.as_ref().ok().copied(),
        error: match &result {
            Ok(code) if !succeeded => Some(format!("endpoint answered {code}")),
            Ok(_) => None,
            Err(e) => Some(e.clone()),
        },
        duration_ms: started.elapsed().as_millis() as i64,
        succeeded,
        retry_at,
    };
    // No connection is held while the endpoint answers.
    let mut tx = state.db.begin_write().await?;
    let failures = webhooks::record_attempt(&mut tx, &d, &outcome).await?;
    let gave_up = !succeeded && retry_at.is_none();
    if gave_up && failures >= state.config.webhooks.disable_after_failed_deliveries {
        let reason = format!(
            "disabled after {failures} deliveries in a row failed every attempt; last error: {}",
            outcome.error.as_deref().unwrap_or("unknown")
        );
        webhooks::disable(&mut tx, d.webhook_id, &reason, now()).await?;
        tracing::warn!(webhook = %d.webhook_id, "{reason}");
    }
    tx.commit()
        .await
        .map_err(termin_storage::StorageError::from)?;
    Ok(())
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
