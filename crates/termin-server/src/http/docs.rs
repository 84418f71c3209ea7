//! `GET /openapi.json`, and the API reference made from it at `GET /docs` (see
//! `pages::reference`): both from the same document, built once at start.

use std::sync::Arc;

use axum::extract::Query;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;

use crate::pages::reference::Reference;

#[derive(Deserialize)]
struct Search {
    q: Option<String>,
}

/// `base` is the server's public URL, for the examples.
pub fn router<S: Clone + Send + Sync + 'static>(
    openapi: Arc<utoipa::openapi::OpenApi>,
    base: &str,
) -> Router<S> {
    let json = Arc::new(serde_json::to_value(&*openapi).expect("the OpenAPI document serialises"));
    let reference = Arc::new(Reference::new(&json, base));
    Router::new()
        .route(
            "/openapi.json",
            get(move || async move { Json((*json).clone()) }),
        )
        .route(
            "/docs",
            get(move |Query(s): Query<Search>| async move {
                let q: String = s.q.unwrap_or_default().chars().take(200).collect();
                reference.render(q.trim()).into_response()
            }),
        )
}
