//! Contacts: search a page at a time; a contact's detail with their appointments, edit and
//! delete; and a CSV import that creates each row by the rules of `POST /crm/bulk` and says what
//! became of every row. The same use cases as `/crm`.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::{Map, Value};
use termin_domain::ContactId;
use termin_service::contacts::{
    self, ContactInput, ContactView, ListQuery, Lookup, SortBy, MAX_BULK,
};
use termin_service::ServiceError;

use super::{
    field, missing, outcome, parse_id, Confirm, Nav, Outcome, Posted, Refused, Section, Viewer,
};
use crate::pages::view::{failure, query, Layout, Page};
use crate::state::AppState;

const PER_PAGE: i64 = 25;

#[derive(Deserialize)]
pub struct ListParams {
    q: Option<String>,
    page: Option<String>,
}

pub struct Row {
    pub href: String,
    pub name: String,
    pub email: String,
    pub phone: String,
    pub tags: String,
    pub next: String,
}

fn name_of(c: &ContactView) -> String {
    let name = [c.first_name.as_deref(), c.last_name.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    if name.trim().is_empty() {
        c.email
            .clone()
            .or_else(|| c.phone_number.clone())
            .unwrap_or_else(|| "Unnamed".into())
    } else {
        name
    }
}

#[derive(Template)]
#[template(path = "dash_contacts.html")]
struct ListView {
    layout: Layout,
    nav: Nav,
    search: String,
    rows: Vec<Row>,
    total: i64,
    page: i64,
    pages: i64,
    prev: Option<String>,
    next: Option<String>,
}

pub async fn list_page(
    State(state): State<AppState>,
    v: Viewer,
    Query(p): Query<ListParams>,
) -> Response {
    let search: String = p.q.unwrap_or_default().trim().chars().take(200).collect();
    let page = p
        .page
        .and_then(|p| p.parse::<i64>().ok())
        .unwrap_or(1)
        .clamp(1, 100_000);
    let q = ListQuery {
        search: (!search.is_empty()).then(|| search.clone()),
        tags: Vec::new(),
        sort_by: SortBy::UpdatedAt,
        descending: true,
        page,
        limit: PER_PAGE,
    };
    let found = match contacts::list(&state.service, &v.caller, &q).await {
        Ok(f) => f,
        Err(e) => return failure(e),
    };
    let link = |page: i64| {
        let page = page.to_string();
        let mut pairs = vec![("page", page.as_str())];
        if !search.is_empty() {
            pairs.push(("q", &search));
        }
        format!("/dashboard/contacts?{}", query(&pairs))
    };
    let pages = found.total_pages.max(1);
    Page::render(&ListView {
        layout: Layout::new("Contacts · termin").dashboard(),
        nav: v.nav(Section::Contacts),
        rows: found
            .result
            .iter()
            .map(|d| Row {
                href: format!("/dashboard/contacts/{}", d.item.id),
                name: name_of(&d.item),
                email: d.item.email.clone().unwrap_or_default(),
                phone: d.item.phone_number.clone().unwrap_or_default(),
                tags: d.item.tags.join(", "),
                next: d
                    .next_appointment_iso
                    .map(|t| v.time(t))
                    .unwrap_or_default(),
            })
            .collect(),
        total: found.total,
        prev: (page > 1).then(|| link(page - 1)),
        next: (page < pages).then(|| link(page + 1)),
        search,
        page,
        pages,
    })
    .into_response()
}

#[derive(Template)]
#[template(path = "dash_contact.html")]
struct DetailView {
    layout: Layout,
    nav: Nav,
    id: String,
    name: String,
    f: Vec<(String, String)>,
    appointments: Vec<(String, String, String)>,
    errors: Vec<String>,
    saved: bool,
}

impl DetailView {
    fn v(&self, name: &str) -> String {
        field(&self.f, name).unwrap_or_default().to_owned()
    }
}

fn values_of(c: &ContactView) -> Vec<(String, String)> {
    vec![
        ("firstName".into(), c.first_name.clone().unwrap_or_default()),
        ("lastName".into(), c.last_name.clone().unwrap_or_default()),
        ("email".into(), c.email.clone().unwrap_or_default()),
        (
            "phoneNumber".into(),
            c.phone_number.clone().unwrap_or_default(),
        ),
        ("language".into(), c.language.clone().unwrap_or_default()),
        ("tags".into(), c.tags.join(", ")),
        ("notes".into(), c.notes.clone().unwrap_or_default()),
    ]
}

async fn render_detail(
    state: &AppState,
    v: &Viewer,
    id: ContactId,
    status: StatusCode,
    typed: Option<Refused<'_>>,
    saved: bool,
) -> Response {
    let d = match contacts::details(&state.service, &v.caller, Lookup::Contact(id)).await {
        Ok(d) => d,
        Err(e) => return failure(e),
    };
    let (f, errors) = match typed {
        Some((fields, errors)) => (fields.to_vec(), errors),
        None => (values_of(&d.item), Vec::new()),
    };
    Page::with_status(
        status,
        &DetailView {
            layout: Layout::new(format!("{} · Contacts · termin", name_of(&d.item))).dashboard(),
            nav: v.nav(Section::Contacts),
            id: d.item.id.to_string(),
            name: name_of(&d.item),
            f,
            appointments: d
                .appointments
                .iter()
                .rev()
                .map(|a| {
                    (
                        format!("/dashboard/appointments/{}", a.id),
                        v.time(a.start),
                        format!(
                            "{}{}",
                            a.meeting_info.name,
                            if a.is_cancelled { " (cancelled)" } else { "" }
                        ),
                    )
                })
                .collect(),
            errors,
            saved,
        },
    )
    .into_response()
}

#[derive(Deserialize)]
pub struct Saved {
    saved: Option<String>,
}

pub async fn detail_page(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    Query(s): Query<Saved>,
) -> Response {
    let Some(id) = parse_id::<ContactId>(&id) else {
        return missing("contact");
    };
    render_detail(&state, &v, id, StatusCode::OK, None, s.saved.is_some()).await
}

/// A form field as a change: empty clears it.
fn set(fields: &[(String, String)], name: &str) -> Option<Option<String>> {
    let t = field(fields, name).unwrap_or_default().trim();
    Some((!t.is_empty()).then(|| t.to_owned()))
}

pub async fn save(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted { viewer: v, fields }: Posted,
) -> Response {
    let Some(id) = parse_id::<ContactId>(&id) else {
        return missing("contact");
    };
    let tags: Vec<String> = field(&fields, "tags")
        .unwrap_or_default()
        .split(',')
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
        .collect();
    let input = ContactInput {
        first_name: set(&fields, "firstName"),
        last_name: set(&fields, "lastName"),
        email: set(&fields, "email"),
        phone_number: set(&fields, "phoneNumber"),
        language: set(&fields, "language"),
        tags: Some(Some(tags)),
        notes: set(&fields, "notes"),
        additional_data: None,
    };
    match contacts::update(&state.service, &v.caller, id, &input).await {
        Ok(_) => Redirect::to(&format!("/dashboard/contacts/{id}?saved=1")).into_response(),
        Err(ServiceError::Conflict(m)) => {
            render_detail(
                &state,
                &v,
                id,
                StatusCode::CONFLICT,
                Some((&fields, vec![m.into_owned()])),
                false,
            )
            .await
        }
        Err(e) => match outcome(e) {
            Outcome::Page(page) => page,
            Outcome::Fields(errors) => {
                let errors = errors
                    .into_iter()
                    .map(|(f, m)| if f.is_empty() { m } else { format!("{f}: {m}") })
                    .collect();
                render_detail(
                    &state,
                    &v,
                    id,
                    StatusCode::BAD_REQUEST,
                    Some((&fields, errors)),
                    false,
                )
                .await
            }
        },
    }
}

pub async fn delete_page(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
) -> Response {
    let Some(id) = parse_id::<ContactId>(&id) else {
        return missing("contact");
    };
    let d = match contacts::details(&state.service, &v.caller, Lookup::Contact(id)).await {
        Ok(d) => d,
        Err(e) => return failure(e),
    };
    Confirm {
        layout: Layout::new("Delete contact · termin").dashboard(),
        nav: v.nav(Section::Contacts),
        heading: format!("Delete {}?", name_of(&d.item)),
        text: "The contact record and its notes go. Their appointments stay as they are.".into(),
        action: format!("/dashboard/contacts/{id}/delete"),
        button: "Delete contact".into(),
        danger: true,
        back: format!("/dashboard/contacts/{id}"),
    }
    .page()
}

pub async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted { viewer: v, .. }: Posted,
) -> Response {
    let Some(id) = parse_id::<ContactId>(&id) else {
        return missing("contact");
    };
    match contacts::delete(&state.service, &v.caller, id).await {
        Ok(()) => Redirect::to("/dashboard/contacts").into_response(),
        Err(e) => failure(e),
    }
}

#[derive(Template)]
#[template(path = "dash_import.html")]
struct ImportView {
    layout: Layout,
    nav: Nav,
    csv: String,
    error: Option<String>,
    created: usize,
    results: Vec<(usize, String, Option<String>)>,
    max: usize,
}

fn render_import(
    v: &Viewer,
    status: StatusCode,
    csv: String,
    error: Option<String>,
    results: Vec<(usize, String, Option<String>)>,
) -> Response {
    Page::with_status(
        status,
        &ImportView {
            layout: Layout::new("Import contacts · termin").dashboard(),
            nav: v.nav(Section::Contacts),
            created: results.iter().filter(|r| r.2.is_none()).count(),
            csv,
            error,
            results,
            max: MAX_BULK,
        },
    )
    .into_response()
}

pub async fn import_page(v: Viewer) -> Response {
    render_import(&v, StatusCode::OK, String::new(), None, Vec::new())
}

/// The API's field a CSV column fills, by its heading (as meetergo and common exports name it).
fn column(heading: &str) -> Option<&'static str> {
    let h: String = heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect();
    Some(match h.as_str() {
        "firstname" | "givenname" | "first" | "vorname" => "firstName",
        "lastname" | "familyname" | "surname" | "last" | "nachname" => "lastName",
        "email" | "emailaddress" | "mail" => "email",
        "phone" | "phonenumber" | "telephone" | "mobile" | "telefon" => "phoneNumber",
        "language" | "sprache" => "language",
        "tags" | "tag" => "tags",
        "notes" | "note" | "notizen" => "notes",
        _ => return None,
    })
}

/// The rows of a CSV (first line: headings) as bodies of `POST /crm/bulk`; tags are separated
/// by `;` or `|` within their cell. Unknown columns go into `additionalData`.
fn rows_of(csv_text: &str) -> Result<Vec<Value>, String> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(csv_text.as_bytes());
    let headings: Vec<String> = reader
        .headers()
        .map_err(|e| format!("The first line could not be read: {e}"))?
        .iter()
        .map(str::to_owned)
        .collect();
    if !headings
        .iter()
        .any(|h| matches!(column(h), Some("email" | "phoneNumber")))
    {
        return Err(
            "The first line must name the columns, with an “email” or “phone” column among them."
                .into(),
        );
    }
    let mut rows = Vec::new();
    for (n, record) in reader.records().enumerate() {
        let record = record.map_err(|e| format!("Line {} could not be read: {e}", n + 2))?;
        let mut row = Map::new();
        let mut extra = Map::new();
        for (heading, cell) in headings.iter().zip(record.iter()) {
            if cell.is_empty() {
                continue;
            }
            match column(heading) {
                Some("tags") => {
                    let tags: Vec<Value> = cell
                        .split([';', '|'])
                        .map(str::trim)
                        .filter(|t| !t.is_empty())
                        .map(|t| Value::String(t.to_owned()))
                        .collect();
                    row.insert("tags".into(), Value::Array(tags));
                }
                Some(key) => {
                    row.insert(key.into(), Value::String(cell.to_owned()));
                }
                None => {
                    extra.insert(heading.clone(), Value::String(cell.to_owned()));
                }
            }
        }
        if !extra.is_empty() {
            row.insert("additionalData".into(), Value::Object(extra));
        }
        rows.push(Value::Object(row));
    }
    Ok(rows)
}

pub async fn import(
    State(state): State<AppState>,
    Posted { viewer: v, fields }: Posted,
) -> Response {
    let text = field(&fields, "csv").unwrap_or_default().to_owned();
    let rows = match rows_of(&text) {
        Ok(r) if r.is_empty() => {
            return render_import(
                &v,
                StatusCode::BAD_REQUEST,
                text,
                Some("There are no rows below the headings.".into()),
                vec![],
            )
        }
        Ok(r) => r,
        Err(e) => return render_import(&v, StatusCode::BAD_REQUEST, text, Some(e), vec![]),
    };
    match contacts::bulk(&state.service, &v.caller, Some(&rows)).await {
        Ok(outcomes) => {
            let results = outcomes
                .into_iter()
                .enumerate()
                .map(|(i, r)| match r {
                    Ok(c) => (i + 2, name_of(&c), None),
                    Err(e) => {
                        let why = match e {
                            ServiceError::Invalid { fields, message } => fields
                                .first()
                                .map(|f| format!("{}: {}", f.field, f.message))
                                .unwrap_or_else(|| message.into_owned()),
                            other => other.to_string(),
                        };
                        let who = rows[i]
                            .get("email")
                            .or_else(|| rows[i].get("phoneNumber"))
                            .and_then(Value::as_str)
                            .unwrap_or("")
                            .to_owned();
                        (i + 2, who, Some(why))
                    }
                })
                .collect();
            render_import(&v, StatusCode::OK, String::new(), None, results)
        }
        Err(ServiceError::Invalid { fields, message }) => {
            let text_err = fields
                .first()
                .map(|f| f.message.clone())
                .unwrap_or_else(|| message.into_owned());
            render_import(
                &v,
                StatusCode::BAD_REQUEST,
                text,
                Some(format!("The import {text_err}.")),
                vec![],
            )
        }
        Err(e) => failure(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_columns_become_the_bulk_rows_fields() {
        let rows = rows_of(
            "First name,Last name,E-mail,Tags,Company\nAda,\"Lovelace, Countess\",ada@example.com,vip; early,Analytical\n,,,\n",
        )
        .unwrap();
        assert_eq!(rows[0]["firstName"], "Ada");
        assert_eq!(rows[0]["lastName"], "Lovelace, Countess");
        assert_eq!(rows[0]["email"], "ada@example.com");
        assert_eq!(rows[0]["tags"], serde_json::json!(["vip", "early"]));
        assert_eq!(rows[0]["additionalData"]["Company"], "Analytical");
        assert_eq!(
            rows[1],
            serde_json::json!({}),
            "an empty line is a row the rules refuse"
        );
        assert!(
            rows_of("name,company\nx,y\n").is_err(),
            "no e-mail or phone column"
        );
    }
}
