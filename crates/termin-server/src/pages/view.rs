//! What every page shares: the layout, the rendered page with its headers, the friendly pages
//! for refusals, and small helpers for forms and links.

use std::sync::OnceLock;

use askama::Template;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use termin_service::ServiceError;

pub const CSS: &str = include_str!("../../assets/termin.css");
pub const JS: &str = include_str!("../../assets/booking.js");
pub const DASHBOARD_JS: &str = include_str!("../../assets/dashboard.js");
pub const REFERENCE_JS: &str = include_str!("../../assets/reference.js");

/// A short hash of the assets, so their URLs change when they do and browsers may keep them.
fn asset_version() -> &'static str {
    static VERSION: OnceLock<String> = OnceLock::new();
    VERSION.get_or_init(|| {
        let digest = Sha256::digest(format!("{CSS}{JS}{DASHBOARD_JS}{REFERENCE_JS}"));
        digest[..6].iter().map(|b| format!("{b:02x}")).collect()
    })
}

/// What the layout template needs from every page.
pub struct Layout {
    pub title: String,
    pub lang: &'static str,
    pub version: &'static str,
    /// CSS custom properties for the host's own colours (`useCustomColors`).
    pub colors: Option<String>,
    pub script: bool,
    /// A dashboard page: `dashboard.js` (copy buttons) instead of the booking script.
    pub dashboard: bool,
    /// The API reference: `reference.js` (search as you type, "try it").
    pub reference: bool,
}

impl Layout {
    pub fn new(title: impl Into<String>) -> Self {
        Self {
            title: title.into(),
            lang: "en",
            version: asset_version(),
            colors: None,
            script: false,
            dashboard: false,
            reference: false,
        }
    }

    /// A dashboard page's layout.
    pub fn dashboard(mut self) -> Self {
        self.dashboard = true;
        self
    }

    /// The host's colours, when they chose their own. Text on the primary colour is white or
    /// near-black, whichever contrasts more.
    pub fn with_colors(mut self, page: &termin_service::personal_pages::PersonalPage) -> Self {
        if !page.use_custom_colors {
            return self;
        }
        let mut vars = String::new();
        if let Some(primary) = page.primary_color.as_deref().and_then(rgb) {
            let ink = if luminance(primary) > 0.18 {
                "#111111"
            } else {
                "#ffffff"
            };
            vars.push_str(&format!(
                "--primary: {}; --primary-ink: {ink};",
                hex(primary)
            ));
        }
        if let Some(secondary) = page.secondary_color.as_deref().and_then(rgb) {
            vars.push_str(&format!(" --accent: {};", hex(secondary)));
        }
        self.colors = (!vars.is_empty()).then_some(vars);
        self
    }
}

/// `#rrggbb` (or `#rgb`) as three channels; other spellings are not applied.
fn rgb(color: &str) -> Option<[u8; 3]> {
    let digits = color.strip_prefix('#')?;
    let expanded: String = match digits.len() {
        3 => digits.chars().flat_map(|c| [c, c]).collect(),
        6 => digits.to_owned(),
        _ => return None,
    };
    let channel = |i: usize| u8::from_str_radix(expanded.get(i..i + 2)?, 16).ok();
    Some([channel(0)?, channel(2)?, channel(4)?])
}

fn hex([r, g, b]: [u8; 3]) -> String {
    format!("#{r:02x}{g:02x}{b:02x}")
}

/// WCAG relative luminance.
fn luminance(c: [u8; 3]) -> f64 {
    let lin = |v: u8| {
        let v = f64::from(v) / 255.0;
        if v <= 0.039_28 {
            v / 12.92
        } else {
            ((v + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * lin(c[0]) + 0.7152 * lin(c[1]) + 0.0722 * lin(c[2])
}

/// A rendered page with the headers every page carries: a content security policy that allows
/// nothing from another host (the header image excepted) and only the inline style of this
/// page's colours, and no referrer (manage links carry a secret). Pages are revalidated before
/// a cache reuses them; those behind a manage link are never kept ([`no_store`]).
pub struct Page {
    pub status: StatusCode,
    pub html: String,
    /// Another place a form of the page may lead to (the OAuth consent's redirect back to the
    /// app), as a CSP source; `form-action` is `'self'` otherwise.
    pub form_action: Option<String>,
}

impl Page {
    pub fn render(template: &impl Template) -> Self {
        Self::with_status(StatusCode::OK, template)
    }

    pub fn with_status(status: StatusCode, template: &impl Template) -> Self {
        match template.render() {
            Ok(html) => Self {
                status,
                html,
                form_action: None,
            },
            Err(e) => {
                tracing::error!(error = %e, "a page failed to render");
                Self {
                    status: StatusCode::INTERNAL_SERVER_ERROR,
                    html: "<!doctype html><title>Error</title><p>This page could not be shown.</p>"
                        .into(),
                    form_action: None,
                }
            }
        }
    }
}

/// The hashes of the inline `<style>` elements of `html`'s head, for the policy. (The layout puts
/// the only one, the host's colours, at the top of the head; the body is not searched.)
fn inline_style_hashes(html: &str) -> String {
    let mut out = String::new();
    let head_end = html.find("</head>").unwrap_or(html.len().min(4096));
    let mut rest = &html[..head_end];
    while let Some(at) = rest.find("<style>") {
        let body = &rest[at + 7..];
        let Some(end) = body.find("</style>") else {
            break;
        };
        use base64::Engine as _;
        let digest = Sha256::digest(&body.as_bytes()[..end]);
        out.push_str(&format!(
            " 'sha256-{}'",
            base64::engine::general_purpose::STANDARD.encode(digest)
        ));
        rest = &body[end..];
    }
    out
}

impl IntoResponse for Page {
    fn into_response(self) -> Response {
        let also = self
            .form_action
            .as_deref()
            .filter(|s| {
                s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b".:/[]-+_".contains(&b))
            })
            .map(|s| format!(" {s}"))
            .unwrap_or_default();
        let policy = format!(
            "default-src 'none'; style-src 'self'{}; script-src 'self'; img-src 'self' https: data:; \
             connect-src 'self'; form-action 'self'{also}; frame-ancestors 'none'; base-uri 'none'",
            inline_style_hashes(&self.html)
        );
        let mut response = (self.status, self.html).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        if let Ok(policy) = HeaderValue::from_str(&policy) {
            headers.insert(header::CONTENT_SECURITY_POLICY, policy);
        }
        headers.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        );
        headers.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        response
    }
}

/// Marks an answer as never to be kept by a cache (the manage link's pages and file).
pub async fn no_store(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

#[derive(Template)]
#[template(path = "message.html")]
pub struct Message {
    pub layout: Layout,
    pub heading: String,
    pub text: String,
    pub link: Option<(String, String)>,
}

/// A friendly page for `status`.
pub fn message(
    status: StatusCode,
    heading: &str,
    text: &str,
    link: Option<(String, String)>,
) -> Response {
    Page::with_status(
        status,
        &Message {
            layout: Layout::new(heading),
            heading: heading.into(),
            text: text.into(),
            link,
        },
    )
    .into_response()
}

/// A use case's refusal as a page a person can read. A fault is logged, and the visitor told
/// only that something went wrong.
pub fn failure(e: ServiceError) -> Response {
    match e {
        ServiceError::NotFound(m) => message(StatusCode::NOT_FOUND, "Page not found", &m, None),
        ServiceError::Conflict(m) if m == termin_service::one_time_links::LINK_USED => message(
            StatusCode::GONE,
            "This link has been used",
            "This booking link was for one booking, and it has been made. Ask the host for a new link if you need another time.",
            None,
        ),
        ServiceError::Conflict(m) => message(StatusCode::GONE, "Not available", &m, None),
        ServiceError::Throttled { message: m, .. } => {
            message(StatusCode::TOO_MANY_REQUESTS, "Please wait", &m, None)
        }
        ServiceError::Invalid { message: m, .. } => {
            message(StatusCode::BAD_REQUEST, "Something is not right", &m, None)
        }
        ServiceError::Unauthenticated(m) | ServiceError::Forbidden(m) => {
            message(StatusCode::FORBIDDEN, "Not allowed", &m, None)
        }
        ServiceError::LimitReached(m) => message(StatusCode::CONFLICT, "Not available", &m, None),
        ServiceError::Internal(detail) => {
            tracing::error!(error = %detail, "a page failed");
            message(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                "This page could not be shown just now. Please try again in a moment.",
                None,
            )
        }
    }
}

/// The visitor's language for texts sent to them: German when the browser prefers it,
/// otherwise English.
pub fn language(headers: &HeaderMap) -> &'static str {
    let preferred = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .map(|tag| tag.trim().to_ascii_lowercase());
    match preferred {
        Some(tag) if tag == "de" || tag.starts_with("de-") => "de",
        _ => "en",
    }
}

/// A posted form's fields, in order; `None` when the body is not a form.
pub fn form(body: &[u8]) -> Option<Vec<(String, String)>> {
    serde_urlencoded::from_bytes(body).ok()
}

/// The page for a body that is not a form.
pub fn unreadable_form() -> Response {
    message(
        StatusCode::BAD_REQUEST,
        "Something is not right",
        "The form could not be read. Please go back and send it again.",
        None,
    )
}

/// A query string from pairs, percent-encoded.
pub fn query(pairs: &[(&str, &str)]) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    s.finish()
}

/// Whether `user` could be a host's slug: `Some` is the API's answer (an unknown route) for a
/// path that cannot be (`/v4/...`, `/crm`).
pub fn not_a_host_path(user: &str) -> Option<Response> {
    let host = user.len() >= 5 && termin_domain::validate::Slug::is_canonical(user);
    (!host).then(|| crate::http::error::ApiError::not_found("Route not found").into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_on_a_custom_colour_is_the_one_that_contrasts() {
        assert!(luminance([255, 255, 0]) > 0.18, "yellow takes dark text");
        assert!(luminance([0, 0, 128]) < 0.18, "navy takes white text");
        assert_eq!(rgb("#abc"), Some([0xaa, 0xbb, 0xcc]));
        assert_eq!(rgb("red"), None);
    }

    #[test]
    fn each_inline_style_is_allowed_by_its_hash_only() {
        let html = "<style>:root { --primary: #000000; }</style><p>x</p>";
        let hashes = inline_style_hashes(html);
        assert_eq!(hashes.matches("'sha256-").count(), 1);
        assert!(inline_style_hashes("<p>no style</p>").is_empty());
    }
}
