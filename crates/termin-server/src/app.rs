//! Builds the application: the router with its middleware, and a server bound to a listener.
//! `main` and the test harness start it the same way.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::{middleware, Router};
use termin_storage::Db;
use tokio::net::TcpListener;
use tower::{Layer, Service, ServiceBuilder};
use tower_http::compression::CompressionLayer;
use tower_http::normalize_path::NormalizePathLayer;
use tower_http::request_id::{PropagateRequestIdLayer, SetRequestIdLayer};

use crate::config::Config;
use crate::connections::{GuardedListener, MakeTracked};
use crate::http;
use crate::http::error::ApiError;
use crate::http::extract::MAX_BODY_BYTES;
use crate::state::AppState;

/// The complete HTTP application for `state`.
pub fn router(state: AppState) -> Router {
    let (api, openapi) = documented();
    let (health, _) = http::health::router().split_for_parts();
    let timeout = state.config.request_timeout;
    let mcp = crate::mcp::router(&state, api.clone().with_state(state.clone()), &openapi);
    let limited = api
        .merge(mcp)
        .merge(http::oauth::router())
        .merge(crate::pages::router())
        .merge(http::calendar_feed::feed_router())
        .fallback(http::not_found)
        .method_not_allowed_fallback(http::method_not_allowed)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::http::rate_limit::enforce,
        ));
    // The documentation is static and not rate limited.
    let routed = Router::new()
        .merge(http::docs::router(
            Arc::new(openapi),
            &state.config.public_url,
        ))
        // Also here for `/health/`, which only path normalisation turns into `/health`.
        .merge(health.clone())
        .merge(limited)
        // axum's limit, not tower-http's: its 413 reaches the body extractors, which answer it
        // in the contract's error shape.
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(middleware::from_fn_with_state(timeout, run_to_completion))
        .layer(middleware::from_fn(crate::telemetry::log_requests))
        .with_state(state.clone());
    // What runs before routing: `/path/` is served as `/path`; every request gets an id (the
    // client's `x-request-id`, or a new one) that its log line and its response carry; JSON and
    // pages are compressed for clients that ask.
    let before_routing = ServiceBuilder::new()
        .layer(SetRequestIdLayer::x_request_id(
            crate::telemetry::RequestIds,
        ))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(NormalizePathLayer::trim_trailing_slash());
    // `/health` is asked every few seconds by load balancers and monitors: it is answered before
    // all of that, with no request id, log line or rate limit (it cost a fifth of its time).
    Router::new()
        .merge(health.with_state(state))
        .fallback_service(before_routing.service(compressed_for_those_who_ask(routed)))
}

/// `app`, with its answers compressed for requests that carry `Accept-Encoding`. Wrapping
/// every answer's body cost about 2 µs a request (measured pinned, of a 50 µs request) even
/// when nothing was compressed; API clients such as scripts and load tools rarely ask, and
/// browsers always do. (Both services are axum routers, which are always ready, so `call`
/// without `poll_ready` is sound here.)
fn compressed_for_those_who_ask(
    app: Router,
) -> impl tower::Service<
    axum::extract::Request,
    Response = axum::response::Response,
    Error = std::convert::Infallible,
    Future = impl Send,
> + Clone
       + Send
       + 'static {
    let compressed = CompressionLayer::new().layer(app.clone());
    tower::service_fn(move |request: axum::extract::Request| {
        let wants = request
            .headers()
            .contains_key(axum::http::header::ACCEPT_ENCODING);
        let (mut compressed, mut plain) = (compressed.clone(), app.clone());
        async move {
            if wants {
                let response = compressed.call(request).await?;
                Ok(response.map(axum::body::Body::new))
            } else {
                plain.call(request).await
            }
        }
    })
}

/// Runs each request on its own task, so that a client hanging up cannot cancel the handler
/// half way through its database work. A cancelled future can abandon a connection between
/// `BEGIN` and the transaction object that would roll it back, leaving SQLite's write lock held;
/// and a booking whose client disconnected should still commit or fail as a whole (the client
/// retries with its `Idempotency-Key`).
///
/// A request that takes longer than `limit` is answered 408 in the contract's shape; its task
/// still runs to completion.
async fn run_to_completion(
    axum::extract::State(limit): axum::extract::State<Duration>,
    request: axum::extract::Request,
    next: middleware::Next,
) -> axum::response::Response {
    let task = tokio::spawn(next.run(request));
    match tokio::time::timeout(limit, task).await {
        Err(_) => {
            ApiError::new(StatusCode::REQUEST_TIMEOUT, "The request took too long").into_response()
        }
        Ok(Ok(response)) => response,
        Ok(Err(e)) => ApiError::internal(format!("request task failed: {e}")).into_response(),
    }
}

/// The OpenAPI document, as `/openapi.json` serves it.
pub fn openapi() -> utoipa::openapi::OpenApi {
    documented().1
}

/// The API's routes, and the OpenAPI document of those and of `/health`.
fn documented() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let (api, mut openapi) = http::api().split_for_parts();
    http::contract::add_common_responses(&mut openapi);
    openapi.merge(http::health::router().split_for_parts().1);
    (api, http::contract::pin_uuid_format(openapi))
}

pub struct Application {
    listener: TcpListener,
    state: AppState,
}

impl Application {
    /// Connects to the database (running migrations) and binds the listener.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let db = Db::connect_with(&config.database_url, config.durability).await?;
        Self::with_db(config, db).await
    }

    pub async fn with_db(mut config: Config, db: Db) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(config.listen).await?;
        if config.public_url.is_empty() {
            config.public_url = format!("http://{}", listener.local_addr()?);
        }
        Ok(Self {
            listener,
            state: AppState::new(db, config),
        })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` resolves, then finishes in-flight requests and closes the pool.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let db = self.state.service.db.clone();
        // The webhook delivery worker runs beside the server and stops with it.
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let worker = tokio::spawn(crate::jobs::webhooks::run(
            self.state.clone(),
            stopped.clone(),
        ));
        let syncer = tokio::spawn(crate::jobs::calendars::sync_loop(
            self.state.clone(),
            stopped.clone(),
        ));
        let writer = tokio::spawn(crate::jobs::calendars::write_loop(
            self.state.clone(),
            stopped.clone(),
        ));
        let mailer = tokio::spawn(crate::jobs::mail::run(self.state.clone(), stopped));
        let listener = GuardedListener::new(
            self.listener,
            self.state.config.connections,
            self.state.config.trusted_proxies.clone(),
        );
        let app = MakeTracked::new(router(self.state));
        axum::serve(listener, app)
            .with_graceful_shutdown(shutdown)
            .await?;
        // Deliveries in flight finish (or their lease runs out and another node retries them).
        let _ = stop.send(true);
        let _ = tokio::time::timeout(std::time::Duration::from_secs(35), worker).await;
        let _ = tokio::time::timeout(std::time::Duration::from_secs(35), mailer).await;
        let _ = tokio::time::timeout(std::time::Duration::from_secs(35), writer).await;
        let _ = tokio::time::timeout(std::time::Duration::from_secs(35), syncer).await;
        db.close().await;
        Ok(())
    }
}

/// Resolves on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}
