//! Booking questions: what a meeting type asks the attendee when they book, and the check of
//! the answers. Answers travel in the attendee's `notes`, keyed by the question's id, so they
//! are stored on the attendee and sent in webhooks with the rest of the notes; keys that name
//! no question stay free-form notes as before.

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::availability::FieldErrors;
use crate::validate::check_phone;

/// The most questions a meeting type may ask.
pub const MAX_QUESTIONS: usize = 20;
/// The most choices a choice question may offer.
pub const MAX_OPTIONS: usize = 20;
pub const MAX_ID_CHARS: usize = 40;
pub const MAX_LABEL_CHARS: usize = 200;
pub const MAX_OPTION_CHARS: usize = 100;
/// The longest answer to a `text` question; a `longText` answer may hold ten times as much.
pub const MAX_TEXT_ANSWER_CHARS: usize = 1000;
pub const MAX_LONG_TEXT_ANSWER_CHARS: usize = 10_000;

crate::tenancy::wire_enum!(
    /// What kind of answer a question takes.
    QuestionKind {
        Text = "text",
        LongText = "longText",
        Choice = "choice",
        Checkbox = "checkbox",
        Phone = "phone",
    }
);

/// One question, as stored and shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookingQuestion {
    /// The key of the answer in the attendee's `notes`.
    pub id: String,
    pub label: String,
    #[serde(rename = "type")]
    pub kind: QuestionKind,
    #[serde(default)]
    pub required: bool,
    /// The choices of a `choice` question; empty for the others.
    #[serde(default)]
    pub options: Vec<String>,
}

fn push(errors: &mut FieldErrors, path: String, message: impl Into<String>) {
    errors.push((path, message.into()));
}

fn blank(s: &str) -> bool {
    s.trim().is_empty()
}

/// Checks a meeting type's questions, naming every problem under `bookingQuestions[i]`.
pub fn validate_questions(questions: &[BookingQuestion]) -> FieldErrors {
    let mut errors = FieldErrors::new();
    if questions.len() > MAX_QUESTIONS {
        push(
            &mut errors,
            "bookingQuestions".into(),
            format!("must have at most {MAX_QUESTIONS} entries"),
        );
        return errors;
    }
    let mut ids = HashSet::new();
    for (i, q) in questions.iter().enumerate() {
        let at = |field: &str| format!("bookingQuestions[{i}].{field}");
        let id_ok = (1..=MAX_ID_CHARS).contains(&q.id.len())
            && q.id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if !id_ok {
            push(
                &mut errors,
                at("id"),
                format!("must be 1 to {MAX_ID_CHARS} letters, digits, dashes or underscores"),
            );
        } else if !ids.insert(q.id.as_str()) {
            push(&mut errors, at("id"), "is used by another question");
        }
        if blank(&q.label) || q.label.chars().count() > MAX_LABEL_CHARS {
            push(
                &mut errors,
                at("label"),
                format!("must be 1 to {MAX_LABEL_CHARS} characters"),
            );
        }
        match q.kind {
            QuestionKind::Choice => {
                if q.options.is_empty() || q.options.len() > MAX_OPTIONS {
                    push(
                        &mut errors,
                        at("options"),
                        format!("a choice needs 1 to {MAX_OPTIONS} options"),
                    );
                }
                let mut seen = HashSet::new();
                for (j, option) in q.options.iter().enumerate() {
                    if blank(option) || option.chars().count() > MAX_OPTION_CHARS {
                        push(
                            &mut errors,
                            format!("bookingQuestions[{i}].options[{j}]"),
                            format!("must be 1 to {MAX_OPTION_CHARS} characters"),
                        );
                    } else if !seen.insert(option.as_str()) {
                        push(
                            &mut errors,
                            format!("bookingQuestions[{i}].options[{j}]"),
                            "is offered twice",
                        );
                    }
                }
            }
            _ if !q.options.is_empty() => {
                push(&mut errors, at("options"), "only a choice has options");
            }
            _ => {}
        }
    }
    errors
}

/// Checks the answers in an attendee's `notes` against the questions, naming every problem
/// under `attendee.notes.<id>`: a required question needs an answer (a required checkbox must
/// be ticked), and each answer must fit its question. An unanswered optional question is
/// absent or null.
pub fn check_answers(
    questions: &[BookingQuestion],
    notes: &BTreeMap<String, Value>,
) -> FieldErrors {
    let mut errors = FieldErrors::new();
    for q in questions {
        let at = format!("attendee.notes.{}", q.id);
        let answer = notes.get(&q.id).filter(|v| !v.is_null());
        let Some(answer) = answer else {
            if q.required {
                push(&mut errors, at, format!("{} is required", q.label.trim()));
            }
            continue;
        };
        let problem = match (q.kind, answer) {
            (QuestionKind::Text | QuestionKind::LongText, Value::String(s)) => {
                let max = if q.kind == QuestionKind::Text {
                    MAX_TEXT_ANSWER_CHARS
                } else {
                    MAX_LONG_TEXT_ANSWER_CHARS
                };
                if s.chars().count() > max {
                    Some(format!("must be at most {max} characters"))
                } else if q.required && blank(s) {
                    Some(format!("{} is required", q.label.trim()))
                } else {
                    None
                }
            }
            (QuestionKind::Phone, Value::String(s)) if s.is_empty() && !q.required => None,
            (QuestionKind::Phone, Value::String(s)) => check_phone(s).err().map(str::to_owned),
            (QuestionKind::Choice, Value::String(s)) if s.is_empty() && !q.required => None,
            (QuestionKind::Choice, Value::String(s)) => (!q.options.contains(s))
                .then(|| format!("must be one of: {}", q.options.join(", "))),
            (QuestionKind::Checkbox, Value::Bool(ticked)) => {
                (q.required && !ticked).then(|| format!("{} must be ticked", q.label.trim()))
            }
            (QuestionKind::Checkbox, _) => Some("must be true or false".into()),
            _ => Some("must be text".into()),
        };
        if let Some(message) = problem {
            push(&mut errors, at, message);
        }
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn questions() -> Vec<BookingQuestion> {
        serde_json::from_value(json!([
            {"id": "company", "label": "Company", "type": "text", "required": true},
            {"id": "topic", "label": "Topic", "type": "choice", "options": ["Sales", "Support"]},
            {"id": "consent", "label": "I agree", "type": "checkbox", "required": true},
            {"id": "phone", "label": "Phone", "type": "phone"},
            {"id": "story", "label": "Tell us more", "type": "longText"}
        ]))
        .unwrap()
    }

    fn answers(v: Value) -> BTreeMap<String, Value> {
        serde_json::from_value(v).unwrap()
    }

    fn fields(errors: &FieldErrors) -> Vec<&str> {
        errors.iter().map(|(f, _)| f.as_str()).collect()
    }

    #[test]
    fn questions_are_checked_whole() {
        assert!(validate_questions(&questions()).is_empty());
        let bad: Vec<BookingQuestion> = serde_json::from_value(json!([
            {"id": "a b", "label": " ", "type": "text", "options": ["x"]},
            {"id": "c", "label": "C", "type": "choice", "options": []},
            {"id": "c", "label": "D", "type": "choice", "options": ["x", "x", ""]}
        ]))
        .unwrap();
        assert_eq!(
            fields(&validate_questions(&bad)),
            [
                "bookingQuestions[0].id",
                "bookingQuestions[0].label",
                "bookingQuestions[0].options",
                "bookingQuestions[1].options",
                "bookingQuestions[2].id",
                "bookingQuestions[2].options[1]",
                "bookingQuestions[2].options[2]",
            ]
        );
        assert!(serde_json::from_value::<BookingQuestion>(
            json!({"id": "x", "label": "X", "type": "date"})
        )
        .is_err());
    }

    #[test]
    fn answers_fit_their_questions() {
        let qs = questions();
        let good = answers(json!({
            "company": "Acme", "topic": "Sales", "consent": true, "phone": "+49 30 1234",
            "story": null, "free": "kept as a note"
        }));
        assert!(check_answers(&qs, &good).is_empty());
        // An optional choice left empty is unanswered, as an optional text would be.
        let mut empty_choice = good.clone();
        empty_choice.insert("topic".into(), json!(""));
        assert!(check_answers(&qs, &empty_choice).is_empty());
        let bad = answers(json!({
            "company": "  ", "topic": "Billing", "consent": false, "phone": "call me", "story": 3
        }));
        assert_eq!(
            fields(&check_answers(&qs, &bad)),
            [
                "attendee.notes.company",
                "attendee.notes.topic",
                "attendee.notes.consent",
                "attendee.notes.phone",
                "attendee.notes.story",
            ]
        );
        let missing = check_answers(&qs, &BTreeMap::new());
        assert_eq!(
            fields(&missing),
            ["attendee.notes.company", "attendee.notes.consent"]
        );
        assert_eq!(missing[0].1, "Company is required");
    }
}
