//! The booking form: its fields as the template draws them, and what a posted form says as an
//! attendee (or what is wrong with it, field by field, in words for people).

use std::collections::BTreeMap;

use termin_domain::questions::QuestionKind;
use termin_domain::validate::Email;
use termin_service::appointments::{NewAttendee, MAX_GUESTS};
use termin_service::meeting_types::MeetingType;

/// The longest free-text note an attendee may leave on the page.
pub const MAX_NOTE_CHARS: usize = 2000;
pub const MAX_NAME_CHARS: usize = 200;

/// One input of the form, as the template draws it.
pub struct Field {
    pub id: String,
    pub name: String,
    pub label: String,
    /// `text`, `email`, `tel`, `long`, `choice` or `check`.
    pub kind: &'static str,
    pub value: String,
    pub checked: bool,
    pub required: bool,
    pub hint: Option<String>,
    pub error: Option<String>,
    pub max: usize,
    pub autocomplete: &'static str,
    /// A choice's options, and whether each is the one chosen.
    pub options: Vec<(String, bool)>,
}

/// The form's fields: name, e-mail, guests where allowed, the booking questions, and a note.
pub fn fields(
    mt: &MeetingType,
    values: &BTreeMap<String, String>,
    errors: &BTreeMap<String, String>,
) -> Vec<Field> {
    let field = |name: &str, label: &str, kind: &'static str, required: bool, max: usize| Field {
        id: name.replace('.', "-"),
        name: name.to_owned(),
        label: label.to_owned(),
        kind,
        value: values.get(name).cloned().unwrap_or_default(),
        checked: values.contains_key(name),
        required,
        hint: None,
        error: errors.get(name).cloned(),
        max,
        autocomplete: "",
        options: Vec::new(),
    };
    let mut out = vec![
        Field {
            autocomplete: "name",
            ..field("name", "Your name", "text", true, MAX_NAME_CHARS)
        },
        Field {
            autocomplete: "email",
            ..field("email", "E-mail", "email", true, 254)
        },
    ];
    if mt.settings.meeting_options.allow_adding_guests {
        out.push(Field {
            hint: Some(format!(
                "Their e-mail addresses, separated by commas; at most {MAX_GUESTS}."
            )),
            ..field("guests", "Guests", "text", false, 1300)
        });
    }
    for q in &mt.settings.booking_questions {
        let name = format!("q.{}", q.id);
        let (kind, max) = match q.kind {
            QuestionKind::Text => ("text", termin_domain::questions::MAX_TEXT_ANSWER_CHARS),
            QuestionKind::LongText => {
                ("long", termin_domain::questions::MAX_LONG_TEXT_ANSWER_CHARS)
            }
            QuestionKind::Choice => ("choice", 0),
            QuestionKind::Checkbox => ("check", 0),
            QuestionKind::Phone => ("tel", 40),
        };
        let chosen = values.get(&name);
        out.push(Field {
            options: q
                .options
                .iter()
                .map(|o| (o.clone(), chosen == Some(o)))
                .collect(),
            autocomplete: if kind == "tel" { "tel" } else { "" },
            ..field(&name, &q.label, kind, q.required, max)
        });
    }
    if !mt
        .settings
        .booking_questions
        .iter()
        .any(|q| q.id == "notes")
    {
        out.push(field(
            "notes",
            "Anything to share before the meeting?",
            "long",
            false,
            MAX_NOTE_CHARS,
        ));
    }
    out
}

/// The submitted form as one value per name (the last one sent).
pub fn values_of(pairs: Vec<(String, String)>) -> BTreeMap<String, String> {
    pairs.into_iter().collect()
}

/// The form's answers as an attendee, or what is wrong with them, by field name.
pub fn attendee_of(
    mt: &MeetingType,
    values: &BTreeMap<String, String>,
    tz: &str,
    lang: &str,
) -> Result<NewAttendee, BTreeMap<String, String>> {
    let mut errors = BTreeMap::new();
    let text = |name: &str| values.get(name).map(|v| v.trim()).unwrap_or_default();
    let name = text("name");
    if name.is_empty() {
        errors.insert("name".into(), "Please enter your name.".into());
    } else if name.chars().count() > MAX_NAME_CHARS {
        errors.insert(
            "name".into(),
            format!("At most {MAX_NAME_CHARS} characters, please."),
        );
    }
    let email = match Email::parse(text("email")) {
        Ok(e) => e.as_str().to_owned(),
        Err(_) if text("email").is_empty() => {
            errors.insert("email".into(), "Please enter your e-mail address.".into());
            String::new()
        }
        Err(_) => {
            errors.insert(
                "email".into(),
                "This does not look like an e-mail address (name@example.com).".into(),
            );
            String::new()
        }
    };
    let mut guests = Vec::new();
    if mt.settings.meeting_options.allow_adding_guests {
        for raw in text("guests").split([',', ';', ' ', '\n']) {
            let raw = raw.trim();
            if raw.is_empty() {
                continue;
            }
            match Email::parse(raw) {
                Ok(e) if !guests.contains(&e.as_str().to_owned()) => {
                    guests.push(e.as_str().to_owned())
                }
                Ok(_) => {}
                Err(_) => {
                    errors.insert("guests".into(), format!("{raw} is not an e-mail address."));
                }
            }
        }
        if guests.len() > MAX_GUESTS {
            errors.insert(
                "guests".into(),
                format!("At most {MAX_GUESTS} guests, please."),
            );
        }
    }
    let mut notes = BTreeMap::new();
    for q in &mt.settings.booking_questions {
        let name = format!("q.{}", q.id);
        let answer = match q.kind {
            QuestionKind::Checkbox => values
                .contains_key(&name)
                .then_some(serde_json::Value::Bool(true)),
            _ => Some(text(&name))
                .filter(|a| !a.is_empty())
                .map(|a| serde_json::Value::String(a.to_owned())),
        };
        if let Some(answer) = answer {
            notes.insert(q.id.clone(), answer);
        }
    }
    let note = text("notes");
    if !note.is_empty()
        && !mt
            .settings
            .booking_questions
            .iter()
            .any(|q| q.id == "notes")
    {
        if note.chars().count() > MAX_NOTE_CHARS {
            errors.insert(
                "notes".into(),
                format!("At most {MAX_NOTE_CHARS} characters, please."),
            );
        }
        notes.insert("notes".into(), serde_json::Value::String(note.to_owned()));
    }
    for (field, message) in
        termin_domain::questions::check_answers(&mt.settings.booking_questions, &notes)
    {
        let id = field.trim_start_matches("attendee.notes.");
        errors.insert(format!("q.{id}"), message);
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let (first, last) = match name.split_once(' ') {
        Some((f, l)) => (f.to_owned(), Some(l.trim().to_owned())),
        None => (name.to_owned(), None),
    };
    Ok(NewAttendee {
        email,
        firstname: Some(first),
        lastname: last,
        fullname: Some(name.to_owned()),
        phone: None,
        timezone: Some(tz.to_owned()),
        language: Some(lang.to_owned()),
        receive_reminders: true,
        notes,
        bringalong_emails: guests,
    })
}
