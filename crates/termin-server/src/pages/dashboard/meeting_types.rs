//! Meeting types: the list with each booking link, enabling and disabling, a new one, and the
//! editor of every setting (length, channel, buffers, notice, horizon, spots, allowed lengths,
//! reminders, the schedule it uses and the booking questions), through the same use cases as
//! `/v4/meeting-type`. The personal page's settings are here too.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use termin_domain::questions::{BookingQuestion, QuestionKind};
use termin_domain::validate::Slug;
use termin_domain::MeetingTypeId;
use termin_service::availability;
use termin_service::meeting_types::{
    self, DaysIntoFuture, MeetingInfoInput, MeetingOptionsInput, MeetingTypeInput, MeetingTypeView,
    CHANNELS,
};
use termin_service::personal_pages::{self, OnlineProfilesInput, PersonalPageInput};
use termin_service::ServiceError;

use super::{
    all, field, missing, outcome, parse_id, Confirm, Nav, Outcome, Posted, Refused, Section, Viewer,
};
use crate::labels::{channel_label, duration_label};
use crate::pages::view::{failure, Layout, Page};
use crate::state::AppState;

pub struct TypeRow {
    pub id: String,
    pub name: String,
    pub length: String,
    pub place: String,
    pub url: String,
    pub enabled: bool,
}

#[derive(Template)]
#[template(path = "dash_types.html")]
struct ListView {
    layout: Layout,
    nav: Nav,
    types: Vec<TypeRow>,
    name: String,
    duration: String,
    errors: Vec<String>,
}

async fn render_list(
    state: &AppState,
    v: &Viewer,
    status: StatusCode,
    form: (String, String),
    errors: Vec<String>,
) -> Response {
    let types = match meeting_types::list(&state.service, &v.caller).await {
        Ok(t) => t,
        Err(e) => return failure(e),
    };
    let rows = types
        .into_iter()
        .map(|m| TypeRow {
            id: m.id.to_string(),
            length: duration_label(m.meeting_info.duration),
            place: channel_label(&m.meeting_info.channel).to_owned(),
            url: m.booking_url,
            enabled: m.enabled,
            name: m.meeting_info.name,
        })
        .collect();
    Page::with_status(
        status,
        &ListView {
            layout: Layout::new("Meeting types · termin").dashboard(),
            nav: v.nav(Section::MeetingTypes),
            types: rows,
            name: form.0,
            duration: form.1,
            errors,
        },
    )
    .into_response()
}

pub async fn list_page(State(state): State<AppState>, v: Viewer) -> Response {
    render_list(
        &state,
        &v,
        StatusCode::OK,
        (String::new(), "30".into()),
        vec![],
    )
    .await
}

/// What a use case's field errors say, as a person reads them.
fn readable(errors: Vec<(String, String)>) -> Vec<String> {
    const NAMES: &[(&str, &str)] = &[
        ("meetingInfo.name", "Name"),
        ("meetingInfo.description", "Description"),
        ("meetingInfo.duration", "Length"),
        ("meetingInfo.channel", "Where"),
        ("meetingInfo.bufferBefore", "Buffer before"),
        ("meetingInfo.bufferAfter", "Buffer after"),
        ("meetingInfo.color", "Colour"),
        ("meetingOptions.allowedDurations", "Other lengths"),
        ("timeslotInterval", "Start times every"),
        ("bookingMinimum", "Minimum notice"),
        ("daysIntoFuture.bookingLimit", "Bookable days ahead"),
        ("reminderMinutesBefore", "Reminder"),
        ("availabilityId", "Schedule"),
        ("bookingQuestions", "Question"),
        ("slug", "Link name"),
        ("spots", "Seats"),
    ];
    errors
        .into_iter()
        .map(|(f, m)| {
            let name = NAMES
                .iter()
                .find(|(k, _)| f.starts_with(k))
                .map(|(k, n)| {
                    format!(
                        "{n}{}",
                        f[k.len()..]
                            .replace('[', " ")
                            .replace(']', "")
                            .replace('.', " ")
                    )
                })
                .unwrap_or(f);
            if name.is_empty() {
                m
            } else {
                format!("{name}: {m}")
            }
        })
        .collect()
}

fn number(
    fields: &[(String, String)],
    name: &str,
    api: &str,
    errors: &mut Vec<(String, String)>,
) -> Option<i64> {
    let raw = field(fields, name).unwrap_or_default().trim();
    if raw.is_empty() {
        return None;
    }
    match raw.parse() {
        Ok(n) => Some(n),
        Err(_) => {
            errors.push((api.into(), "must be a whole number".into()));
            None
        }
    }
}

pub async fn create(
    State(state): State<AppState>,
    Posted { viewer: v, fields }: Posted,
) -> Response {
    let name = field(&fields, "name").unwrap_or_default().to_owned();
    let duration_text = field(&fields, "duration").unwrap_or_default().to_owned();
    let mut errors = Vec::new();
    let duration = number(&fields, "duration", "meetingInfo.duration", &mut errors);
    let result = if errors.is_empty() {
        let input = MeetingTypeInput {
            meeting_info: Some(MeetingInfoInput {
                name: Some(name.clone()),
                duration,
                ..Default::default()
            }),
            slug: Some(Slug::derive(&name).as_str().to_owned()),
            ..Default::default()
        };
        meeting_types::create(&state.service, &v.caller, &input).await
    } else {
        Err(ServiceError::Invalid {
            message: "invalid".into(),
            fields: errors
                .into_iter()
                .map(|(field, message)| termin_service::FieldError { field, message })
                .collect(),
        })
    };
    match result {
        Ok(m) => Redirect::to(&format!("/dashboard/meeting-types/{}", m.id)).into_response(),
        Err(ServiceError::Conflict(m)) => {
            render_list(
                &state,
                &v,
                StatusCode::CONFLICT,
                (name, duration_text),
                vec![m.into_owned()],
            )
            .await
        }
        Err(e) => match outcome(e) {
            Outcome::Page(page) => page,
            Outcome::Fields(errors) => {
                render_list(
                    &state,
                    &v,
                    StatusCode::BAD_REQUEST,
                    (name, duration_text),
                    readable(errors),
                )
                .await
            }
        },
    }
}

pub struct QuestionRow {
    pub id: String,
    pub label: String,
    pub kind: &'static str,
    pub required: bool,
    pub options: String,
}

pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "dash_type.html")]
struct EditView {
    layout: Layout,
    nav: Nav,
    id: String,
    url: String,
    f: Vec<(String, String)>,
    enabled: bool,
    guests: bool,
    channels: Vec<Choice>,
    schedules: Vec<Choice>,
    kinds: &'static [QuestionKind],
    questions: Vec<QuestionRow>,
    errors: Vec<String>,
    saved: bool,
}

impl EditView {
    fn v(&self, name: &str) -> String {
        field(&self.f, name).unwrap_or_default().to_owned()
    }
}

/// The form's values of a stored meeting type.
fn values_of(m: &MeetingTypeView) -> Vec<(String, String)> {
    let i = &m.meeting_info;
    let opt = |n: Option<i64>| n.map(|n| n.to_string()).unwrap_or_default();
    vec![
        ("name".into(), i.name.clone()),
        ("slug".into(), m.slug.clone()),
        (
            "description".into(),
            i.description.clone().unwrap_or_default(),
        ),
        ("duration".into(), i.duration.to_string()),
        ("color".into(), i.color.clone().unwrap_or_default()),
        ("bufferBefore".into(), i.buffer_before.to_string()),
        ("bufferAfter".into(), i.buffer_after.to_string()),
        (
            "allowedDurations".into(),
            m.meeting_options
                .allowed_durations
                .iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join(", "),
        ),
        ("spots".into(), m.spots.to_string()),
        (
            "interval".into(),
            if m.timeslot_interval == i.duration {
                String::new()
            } else {
                m.timeslot_interval.to_string()
            },
        ),
        ("notice".into(), m.booking_minimum.to_string()),
        ("horizon".into(), opt(m.days_into_future.booking_limit)),
        ("reminder".into(), m.reminder_minutes_before.to_string()),
    ]
}

fn question_rows(questions: &[BookingQuestion]) -> Vec<QuestionRow> {
    let mut rows: Vec<QuestionRow> = questions
        .iter()
        .map(|q| QuestionRow {
            id: q.id.clone(),
            label: q.label.clone(),
            kind: q.kind.as_str(),
            required: q.required,
            options: q.options.join("\n"),
        })
        .collect();
    rows.push(QuestionRow {
        id: String::new(),
        label: String::new(),
        kind: "text",
        required: false,
        options: String::new(),
    });
    rows
}

/// The questions of the form: rows with a label, in order; a new row's id comes from its label.
fn questions_of(fields: &[(String, String)]) -> Vec<BookingQuestion> {
    let ids = all(fields, "q.id");
    let labels = all(fields, "q.label");
    let kinds = all(fields, "q.kind");
    let required = all(fields, "q.required");
    let options = all(fields, "q.options");
    let mut taken: Vec<String> = ids
        .iter()
        .filter(|i| !i.is_empty())
        .map(|i| (*i).to_owned())
        .collect();
    let mut out = Vec::new();
    for (n, label) in labels.iter().enumerate() {
        if label.trim().is_empty() {
            continue;
        }
        let id = match ids.get(n).filter(|i| !i.is_empty()) {
            Some(id) => (*id).to_owned(),
            None => {
                let base = Slug::derive(label)
                    .as_str()
                    .chars()
                    .take(30)
                    .collect::<String>();
                let base = if base.is_empty() {
                    "question".to_owned()
                } else {
                    base
                };
                let mut id = base.clone();
                let mut k = 2;
                while taken.contains(&id) {
                    id = format!("{base}-{k}");
                    k += 1;
                }
                taken.push(id.clone());
                id
            }
        };
        let kind = kinds
            .get(n)
            .and_then(|k| k.parse().ok())
            .unwrap_or(QuestionKind::Text);
        out.push(BookingQuestion {
            id,
            label: label.trim().to_owned(),
            kind,
            required: required.get(n).copied() == Some("yes"),
            options: if kind == QuestionKind::Choice {
                options
                    .get(n)
                    .map(|o| {
                        o.lines()
                            .map(|s| s.trim().to_owned())
                            .filter(|s| !s.is_empty())
                            .collect()
                    })
                    .unwrap_or_default()
            } else {
                Vec::new()
            },
        });
    }
    out
}

/// The form as the use case's input (every field sent), or what is not even a number.
fn input_of(fields: &[(String, String)]) -> Result<MeetingTypeInput, Vec<(String, String)>> {
    let mut errors = Vec::new();
    let text = |name: &str| field(fields, name).unwrap_or_default().trim().to_owned();
    let duration = number(fields, "duration", "meetingInfo.duration", &mut errors);
    let mut allowed = Vec::new();
    for part in text("allowedDurations")
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        match part.parse() {
            Ok(d) => allowed.push(d),
            Err(_) => errors.push((
                "meetingOptions.allowedDurations".into(),
                format!("{part} is not a number of minutes"),
            )),
        }
    }
    let input = MeetingTypeInput {
        meeting_info: Some(MeetingInfoInput {
            name: Some(text("name")),
            description: Some(text("description")),
            duration,
            channel: Some(text("channel")),
            buffer_before: number(
                fields,
                "bufferBefore",
                "meetingInfo.bufferBefore",
                &mut errors,
            )
            .or(Some(0)),
            buffer_after: number(
                fields,
                "bufferAfter",
                "meetingInfo.bufferAfter",
                &mut errors,
            )
            .or(Some(0)),
            color: Some(text("color")).filter(|c| !c.is_empty()),
        }),
        meeting_options: Some(MeetingOptionsInput {
            allowed_durations: Some(allowed),
            allow_adding_guests: Some(field(fields, "guests").is_some()),
        }),
        slug: Some(text("slug")),
        enabled: Some(field(fields, "enabled").is_some()),
        availability_id: match text("availability").as_str() {
            "" => None,
            id => match id.parse() {
                Ok(id) => Some(id),
                Err(_) => {
                    errors.push((
                        "availabilityId".into(),
                        "is not one of your schedules".into(),
                    ));
                    None
                }
            },
        },
        spots: number(fields, "spots", "spots", &mut errors).or(Some(1)),
        timeslot_interval: number(fields, "interval", "timeslotInterval", &mut errors).or(duration),
        booking_minimum: number(fields, "notice", "bookingMinimum", &mut errors).or(Some(0)),
        days_into_future: Some(DaysIntoFuture {
            booking_limit: number(
                fields,
                "horizon",
                "daysIntoFuture.bookingLimit",
                &mut errors,
            ),
        }),
        locations: None,
        metadata: None,
        booking_questions: Some(questions_of(fields)),
        reminder_minutes_before: number(fields, "reminder", "reminderMinutesBefore", &mut errors)
            .or(Some(0)),
    };
    if errors.is_empty() {
        Ok(input)
    } else {
        Err(errors)
    }
}

async fn render_edit(
    state: &AppState,
    v: &Viewer,
    m: &MeetingTypeView,
    status: StatusCode,
    typed: Option<Refused<'_>>,
    saved: bool,
) -> Response {
    let schedules = match availability::list(&state.service, &v.caller).await {
        Ok(s) => s,
        Err(e) => return failure(e),
    };
    let (f, enabled, guests, questions, errors, channel, schedule) = match typed {
        Some((fields, errors)) => (
            fields.to_vec(),
            field(fields, "enabled").is_some(),
            field(fields, "guests").is_some(),
            question_rows(&questions_of(fields)),
            errors,
            field(fields, "channel").unwrap_or_default().to_owned(),
            field(fields, "availability").unwrap_or_default().to_owned(),
        ),
        None => (
            values_of(m),
            m.enabled,
            m.meeting_options.allow_adding_guests,
            question_rows(&m.booking_questions),
            Vec::new(),
            m.meeting_info.channel.clone(),
            m.availability_id.map(|a| a.to_string()).unwrap_or_default(),
        ),
    };
    let channels = CHANNELS
        .iter()
        .map(|c| Choice {
            value: (*c).to_owned(),
            label: channel_label(c).to_owned(),
            selected: *c == channel,
        })
        .collect();
    // A meeting type without its own schedule uses the host's first: shown as chosen, and sent
    // as that schedule's id (the use case has no way to say "back to the default").
    let schedule_choices: Vec<Choice> = schedules
        .into_iter()
        .enumerate()
        .map(|(i, s)| Choice {
            selected: s.id.to_string() == schedule || (schedule.is_empty() && i == 0),
            value: s.id.to_string(),
            label: if i == 0 {
                format!("{} (your default)", s.name)
            } else {
                s.name
            },
        })
        .collect();
    Page::with_status(
        status,
        &EditView {
            layout: Layout::new(format!("{} · Meeting types · termin", m.meeting_info.name))
                .dashboard(),
            nav: v.nav(Section::MeetingTypes),
            id: m.id.to_string(),
            url: m.booking_url.clone(),
            f,
            enabled,
            guests,
            channels,
            schedules: schedule_choices,
            kinds: QuestionKind::ALL,
            questions,
            errors,
            saved,
        },
    )
    .into_response()
}

#[derive(serde::Deserialize)]
pub struct Saved {
    saved: Option<String>,
}

pub async fn edit_page(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    axum::extract::Query(q): axum::extract::Query<Saved>,
) -> Response {
    let Some(id) = parse_id::<MeetingTypeId>(&id) else {
        return missing("meeting type");
    };
    match meeting_types::get(&state.service, &v.caller, id).await {
        Ok(m) => render_edit(&state, &v, &m, StatusCode::OK, None, q.saved.is_some()).await,
        Err(e) => failure(e),
    }
}

pub async fn save(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted { viewer: v, fields }: Posted,
) -> Response {
    let Some(id) = parse_id::<MeetingTypeId>(&id) else {
        return missing("meeting type");
    };
    let stored = match meeting_types::get(&state.service, &v.caller, id).await {
        Ok(m) => m,
        Err(e) => return failure(e),
    };
    let errors = match input_of(&fields) {
        Ok(input) => match meeting_types::update(&state.service, &v.caller, id, &input).await {
            Ok(_) => {
                return Redirect::to(&format!("/dashboard/meeting-types/{id}?saved=1"))
                    .into_response()
            }
            Err(e) => match outcome(e) {
                Outcome::Page(page) => return page,
                Outcome::Fields(errors) => readable(errors),
            },
        },
        Err(errors) => readable(errors),
    };
    render_edit(
        &state,
        &v,
        &stored,
        StatusCode::BAD_REQUEST,
        Some((&fields, errors)),
        false,
    )
    .await
}

/// Deletes a meeting type (after its confirmation page).
pub async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted { viewer: v, .. }: Posted,
) -> Response {
    let Some(id) = parse_id::<MeetingTypeId>(&id) else {
        return missing("meeting type");
    };
    match meeting_types::delete(&state.service, &v.caller, id).await {
        Ok(()) => Redirect::to("/dashboard/meeting-types").into_response(),
        Err(e) => failure(e),
    }
}

/// Enables or disables a meeting type.
pub async fn change(
    State(state): State<AppState>,
    Path((id, action)): Path<(String, String)>,
    Posted { viewer: v, .. }: Posted,
) -> Response {
    let Some(id) = parse_id::<MeetingTypeId>(&id) else {
        return missing("meeting type");
    };
    let result = match action.as_str() {
        "enable" | "disable" => {
            let input = MeetingTypeInput {
                enabled: Some(action == "enable"),
                ..Default::default()
            };
            meeting_types::update(&state.service, &v.caller, id, &input)
                .await
                .map(|_| ())
        }
        _ => return missing("action"),
    };
    match result {
        Ok(()) => Redirect::to("/dashboard/meeting-types").into_response(),
        Err(e) => failure(e),
    }
}

pub async fn delete_page(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
) -> Response {
    let Some(id) = parse_id::<MeetingTypeId>(&id) else {
        return missing("meeting type");
    };
    let m = match meeting_types::get(&state.service, &v.caller, id).await {
        Ok(m) => m,
        Err(e) => return failure(e),
    };
    Confirm {
        layout: Layout::new("Delete meeting type · termin").dashboard(),
        nav: v.nav(Section::MeetingTypes),
        heading: format!("Delete “{}”?", m.meeting_info.name),
        text: "Its booking page goes offline now. Appointments already booked stay as they are."
            .into(),
        action: format!("/dashboard/meeting-types/{id}/delete"),
        button: "Delete meeting type".into(),
        danger: true,
        back: format!("/dashboard/meeting-types/{id}"),
    }
    .page()
}

#[derive(Template)]
#[template(path = "dash_personal.html")]
struct PersonalView {
    layout: Layout,
    nav: Nav,
    url: String,
    f: Vec<(String, String)>,
    custom_colors: bool,
    show_all: bool,
    errors: Vec<String>,
    saved: bool,
}

impl PersonalView {
    fn v(&self, name: &str) -> String {
        field(&self.f, name).unwrap_or_default().to_owned()
    }
}

const PROFILE_FIELDS: &[(&str, &str)] = &[
    ("phone", "Phone"),
    ("email", "E-mail"),
    ("linkedIn", "LinkedIn"),
    ("xing", "XING"),
    ("twitter", "X (Twitter)"),
    ("facebook", "Facebook"),
    ("instagram", "Instagram"),
    ("street", "Street"),
    ("zip", "Postcode"),
    ("city", "City"),
    ("country", "Country"),
];

pub async fn personal_page(
    State(state): State<AppState>,
    v: Viewer,
    axum::extract::Query(q): axum::extract::Query<Saved>,
) -> Response {
    let p = match personal_pages::get(&state.service, &v.caller).await {
        Ok(p) => p,
        Err(e) => return failure(e),
    };
    let o = &p.online_profiles;
    let profile = [
        &o.phone,
        &o.email,
        &o.linked_in,
        &o.xing,
        &o.twitter,
        &o.facebook,
        &o.instagram,
        &o.street,
        &o.zip,
        &o.city,
        &o.country,
    ];
    let mut f: Vec<(String, String)> = vec![
        (
            "description".into(),
            p.description.clone().unwrap_or_default(),
        ),
        (
            "primaryColor".into(),
            p.primary_color.clone().unwrap_or_default(),
        ),
        (
            "secondaryColor".into(),
            p.secondary_color.clone().unwrap_or_default(),
        ),
        (
            "headerImage".into(),
            p.header_image.clone().unwrap_or_default(),
        ),
    ];
    for ((name, _), value) in PROFILE_FIELDS.iter().zip(profile) {
        f.push(((*name).into(), value.clone().unwrap_or_default()));
    }
    render_personal(
        &state,
        &v,
        StatusCode::OK,
        f,
        p.use_custom_colors,
        p.show_all_meeting_types,
        vec![],
        q.saved.is_some(),
    )
}

#[allow(clippy::too_many_arguments)]
fn render_personal(
    state: &AppState,
    v: &Viewer,
    status: StatusCode,
    f: Vec<(String, String)>,
    custom_colors: bool,
    show_all: bool,
    errors: Vec<String>,
    saved: bool,
) -> Response {
    Page::with_status(
        status,
        &PersonalView {
            layout: Layout::new("Personal page · termin").dashboard(),
            nav: v.nav(Section::MeetingTypes),
            url: format!("{}/{}", state.service.public_url, v.user.slug),
            f,
            custom_colors,
            show_all,
            errors,
            saved,
        },
    )
    .into_response()
}

pub async fn save_personal(
    State(state): State<AppState>,
    Posted { viewer: v, fields }: Posted,
) -> Response {
    let opt = |name: &str| {
        let t = field(&fields, name).unwrap_or_default().trim();
        Some((!t.is_empty()).then(|| t.to_owned()))
    };
    let input = PersonalPageInput {
        use_custom_colors: Some(field(&fields, "useCustomColors").is_some()),
        primary_color: opt("primaryColor"),
        secondary_color: opt("secondaryColor"),
        header_image: opt("headerImage"),
        description: opt("description"),
        show_all_meeting_types: Some(field(&fields, "showAll").is_some()),
        meeting_type_order: None,
        online_profiles: Some(OnlineProfilesInput {
            linked_in: opt("linkedIn"),
            facebook: opt("facebook"),
            twitter: opt("twitter"),
            instagram: opt("instagram"),
            xing: opt("xing"),
            phone: opt("phone"),
            email: opt("email"),
            street: opt("street"),
            zip: opt("zip"),
            city: opt("city"),
            country: opt("country"),
            custom_links: None,
        }),
    };
    match personal_pages::update(&state.service, &v.caller, &input).await {
        Ok(_) => Redirect::to("/dashboard/personal-page?saved=1").into_response(),
        Err(e) => match outcome(e) {
            Outcome::Page(page) => page,
            Outcome::Fields(errors) => {
                let errors = errors
                    .into_iter()
                    .map(|(f, m)| format!("{}: {m}", f.replace("onlineProfiles.", "")))
                    .collect();
                render_personal(
                    &state,
                    &v,
                    StatusCode::BAD_REQUEST,
                    fields.clone(),
                    field(&fields, "useCustomColors").is_some(),
                    field(&fields, "showAll").is_some(),
                    errors,
                    false,
                )
            }
        },
    }
}
