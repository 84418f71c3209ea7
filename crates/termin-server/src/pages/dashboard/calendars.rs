//! Integrations → Calendars: the user's own calendars. Connect a CalDAV account or an ICS feed,
//! choose which calendars count as busy and which one receives bookings, sync now, remove.
//! The same use cases as `/v4/calendar-connections/connections`.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use termin_domain::ConnectionId;
use termin_service::calendar_connections::{
    self as connections, CalendarChoice, ConnectionView, NewConnection, Provider,
};

use super::{
    all, field, missing, outcome, parse_id, Confirm, Nav, Outcome, Posted, Section, Viewer,
};
use crate::pages::view::{failure, Layout, Page};
use crate::state::AppState;

pub struct Calendar {
    pub id: String,
    pub name: String,
    pub color: String,
    pub busy: bool,
    pub bookings: bool,
}

pub struct Connection {
    pub id: String,
    pub title: String,
    pub kind: &'static str,
    pub state: &'static str,
    pub synced: String,
    pub error: Option<String>,
    pub failures: i64,
    pub writable: bool,
    pub calendars: Vec<Calendar>,
}

fn shown(c: ConnectionView, v: &Viewer) -> Connection {
    Connection {
        id: c.id.to_string(),
        kind: if c.provider == "ics" {
            "ICS feed"
        } else {
            "CalDAV"
        },
        title: match &c.server_url {
            Some(server) => format!("{} at {}", c.account, host_of(server)),
            None => c.account.clone(),
        },
        state: c.sync.state,
        synced: v.time_opt(c.sync.last_success_at, "not yet"),
        error: c.sync.error,
        failures: c.sync.consecutive_failures,
        writable: c.provider != "ics",
        calendars: c
            .calendars
            .into_iter()
            .map(|k| Calendar {
                id: k.id,
                name: k.name,
                // Only a colour as CSS takes it reaches the page (`#rrggbb`, `#rrggbbaa`).
                color: k
                    .color
                    .filter(|c| {
                        c.starts_with('#')
                            && c.len() <= 9
                            && c[1..].bytes().all(|b| b.is_ascii_hexdigit())
                    })
                    .unwrap_or_default(),
                busy: k.read_for_conflicts,
                bookings: k.write_bookings,
            })
            .collect(),
    }
}

fn host_of(url: &str) -> String {
    reqwest::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_else(|| url.to_owned())
}

/// What the user typed into one of the two connect forms, shown again with its errors.
#[derive(Default)]
pub struct Typed {
    pub caldav_url: String,
    pub username: String,
    pub ics_url: String,
}

/// One line of the log of writes into the user's calendar.
pub struct Written {
    pub at: String,
    pub appointment: String,
    pub what: &'static str,
    pub outcome: String,
    pub failed: bool,
}

#[derive(Template)]
#[template(path = "dash_calendars.html")]
struct ListView {
    layout: Layout,
    nav: Nav,
    connections: Vec<Connection>,
    typed: Typed,
    errors: Vec<String>,
    notice: Option<String>,
    log: Vec<Written>,
}

impl ListView {
    fn writes_into(&self, c: &Connection) -> bool {
        c.calendars.iter().any(|k| k.bookings)
    }
}

async fn render(
    state: &AppState,
    v: &Viewer,
    status: StatusCode,
    typed: Typed,
    errors: Vec<String>,
    notice: Option<String>,
) -> Response {
    let list = match connections::list(&state.service, &v.caller, None).await {
        Ok(l) => l,
        Err(e) => return failure(e),
    };
    let log =
        match termin_service::calendar_writes::recent(&state.service, &v.caller, LOG_SIZE).await {
            Ok(l) => l,
            Err(e) => return failure(e),
        };
    Page::with_status(
        status,
        &ListView {
            layout: Layout::new("Calendars · termin").dashboard(),
            nav: v.nav(Section::Calendars),
            connections: list.into_iter().map(|c| shown(c, v)).collect(),
            typed,
            errors,
            notice,
            log: log
                .into_iter()
                .map(|a| Written {
                    at: v.time(a.at),
                    appointment: a.appointment_id.to_string(),
                    what: match a.action.as_str() {
                        "put" => "Written",
                        "delete" => "Removed",
                        _ => "Nothing to write",
                    },
                    failed: a.error.is_some(),
                    outcome: match (a.error, a.status_code) {
                        (Some(e), _) => e,
                        (None, Some(code)) => format!("HTTP {code}"),
                        (None, None) => "done".into(),
                    },
                })
                .collect(),
        },
    )
    .into_response()
}

/// How many writes the log shows.
const LOG_SIZE: i64 = 10;

pub async fn page(State(state): State<AppState>, v: Viewer) -> Response {
    render(&state, &v, StatusCode::OK, Typed::default(), vec![], None).await
}

fn readable(errors: Vec<(String, String)>) -> Vec<String> {
    errors
        .into_iter()
        .map(|(f, m)| match f.as_str() {
            "" => m,
            "url" => format!("Address: {m}"),
            "username" => format!("User name: {m}"),
            "password" => format!("Password: {m}"),
            f => format!("{f}: {m}"),
        })
        .collect()
}

/// Connects a CalDAV account (`provider=caldav`) or an ICS feed (`provider=ics`).
pub async fn connect(
    State(state): State<AppState>,
    Posted { viewer: v, fields }: Posted,
) -> Response {
    let text = |name: &str| field(&fields, name).unwrap_or_default().trim().to_owned();
    let (input, typed) = match field(&fields, "provider") {
        Some("ics") => (
            NewConnection {
                provider: Provider::Ics,
                url: text("url"),
                username: None,
                password: None,
            },
            Typed {
                ics_url: text("url"),
                ..Typed::default()
            },
        ),
        _ => (
            NewConnection {
                provider: Provider::CalDav,
                url: text("url"),
                username: Some(text("username")).filter(|u| !u.is_empty()),
                // A password is taken as typed: spaces may be part of it.
                password: field(&fields, "password")
                    .filter(|p| !p.is_empty())
                    .map(str::to_owned),
            },
            Typed {
                caldav_url: text("url"),
                username: text("username"),
                ..Typed::default()
            },
        ),
    };
    match connections::create(&state.service, &v.caller, input).await {
        Ok(c) => {
            let notice = format!(
                "Connected {}: {} calendars, all counted as busy. Choose one to receive bookings below.",
                c.account,
                c.calendars.len()
            );
            render(
                &state,
                &v,
                StatusCode::CREATED,
                Typed::default(),
                vec![],
                Some(notice),
            )
            .await
        }
        Err(e) => match outcome(e) {
            Outcome::Page(page) => page,
            Outcome::Fields(errors) => {
                render(
                    &state,
                    &v,
                    StatusCode::BAD_REQUEST,
                    typed,
                    readable(errors),
                    None,
                )
                .await
            }
        },
    }
}

/// Saves one connection's choices: `busy` lists the calendars counted as busy, `bookings` names
/// the one that receives bookings (or `none`).
pub async fn save(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted { viewer: v, fields }: Posted,
) -> Response {
    let Some(id) = parse_id::<ConnectionId>(&id) else {
        return missing("calendar connection");
    };
    let current = match connections::get(&state.service, &v.caller, id).await {
        Ok(c) => c,
        Err(e) => return failure(e),
    };
    let busy = all(&fields, "busy");
    let bookings = field(&fields, "bookings");
    let choices = current
        .calendars
        .iter()
        .map(|k| CalendarChoice {
            id: k.id.clone(),
            read_for_conflicts: Some(busy.contains(&k.id.as_str())),
            write_bookings: bookings.map(|b| b == k.id),
        })
        .collect();
    match connections::update(&state.service, &v.caller, id, choices).await {
        Ok(_) => Redirect::to("/dashboard/calendars").into_response(),
        Err(e) => match outcome(e) {
            Outcome::Page(page) => page,
            Outcome::Fields(errors) => {
                render(
                    &state,
                    &v,
                    StatusCode::BAD_REQUEST,
                    Typed::default(),
                    readable(errors),
                    None,
                )
                .await
            }
        },
    }
}

pub async fn sync(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted { viewer: v, .. }: Posted,
) -> Response {
    let Some(id) = parse_id::<ConnectionId>(&id) else {
        return missing("calendar connection");
    };
    match connections::sync_now(&state.service, &v.caller, id).await {
        Ok(c) => {
            let notice = match &c.sync.error {
                None => format!("Synced {}.", c.account),
                Some(e) => format!("The sync of {} failed: {e}", c.account),
            };
            render(
                &state,
                &v,
                StatusCode::OK,
                Typed::default(),
                vec![],
                Some(notice),
            )
            .await
        }
        Err(e) => failure(e),
    }
}

pub async fn remove_page(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
) -> Response {
    let Some(id) = parse_id::<ConnectionId>(&id) else {
        return missing("calendar connection");
    };
    let c = match connections::get(&state.service, &v.caller, id).await {
        Ok(c) => c,
        Err(e) => return failure(e),
    };
    Confirm {
        layout: Layout::new("Remove calendar · termin").dashboard(),
        nav: v.nav(Section::Calendars),
        heading: format!("Remove {}?", c.account),
        text: "Its events stop counting as busy now, and termin forgets its password. Bookings already written into it stay there.".into(),
        action: format!("/dashboard/calendars/{id}/remove"),
        button: "Remove connection".into(),
        danger: true,
        back: "/dashboard/calendars".into(),
    }
    .page()
}

pub async fn remove(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted { viewer: v, .. }: Posted,
) -> Response {
    let Some(id) = parse_id::<ConnectionId>(&id) else {
        return missing("calendar connection");
    };
    match connections::remove(&state.service, &v.caller, id).await {
        Ok(()) => Redirect::to("/dashboard/calendars").into_response(),
        Err(e) => failure(e),
    }
}
