//! Webhook events, recorded in the transaction of the change that caused them (the durable
//! outbox): the change and its event commit together or not at all. The use case that makes a
//! change builds the event's body from the values it holds; this module only finds the
//! subscribers and queues one delivery for each.

use jiff::Timestamp;
use serde_json::{json, Value};
use termin_domain::webhook::EventType;
use termin_domain::CompanyId;
use termin_storage::{webhooks, Connection, Tx};

use crate::error::{ServiceError, ServiceResult};

/// The active webhooks of the company that subscribe to `event`.
pub async fn subscribers(
    conn: &mut Connection,
    company: CompanyId,
    event: EventType,
) -> ServiceResult<Vec<String>> {
    Ok(webhooks::subscribers(conn, company, event.as_str()).await?)
}

/// Queues `body` (with `webhookType` added) for each of `subscribers`, inside the caller's
/// transaction.
pub async fn record(
    tx: &mut Tx,
    company: CompanyId,
    event: EventType,
    subscribers: &[String],
    mut body: Value,
    at: Timestamp,
) -> ServiceResult<()> {
    if subscribers.is_empty() {
        return Ok(());
    }
    body["webhookType"] = json!(event.as_str());
    let payload = serde_json::to_string(&body).map_err(ServiceError::internal)?;
    webhooks::enqueue(tx, company, event.as_str(), subscribers, &payload, at).await?;
    Ok(())
}
