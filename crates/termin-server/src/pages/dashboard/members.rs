//! Members (owners and admins): the company's people with their role and state, a page at a
//! time; adding one by e-mail with an invitation link; changing a role; deactivating,
//! reactivating and removing, each saying first what it ends.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use termin_domain::tenancy::Role;
use termin_domain::UserId;
use termin_service::users::{self, UserView};
use termin_service::{account_links, ServiceError};

use super::account::person_of;
use super::{
    error_for, field, missing, outcome, parse_id, Confirm, Nav, Outcome, Posted, Section, Viewer,
};
use crate::pages::view::{failure, Layout, Page};
use crate::state::AppState;

const PER_PAGE: i64 = 25;

pub struct MemberRow {
    pub href: String,
    pub name: String,
    pub email: String,
    pub role: &'static str,
    pub state: &'static str,
}

#[derive(Template)]
#[template(path = "dash_members.html")]
struct MembersView {
    layout: Layout,
    zones: &'static [&'static str],
    nav: Nav,
    members: Vec<MemberRow>,
    page: i64,
    pages: i64,
    total: i64,
    invited: Option<(String, String)>,
    values: Vec<(String, String)>,
    errors: Vec<(String, String)>,
}

impl MembersView {
    fn value(&self, name: &str) -> String {
        field(&self.values, name).unwrap_or_default().to_owned()
    }

    fn error(&self, name: &str) -> Option<String> {
        error_for(&self.errors, name)
    }

    fn role_is(&self, role: &str) -> bool {
        self.value("role") == role
    }
}

fn role_label(role: Role) -> &'static str {
    match role {
        Role::Owner => "Owner",
        Role::Admin => "Admin",
        Role::Member => "Member",
    }
}

#[derive(Deserialize)]
pub struct PageQuery {
    page: Option<String>,
}

struct Form {
    status: StatusCode,
    invited: Option<(String, String)>,
    values: Vec<(String, String)>,
    errors: Vec<(String, String)>,
}

async fn render_list(state: &AppState, v: &Viewer, page: i64, form: Form) -> Response {
    let page = page.max(1);
    let (members, total) = match users::list(
        &state.service,
        &v.caller,
        None,
        PER_PAGE,
        (page - 1) * PER_PAGE,
    )
    .await
    {
        Ok(found) => found,
        Err(e) => return failure(e),
    };
    let rows = members
        .into_iter()
        .map(|m: UserView| MemberRow {
            href: format!("/dashboard/members/{}", m.id),
            name: m.full_name,
            email: m.email,
            role: role_label(m.role),
            state: if m.deactivated {
                "Deactivated"
            } else {
                "Active"
            },
        })
        .collect();
    Page::with_status(
        form.status,
        &MembersView {
            zones: crate::pages::calendar::zones(),
            layout: Layout::new("Members · termin").dashboard(),
            nav: v.nav(Section::Members),
            members: rows,
            page,
            pages: ((total + PER_PAGE - 1) / PER_PAGE).max(1),
            total,
            invited: form.invited,
            values: form.values,
            errors: form.errors,
        },
    )
    .into_response()
}

pub async fn list_page(
    State(state): State<AppState>,
    v: Viewer,
    Query(q): Query<PageQuery>,
) -> Response {
    if let Some(page) = v.admin_only("manage members") {
        return page;
    }
    let page = q
        .page
        .and_then(|p| p.parse().ok())
        .unwrap_or(1)
        .clamp(1, 1_000_000);
    let form = Form {
        status: StatusCode::OK,
        invited: None,
        values: vec![
            ("role".into(), "member".into()),
            ("timezone".into(), v.user.timezone.clone()),
        ],
        errors: vec![],
    };
    render_list(&state, &v, page, form).await
}

fn parse_role(raw: Option<&str>) -> Result<Role, ServiceError> {
    match raw {
        Some("member") | None => Ok(Role::Member),
        Some("admin") => Ok(Role::Admin),
        Some(_) => Err(ServiceError::field("role", "must be member or admin")),
    }
}

pub async fn invite(
    State(state): State<AppState>,
    Posted { viewer: v, fields }: Posted,
) -> Response {
    if let Some(page) = v.admin_only("manage members") {
        return page;
    }
    let result =
        match parse_role(field(&fields, "role")).and_then(|role| person_of(&fields, role, None)) {
            Ok(new) => account_links::invite(&state.service, &v.caller, new).await,
            Err(e) => Err(e),
        };
    match result {
        Ok(invited) => {
            state.wake_workers();
            let form = Form {
                status: StatusCode::CREATED,
                invited: Some((invited.user.email, invited.url)),
                values: vec![
                    ("role".into(), "member".into()),
                    ("timezone".into(), v.user.timezone.clone()),
                ],
                errors: vec![],
            };
            render_list(&state, &v, 1, form).await
        }
        Err(ServiceError::Conflict(m)) => {
            let form = Form {
                status: StatusCode::CONFLICT,
                invited: None,
                values: fields,
                errors: vec![("email".into(), m.into_owned())],
            };
            render_list(&state, &v, 1, form).await
        }
        Err(e) => match outcome(e) {
            Outcome::Page(page) => page,
            Outcome::Fields(errors) => {
                let form = Form {
                    status: StatusCode::BAD_REQUEST,
                    invited: None,
                    values: fields,
                    errors,
                };
                render_list(&state, &v, 1, form).await
            }
        },
    }
}

#[derive(Template)]
#[template(path = "dash_member.html")]
struct MemberView {
    layout: Layout,
    nav: Nav,
    id: String,
    name: String,
    email: String,
    role: &'static str,
    is_owner: bool,
    is_self: bool,
    is_admin_role: bool,
    deactivated: bool,
    page_url: String,
    created: String,
}

pub async fn detail_page(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
) -> Response {
    if let Some(page) = v.admin_only("manage members") {
        return page;
    }
    let Some(id) = parse_id::<UserId>(&id) else {
        return missing("member");
    };
    let m = match users::get_user(&state.service, v.caller.company_id, id).await {
        Ok(m) => m,
        Err(e) => return failure(e),
    };
    Page::render(&MemberView {
        layout: Layout::new(format!("{} · Members · termin", m.full_name())).dashboard(),
        nav: v.nav(Section::Members),
        id: m.id.to_string(),
        name: m.full_name(),
        role: role_label(m.role),
        is_owner: m.role == Role::Owner,
        is_self: m.id == v.user.id,
        is_admin_role: m.role == Role::Admin,
        deactivated: m.deactivated_at.is_some(),
        page_url: format!("{}/{}", state.service.public_url, m.slug),
        created: v.time(m.created_at),
        email: m.email,
    })
    .into_response()
}

pub async fn confirm_page(
    State(state): State<AppState>,
    v: Viewer,
    Path((id, action)): Path<(String, String)>,
) -> Response {
    if let Some(page) = v.admin_only("manage members") {
        return page;
    }
    let Some(id) = parse_id::<UserId>(&id) else {
        return missing("member");
    };
    let c = match users::removal_consequence(&state.service, &v.caller, id).await {
        Ok(c) => c,
        Err(e) => return failure(e),
    };
    let name = c.user.full_name();
    let tokens = match c.live_tokens {
        0 => "They have no working personal access tokens.".to_owned(),
        1 => "Their 1 token stops working now.".to_owned(),
        n => format!("Their {n} tokens stop working now."),
    };
    let (verb, text, danger) = match action.as_str() {
        "remove" => (
            "Remove",
            format!("{name} loses access to this workspace for good. {tokens} They are logged out everywhere, and their booking page goes offline."),
            true,
        ),
        "deactivate" => (
            "Deactivate",
            format!("{name} cannot log in or use the API until you reactivate them. {tokens} Their booking page takes no bookings meanwhile."),
            true,
        ),
        "reactivate" => (
            "Reactivate",
            format!("{name} can log in again, and their tokens work again unless they were revoked or have expired."),
            false,
        ),
        _ => return failure(ServiceError::not_found("Page not found")),
    };
    Confirm {
        layout: Layout::new(format!("{verb} {name} · termin")).dashboard(),
        nav: v.nav(Section::Members),
        heading: format!("{verb} {name}?"),
        text,
        action: format!("/dashboard/members/{id}/{action}"),
        button: format!("{verb} {name}"),
        danger,
        back: format!("/dashboard/members/{id}"),
    }
    .page()
}

pub async fn change(
    State(state): State<AppState>,
    Path((id, action)): Path<(String, String)>,
    Posted { viewer: v, fields }: Posted,
) -> Response {
    if let Some(page) = v.admin_only("manage members") {
        return page;
    }
    let Some(id) = parse_id::<UserId>(&id) else {
        return missing("member");
    };
    let done = match action.as_str() {
        "role" => match parse_role(field(&fields, "role")) {
            Ok(role) => users::set_role(&state.service, &v.caller, id, role)
                .await
                .map(|_| ()),
            Err(e) => Err(e),
        },
        "deactivate" => users::set_active(&state.service, &v.caller, id, false)
            .await
            .map(|_| ()),
        "reactivate" => users::set_active(&state.service, &v.caller, id, true)
            .await
            .map(|_| ()),
        "remove" => users::remove(&state.service, &v.caller, id).await,
        _ => Err(ServiceError::not_found("Page not found")),
    };
    match done {
        Ok(()) if action == "remove" => Redirect::to("/dashboard/members").into_response(),
        Ok(()) => Redirect::to(&format!("/dashboard/members/{id}")).into_response(),
        Err(e) => failure(e),
    }
}
