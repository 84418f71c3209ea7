//! GDPR export (owners and admins): everything the company holds about a member or an e-mail
//! address, as a JSON file, through the same use case as `POST /v4/gdpr/export`.

use askama::Template;
use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use termin_domain::validate::Email;
use termin_service::gdpr::{self, Subject};
use termin_service::ServiceError;

use super::{field, outcome, Nav, Outcome, Posted, Section, Viewer};
use crate::pages::view::{failure, Layout, Page};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "dash_export.html")]
struct ExportView {
    layout: Layout,
    nav: Nav,
    subject: String,
    error: Option<String>,
}

fn render(v: &Viewer, status: StatusCode, subject: String, error: Option<String>) -> Response {
    Page::with_status(
        status,
        &ExportView {
            layout: Layout::new("GDPR export · termin").dashboard(),
            nav: v.nav(Section::Export),
            subject,
            error,
        },
    )
    .into_response()
}

pub async fn page(v: Viewer) -> Response {
    if let Some(page) = v.admin_only("export personal data") {
        return page;
    }
    render(&v, StatusCode::OK, String::new(), None)
}

pub async fn download(
    State(state): State<AppState>,
    Posted { viewer: v, fields }: Posted,
) -> Response {
    if let Some(page) = v.admin_only("export personal data") {
        return page;
    }
    let typed = field(&fields, "subject")
        .unwrap_or_default()
        .trim()
        .to_owned();
    let subject = if let Ok(id) = typed.parse() {
        Ok(Subject::User(id))
    } else {
        Email::parse(&typed).map(Subject::Email).map_err(|_| {
            ServiceError::field("subject", "must be a member's id or an e-mail address")
        })
    };
    let result = match subject {
        Ok(s) => gdpr::export(&state.service, &v.caller, &s).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(data) => {
            let body = match serde_json::to_vec_pretty(&data) {
                Ok(b) => b,
                Err(e) => return failure(ServiceError::internal(e)),
            };
            let mut response = (StatusCode::OK, body).into_response();
            let h = response.headers_mut();
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            h.insert(
                header::CONTENT_DISPOSITION,
                HeaderValue::from_static("attachment; filename=\"termin-gdpr-export.json\""),
            );
            response
        }
        Err(ServiceError::NotFound(m)) => {
            render(&v, StatusCode::NOT_FOUND, typed, Some(m.into_owned()))
        }
        Err(e) => match outcome(e) {
            Outcome::Page(page) => page,
            Outcome::Fields(errors) => {
                let text = errors
                    .into_iter()
                    .map(|(_, m)| m)
                    .collect::<Vec<_>>()
                    .join("; ");
                render(&v, StatusCode::BAD_REQUEST, typed, Some(text))
            }
        },
    }
}
