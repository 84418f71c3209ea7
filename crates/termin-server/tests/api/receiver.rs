//! A real webhook receiver for tests: an HTTP server on 127.0.0.1 that records every delivery
//! and can be told to fail the first N of them.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;

#[derive(Debug, Clone)]
pub struct Delivery {
    pub id: String,
    pub timestamp: String,
    pub signature: String,
    pub body: Bytes,
}

impl Delivery {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap()
    }

    /// Verifies the delivery as a receiver would, with the webhook's secret.
    pub fn verify(&self, secret: &str) -> bool {
        termin_domain::webhook::verify(
            secret,
            &self.id,
            &self.timestamp,
            &self.signature,
            &self.body,
            jiff::Timestamp::now().as_second(),
            std::time::Duration::from_secs(300),
        )
        .is_ok()
    }
}

#[derive(Clone, Default)]
struct Shared {
    received: Arc<Mutex<Vec<Delivery>>>,
    fail_first: Arc<AtomicUsize>,
    requests: Arc<AtomicUsize>,
}

pub struct Receiver {
    pub addr: SocketAddr,
    shared: Shared,
    _server: tokio::task::JoinHandle<()>,
}

async fn receive(State(s): State<Shared>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let n = s.requests.fetch_add(1, Ordering::SeqCst);
    if n < s.fail_first.load(Ordering::SeqCst) {
        return StatusCode::SERVICE_UNAVAILABLE;
    }
    let h = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    s.received.lock().unwrap().push(Delivery {
        id: h("webhook-id"),
        timestamp: h("webhook-timestamp"),
        signature: h("webhook-signature"),
        body,
    });
    StatusCode::NO_CONTENT
}

impl Receiver {
    /// Starts a receiver that answers 503 to its first `fail_first` requests.
    pub async fn start(fail_first: usize) -> Receiver {
        Self::listen(
            tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap(),
            fail_first,
        )
    }

    /// Starts a healthy receiver on a given port of 127.0.0.1.
    pub async fn start_on(port: u16) -> Receiver {
        Self::listen(
            tokio::net::TcpListener::bind(("127.0.0.1", port))
                .await
                .unwrap(),
            0,
        )
    }

    fn listen(listener: tokio::net::TcpListener, fail_first: usize) -> Receiver {
        let shared = Shared::default();
        shared.fail_first.store(fail_first, Ordering::SeqCst);
        let addr = listener.local_addr().unwrap();
        let app = Router::new()
            .route("/hook", post(receive))
            .with_state(shared.clone());
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Receiver {
            addr,
            shared,
            _server: server,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}/hook", self.addr)
    }

    pub fn received(&self) -> Vec<Delivery> {
        self.shared.received.lock().unwrap().clone()
    }

    pub fn requests(&self) -> usize {
        self.shared.requests.load(Ordering::SeqCst)
    }

    /// Waits until `n` deliveries arrived (or panics after `secs`).
    pub async fn wait_for(&self, n: usize, secs: u64) -> Vec<Delivery> {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
        loop {
            let got = self.received();
            if got.len() >= n {
                return got;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "only {} of {n} deliveries arrived",
                got.len()
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }
}
