//! Getting in and out: the login form, logging out (here or everywhere), the password reset
//! by e-mail, the page an invitation or reset link opens, the first-run setup, and the
//! dashboard's overview.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Extension;
use bytes::Bytes;
use serde::Deserialize;
use termin_domain::tenancy::{Role, UserType};
use termin_domain::validate::{Email, Language, PersonName, TimeZoneName};
use termin_service::passwords::MIN_PASSWORD_CHARS;
use termin_service::users::NewUser;
use termin_service::{account_links, sessions, ServiceError, Validator};

use super::{
    error_for, field, outcome, session_cookie_header, session_limits, Nav, Outcome, Posted,
    Section, Viewer,
};
use crate::http::rate_limit::ClientIp;
use crate::pages::view::{self, failure, message, Layout, Page};
use crate::state::AppState;

#[derive(Deserialize)]
pub struct Next {
    next: Option<String>,
    done: Option<String>,
}

/// Where to go after logging in: a dashboard page, nothing else. Only letters, digits and the
/// few characters of paths and query strings pass, so no control character (which browsers drop
/// from a URL, turning `/\t/host` into `//host`), backslash or second slash can lead elsewhere.
fn safe_next(next: Option<&str>) -> String {
    let allowed = |c: char| c.is_ascii_alphanumeric() || "/-_.?=&%".contains(c);
    match next {
        Some(n)
            if (n == "/dashboard"
                || n.starts_with("/dashboard/")
                || n.starts_with("/dashboard?"))
                && !n.contains("//")
                && n.chars().all(allowed) =>
        {
            n.to_owned()
        }
        _ => "/dashboard".to_owned(),
    }
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginView {
    layout: Layout,
    email: String,
    next: String,
    error: Option<String>,
    notice: Option<String>,
}

fn notice(done: Option<&str>) -> Option<String> {
    Some(
        match done? {
            "logged-out" => "You are logged out.",
            "everywhere" => "You are logged out on every device.",
            "password" => "Your password is set. Log in with it now.",
            "setup" => "Your workspace is ready. Log in to start.",
            _ => return None,
        }
        .to_owned(),
    )
}

pub async fn login_page(Query(q): Query<Next>) -> Response {
    Page::render(&LoginView {
        layout: Layout::new("Log in · termin"),
        email: String::new(),
        next: safe_next(q.next.as_deref()),
        error: None,
        notice: notice(q.done.as_deref()),
    })
    .into_response()
}

pub async fn login(
    State(state): State<AppState>,
    ip: Option<Extension<ClientIp>>,
    body: Bytes,
) -> Response {
    let Some(fields) = view::form(&body) else {
        return view::unreadable_form();
    };
    let email = field(&fields, "email").unwrap_or_default();
    let password = field(&fields, "password").unwrap_or_default();
    let next = safe_next(field(&fields, "next"));
    let from = ip.and_then(|Extension(ClientIp(ip))| ip);
    let limits = session_limits(&state);
    match sessions::login(&state.service, email, password, limits, from).await {
        Ok(logged_in) => (
            [session_cookie_header(
                &state,
                logged_in.secret.expose(),
                limits.absolute.as_secs(),
            )],
            Redirect::to(&next),
        )
            .into_response(),
        Err(e) => {
            let (status, text) = match e {
                ServiceError::Unauthenticated(_) => (
                    StatusCode::UNAUTHORIZED,
                    "That e-mail address and password do not match an account.".to_owned(),
                ),
                ServiceError::Throttled { message, .. } => {
                    (StatusCode::TOO_MANY_REQUESTS, message.into_owned())
                }
                ServiceError::Invalid { .. } => (
                    StatusCode::BAD_REQUEST,
                    "The e-mail address or password is too long.".to_owned(),
                ),
                other => return failure(other),
            };
            Page::with_status(
                status,
                &LoginView {
                    layout: Layout::new("Log in · termin"),
                    email: email.chars().take(254).collect(),
                    next,
                    error: Some(text),
                    notice: None,
                },
            )
            .into_response()
        }
    }
}

/// Logs out this session, or with `everywhere` every session of the user.
async fn end(state: AppState, v: Viewer, everywhere: bool) -> Response {
    let done = if everywhere {
        sessions::logout_everywhere(&state.service, &v.caller).await
    } else {
        sessions::logout(&state.service, &v.caller).await
    };
    if let Err(e) = done {
        return failure(e);
    }
    let to = if everywhere {
        "everywhere"
    } else {
        "logged-out"
    };
    (
        [session_cookie_header(&state, "", 0)],
        Redirect::to(&format!("/login?done={to}")),
    )
        .into_response()
}

pub async fn logout(State(state): State<AppState>, Posted { viewer, .. }: Posted) -> Response {
    end(state, viewer, false).await
}

pub async fn logout_everywhere(
    State(state): State<AppState>,
    Posted { viewer, .. }: Posted,
) -> Response {
    end(state, viewer, true).await
}

#[derive(Template)]
#[template(path = "reset.html")]
struct ResetView {
    layout: Layout,
    sent: bool,
}

pub async fn reset_page() -> Response {
    Page::render(&ResetView {
        layout: Layout::new("Reset your password · termin"),
        sent: false,
    })
    .into_response()
}

/// Mails a reset link if the address has an account; the page says the same either way.
pub async fn reset(State(state): State<AppState>, body: Bytes) -> Response {
    let Some(fields) = view::form(&body) else {
        return view::unreadable_form();
    };
    let email = field(&fields, "email").unwrap_or_default();
    if let Err(e) = account_links::request_reset(&state.service, email).await {
        return failure(e);
    }
    state.wake_workers();
    Page::render(&ResetView {
        layout: Layout::new("Check your e-mail · termin"),
        sent: true,
    })
    .into_response()
}

#[derive(Template)]
#[template(path = "password.html")]
struct PasswordView {
    layout: Layout,
    min_password: usize,
    name: String,
    email: String,
    action: String,
    errors: Vec<(String, String)>,
}

pub async fn password_page(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    match account_links::password_link_user(&state.service, &token).await {
        Ok(user) => Page::render(&PasswordView {
            min_password: MIN_PASSWORD_CHARS,
            layout: Layout::new("Choose a password · termin"),
            name: user.full_name(),
            email: user.email,
            action: format!("/password/{token}"),
            errors: Vec::new(),
        })
        .into_response(),
        Err(e) => link_failure(e),
    }
}

/// An account link that does not work (unknown, used or expired) as a page.
fn link_failure(e: ServiceError) -> Response {
    match e {
        ServiceError::NotFound(m) => message(StatusCode::NOT_FOUND, "Link not valid", &m, None),
        ServiceError::Conflict(m) => message(
            StatusCode::GONE,
            "Link no longer works",
            &m,
            Some(("/reset".into(), "Ask for a new link".into())),
        ),
        other => failure(other),
    }
}

pub async fn set_password(
    State(state): State<AppState>,
    Path(token): Path<String>,
    body: Bytes,
) -> Response {
    let Some(fields) = view::form(&body) else {
        return view::unreadable_form();
    };
    let password = field(&fields, "password").unwrap_or_default();
    let again = field(&fields, "confirm").unwrap_or_default();
    let result = if password != again {
        Err(ServiceError::field("confirm", "must be the same password"))
    } else {
        account_links::set_password(&state.service, &token, password).await
    };
    match result {
        Ok(_) => Redirect::to("/login?done=password").into_response(),
        Err(e @ (ServiceError::NotFound(_) | ServiceError::Conflict(_))) => link_failure(e),
        Err(e) => match outcome(e) {
            Outcome::Page(page) => page,
            Outcome::Fields(errors) => {
                match account_links::password_link_user(&state.service, &token).await {
                    Ok(user) => Page::with_status(
                        StatusCode::BAD_REQUEST,
                        &PasswordView {
                            min_password: MIN_PASSWORD_CHARS,
                            layout: Layout::new("Choose a password · termin"),
                            name: user.full_name(),
                            email: user.email,
                            action: format!("/password/{token}"),
                            errors,
                        },
                    )
                    .into_response(),
                    Err(e) => link_failure(e),
                }
            }
        },
    }
}

#[derive(Template)]
#[template(path = "setup.html")]
struct SetupView {
    layout: Layout,
    min_password: usize,
    zones: &'static [&'static str],
    action: String,
    values: Vec<(String, String)>,
    errors: Vec<(String, String)>,
}

impl SetupView {
    fn value(&self, name: &str) -> String {
        field(&self.values, name).unwrap_or_default().to_owned()
    }

    fn error(&self, name: &str) -> Option<String> {
        error_for(&self.errors, name)
    }
}

pub async fn setup_page(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    if let Err(e) = account_links::check_setup_link(&state.service, &token).await {
        return link_failure(e);
    }
    Page::render(&SetupView {
        min_password: MIN_PASSWORD_CHARS,
        zones: crate::pages::calendar::zones(),
        layout: Layout::new("Set up termin").dashboard(),
        action: format!("/setup/{token}"),
        values: vec![("timezone".into(), "Europe/Berlin".into())],
        errors: Vec::new(),
    })
    .into_response()
}

/// The new user a form describes (given name, family name, e-mail, zone), or what is wrong.
pub fn person_of(
    fields: &[(String, String)],
    role: Role,
    password: Option<String>,
) -> Result<NewUser, ServiceError> {
    let mut v = Validator::new();
    let text = |name| field(fields, name).unwrap_or_default().trim();
    let email = v.check("email", Email::parse(text("email")));
    let given = v.check("givenName", PersonName::parse(text("givenName")));
    let family = if text("familyName").is_empty() {
        PersonName::parse("-").ok()
    } else {
        v.check("familyName", PersonName::parse(text("familyName")))
    };
    let timezone = v.check("timezone", TimeZoneName::parse(text("timezone")));
    v.finish()?;
    let (Some(email), Some(given_name), Some(family_name), Some(timezone)) =
        (email, given, family, timezone)
    else {
        return Err(ServiceError::internal(
            "validator passed with a missing field",
        ));
    };
    Ok(NewUser {
        email,
        given_name,
        family_name,
        timezone,
        language: Language::parse("en").expect("en is a language"),
        role,
        user_type: UserType::Standard,
        password,
    })
}

pub async fn setup(
    State(state): State<AppState>,
    Path(token): Path<String>,
    body: Bytes,
) -> Response {
    let Some(fields) = view::form(&body) else {
        return view::unreadable_form();
    };
    let password = field(&fields, "password").unwrap_or_default().to_owned();
    let result = match person_of(&fields, Role::Owner, Some(password)) {
        Ok(owner) => {
            let company = field(&fields, "company").unwrap_or_default();
            account_links::complete_setup(&state.service, &token, company, owner).await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Redirect::to("/login?done=setup").into_response(),
        Err(e @ (ServiceError::NotFound(_) | ServiceError::Conflict(_))) => link_failure(e),
        Err(e) => match outcome(e) {
            Outcome::Page(page) => page,
            Outcome::Fields(mut errors) => {
                // The company's name is `name` to the use case and `company` on the form.
                for (k, _) in &mut errors {
                    if k == "name" {
                        *k = "company".into();
                    }
                }
                let values = fields
                    .into_iter()
                    .filter(|(k, _)| k != "password")
                    .collect();
                Page::with_status(
                    StatusCode::BAD_REQUEST,
                    &SetupView {
                        min_password: MIN_PASSWORD_CHARS,
                        zones: crate::pages::calendar::zones(),
                        layout: Layout::new("Set up termin").dashboard(),
                        action: format!("/setup/{token}"),
                        values,
                        errors,
                    },
                )
                .into_response()
            }
        },
    }
}

#[derive(Template)]
#[template(path = "dash_home.html")]
struct HomeView {
    layout: Layout,
    nav: Nav,
    name: String,
    page_url: String,
    role: &'static str,
    admin: bool,
    keys: bool,
}

pub async fn home(State(state): State<AppState>, v: Viewer) -> Response {
    Page::render(&HomeView {
        layout: Layout::new("Overview · termin").dashboard(),
        nav: v.nav(Section::Home),
        name: v.user.given_name.clone(),
        page_url: format!("{}/{}", state.service.public_url, v.user.slug),
        role: v.user.role.as_str(),
        admin: v.is_admin(),
        keys: v.manages_api_keys(),
    })
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn after_login_only_dashboard_pages_are_followed() {
        assert_eq!(
            safe_next(Some("/dashboard/members?page=2")),
            "/dashboard/members?page=2"
        );
        for bad in [
            "//evil.example",
            "/\t/evil.example",
            "/\n/x",
            "https://evil.example/dashboard",
            "/dashboard//evil",
            "/dashboard\\x",
            "/olivia/30min",
            "/dashboardx",
        ] {
            assert_eq!(safe_next(Some(bad)), "/dashboard", "{bad:?} followed");
        }
        assert_eq!(safe_next(None), "/dashboard");
    }
}
