//! E-mail: a stored message rendered as the recipient reads it (plain text, simple HTML and a
//! calendar file), and the SMTP transport that sends it. The sending worker is
//! `jobs::mail`; `termin mail show` prints the same rendering.

mod texts;

use askama::Template;
use jiff::tz::TimeZone;
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, Message, Tokio1Executor};
use termin_service::mail::{MailKind, MailPayload, MailRecord, Person};

use self::texts::{labels, span, when, words, Lang};

/// Where mail goes out, and as whom.
#[derive(Debug, Clone)]
pub struct MailConfig {
    /// `smtp://user:pass@host:587` (STARTTLS, required when the URL holds credentials and used
    /// when offered otherwise; `?tls=required` to insist) or `smtps://user:pass@host:465` (TLS
    /// from the start). `None`: nothing is sent,
    /// and messages are kept as "not sent: no SMTP configured".
    pub smtp_url: Option<String>,
    /// The address messages come from, e.g. `termin <bookings@example.com>`.
    pub from: String,
    /// Multiplies the retry schedule (the webhooks': about a day); for tests and staging.
    pub retry_scale: f64,
    /// The longest one SMTP conversation may take.
    pub timeout: std::time::Duration,
    /// A certificate authority to trust besides the system's (`--smtp-ca-file`), PEM.
    pub ca_pem: Option<Vec<u8>>,
}

impl Default for MailConfig {
    fn default() -> Self {
        Self {
            smtp_url: None,
            from: "termin <termin@localhost>".into(),
            retry_scale: 1.0,
            timeout: std::time::Duration::from_secs(30),
            ca_pem: None,
        }
    }
}

/// The SMTP transport `config` names, or `None` without `--smtp-url`.
pub fn transport(
    config: &MailConfig,
) -> Result<Option<AsyncSmtpTransport<Tokio1Executor>>, String> {
    let Some(url) = config.smtp_url.as_deref() else {
        return Ok(None);
    };
    let parsed = reqwest::Url::parse(url).map_err(|e| format!("not a URL: {e}"))?;
    let asked = parsed
        .query_pairs()
        .find(|(k, _)| k == "tls")
        .map(|(_, v)| v.into_owned());
    // `smtp://` with a password insists on STARTTLS (a password must not cross the network in
    // clear, even when someone strips the server's offer); without one, TLS when offered.
    let default = if parsed.password().is_some() || !parsed.username().is_empty() {
        "required"
    } else {
        "opportunistic"
    };
    let asked = asked.or_else(|| (parsed.scheme() == "smtp").then(|| default.to_owned()));
    let url = match parsed.scheme() {
        "smtp" if !parsed.query_pairs().any(|(k, _)| k == "tls") => {
            let joiner = if parsed.query().is_some() { '&' } else { '?' };
            format!("{url}{joiner}tls={default}")
        }
        "smtp" | "smtps" => url.to_owned(),
        other => return Err(format!("the scheme must be smtp or smtps, not {other}")),
    };
    let mut builder =
        AsyncSmtpTransport::<Tokio1Executor>::from_url(&url).map_err(|e| e.to_string())?;
    if let Some(pem) = &config.ca_pem {
        // A relay with a certificate of a private authority: trust that authority too.
        let host = parsed.host_str().ok_or("the URL names no host")?;
        let authority = Certificate::from_pem(pem)
            .map_err(|e| format!("--smtp-ca-file is not a PEM certificate: {e}"))?;
        let params = TlsParameters::builder(host.to_owned())
            .add_root_certificate(authority)
            .build_rustls()
            .map_err(|e| e.to_string())?;
        builder = builder.tls(match (parsed.scheme(), asked.as_deref()) {
            ("smtps", _) => Tls::Wrapper(params),
            (_, Some("required")) => Tls::Required(params),
            _ => Tls::Opportunistic(params),
        });
    }
    Ok(Some(builder.timeout(Some(config.timeout)).build()))
}

/// A message as the recipient gets it.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
    /// The calendar file and its method (`REQUEST`, `CANCEL`).
    pub calendar: Option<(&'static str, String)>,
    /// Whom a reply reaches.
    pub reply_to: Option<Person>,
    /// The name shown as the sender.
    pub from_name: String,
}

#[derive(Template)]
#[template(path = "mail.html")]
struct MailHtml<'a> {
    lang: &'a str,
    subject: &'a str,
    heading: &'a str,
    paragraphs: &'a [String],
    details: &'a [(String, String)],
    action: Option<(String, String)>,
    footer: &'a str,
}

/// Letters, digits, punctuation and spaces: no line breaks or other control characters, so no
/// name or title can add a header or a line to a calendar file.
fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_owned()
}

fn fill(template: &str, pairs: &[(&str, &str)]) -> String {
    let mut out = template.to_owned();
    for (key, value) in pairs {
        out = out.replace(&format!("{{{key}}}"), value);
    }
    out
}

pub fn render(record: &MailRecord) -> Result<Rendered, String> {
    let p: MailPayload = serde_json::from_str(&record.payload).map_err(|e| e.to_string())?;
    let lang = Lang::of(&record.language);
    let l = labels(lang);
    let tz = TimeZone::get(&p.timezone).unwrap_or(TimeZone::UTC);
    let name = one_line(&p.to.name);
    if p.kind == MailKind::QuickMail {
        let title = one_line(p.title.as_deref().unwrap_or_default());
        let content = p.content.clone().unwrap_or_default();
        let sender = p.from.clone().ok_or("a quick mail without a sender")?;
        let footer = fill(l.quick_footer, &[("organizer", &one_line(&sender.name))]);
        let paragraphs: Vec<String> = content
            .split("\n\n")
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect();
        let html = MailHtml {
            lang: lang.code(),
            subject: &title,
            heading: &title,
            paragraphs: &paragraphs,
            details: &[],
            action: None,
            footer: &footer,
        }
        .render()
        .map_err(|e| e.to_string())?;
        return Ok(Rendered {
            text: format!("{content}\n\n-- \n{footer}\n"),
            html,
            subject: title,
            calendar: None,
            from_name: format!("{} (termin)", one_line(&sender.name)),
            reply_to: Some(sender),
        });
    }
    if let Some(url) = p.link.as_deref() {
        let inviter = p
            .from
            .as_ref()
            .map(|f| one_line(&f.name))
            .unwrap_or_default();
        let pairs = [("name", name.as_str()), ("other", inviter.as_str())];
        let w = words(lang, p.kind);
        let subject = fill(w.subject, &pairs);
        let heading = fill(w.heading, &pairs);
        let intro = fill(w.intro, &pairs);
        let action = (texts::account_action(lang).to_owned(), url.to_owned());
        let footer = l.account_footer.to_owned();
        let html = MailHtml {
            lang: lang.code(),
            subject: &subject,
            heading: &heading,
            paragraphs: std::slice::from_ref(&intro),
            details: &[],
            action: Some(action.clone()),
            footer: &footer,
        }
        .render()
        .map_err(|e| e.to_string())?;
        return Ok(Rendered {
            text: format!(
                "{heading}\n\n{intro}\n\n{}:\n{url}\n\n-- \n{footer}\n",
                action.0
            ),
            html,
            subject,
            calendar: None,
            from_name: "termin".into(),
            reply_to: None,
        });
    }
    let m = p.meeting.as_ref().ok_or("a message without its meeting")?;
    let to_host = matches!(p.kind, MailKind::HostBooked | MailKind::SeatCancelled)
        || (m.organizer.email == p.to.email);
    let other = if to_host {
        p.from
            .as_ref()
            .map(|f| f.name.clone())
            .or_else(|| m.invited.first().map(|i| i.name.clone()))
            .unwrap_or_default()
    } else {
        m.organizer.name.clone()
    };
    let other = one_line(&other);
    let title = one_line(&m.title);
    let start = when(lang, m.start, &tz);
    let previous = p
        .previous_start
        .map(|t| when(lang, t, &tz))
        .unwrap_or_default();
    let pairs = [
        ("title", title.as_str()),
        ("other", other.as_str()),
        ("when", start.as_str()),
        ("previous", previous.as_str()),
        ("name", name.as_str()),
    ];
    let w = words(lang, p.kind);
    let subject = fill(w.subject, &pairs);
    let heading = fill(w.heading, &pairs);
    let mut paragraphs = vec![fill(w.intro, &pairs)];
    let mut details = vec![
        (l.when.to_owned(), span(lang, m.start, m.end, &tz)),
        (l.zone.to_owned(), p.timezone.clone()),
        (
            l.place.to_owned(),
            crate::labels::place(&m.channel, m.location.as_deref()),
        ),
        (l.with.to_owned(), other.clone()),
    ];
    if let Some(reason) = p.reason.as_deref().filter(|r| !r.trim().is_empty()) {
        details.push((l.reason.to_owned(), reason.to_owned()));
    }
    details.extend(p.answers.iter().cloned());
    let action = p.manage_url.clone().map(|u| (l.manage.to_owned(), u));
    let footer = fill(l.footer, &[("organizer", &one_line(&m.organizer.name))]);
    if let Some((label, url)) = &action {
        paragraphs.push(format!("{label}: {url}"));
    }
    let html = MailHtml {
        lang: lang.code(),
        subject: &subject,
        heading: &heading,
        paragraphs: &paragraphs[..1],
        details: &details,
        action: action.clone(),
        footer: &footer,
    }
    .render()
    .map_err(|e| e.to_string())?;
    let mut text = format!("{heading}\n\n{}\n\n", paragraphs[0]);
    for (label, value) in &details {
        text.push_str(&format!("{label}: {value}\n"));
    }
    if let Some((label, url)) = &action {
        text.push_str(&format!("\n{label}:\n{url}\n"));
    }
    text.push_str(&format!("\n-- \n{footer}\n"));
    let calendar = match p.kind {
        MailKind::Confirmation
        | MailKind::Invitation
        | MailKind::HostBooked
        | MailKind::Updated => Some(("REQUEST", calendar(m, "REQUEST"))),
        MailKind::Cancelled => Some(("CANCEL", calendar(m, "CANCEL"))),
        _ => None,
    };
    let reply_to = if to_host {
        p.from.clone()
    } else {
        Some(m.organizer.clone())
    };
    Ok(Rendered {
        subject,
        text,
        html,
        calendar,
        reply_to,
        from_name: format!("{} (termin)", one_line(&m.organizer.name)),
    })
}

/// The calendar file of a message: one event with a stable UID, a SEQUENCE that grows with each
/// change, the organizer and everyone the recipient may know is invited.
fn calendar(m: &termin_service::mail::Meeting, method: &str) -> String {
    use icalendar::{Calendar, Component, Event, EventLike, Property};
    fn stamp(t: jiff::Timestamp) -> String {
        t.strftime("%Y%m%dT%H%M%SZ").to_string()
    }
    let cn = |s: &str| one_line(s).replace('"', "'");
    let mut event = Event::new();
    event
        .uid(&format!("{}@termin", m.id))
        .summary(&one_line(&m.title))
        .add_property("DTSTAMP", stamp(jiff::Timestamp::now()))
        .add_property("DTSTART", stamp(m.start))
        .add_property("DTEND", stamp(m.end))
        .add_property("SEQUENCE", m.sequence.to_string())
        .add_property(
            "STATUS",
            if method == "CANCEL" {
                "CANCELLED"
            } else {
                "CONFIRMED"
            },
        )
        .location(&crate::labels::place(&m.channel, m.location.as_deref()));
    event.append_property(
        Property::new("ORGANIZER", format!("mailto:{}", m.organizer.email))
            .add_parameter("CN", &cn(&m.organizer.name))
            .done(),
    );
    for person in &m.invited {
        event.append_multi_property(
            Property::new("ATTENDEE", format!("mailto:{}", person.email))
                .add_parameter("CN", &cn(&person.name))
                .add_parameter("ROLE", "REQ-PARTICIPANT")
                .add_parameter("PARTSTAT", "ACCEPTED")
                .done(),
        );
    }
    let mut cal = Calendar::new();
    cal.append_property(Property::new("METHOD", method));
    cal.push(event.done());
    cal.done().to_string()
}

/// The message as sent: `Message-ID` is the outbox id, so a message sent again after a crash
/// is recognisably the same one.
pub fn message(
    record: &MailRecord,
    r: &Rendered,
    config: &MailConfig,
    host: &str,
) -> Result<Message, String> {
    let from: Mailbox = config
        .from
        .parse()
        .map_err(|e| format!("--mail-from: {e}"))?;
    let from = Mailbox::new(Some(one_line(&r.from_name)), from.email);
    let to = Mailbox::new(
        None,
        record
            .recipient
            .parse()
            .map_err(|e| format!("the recipient's address: {e}"))?,
    );
    let mut b =
        Message::builder()
            .from(from)
            .to(to)
            .subject(one_line(&r.subject))
            .message_id(Some(format!("<{}@{host}>", record.id)))
            .date(
                std::time::UNIX_EPOCH
                    + std::time::Duration::from_millis(
                        record.created_at.as_millisecond().max(0) as u64
                    ),
            );
    if let Some(reply) = &r.reply_to {
        if let Ok(address) = reply.email.parse() {
            b = b.reply_to(Mailbox::new(Some(one_line(&reply.name)), address));
        }
    }
    let body = MultiPart::alternative_plain_html(r.text.clone(), r.html.clone());
    let built = match &r.calendar {
        Some((method, ics)) => {
            let kind =
                ContentType::parse(&format!("text/calendar; charset=utf-8; method={method}"))
                    .map_err(|e| e.to_string())?;
            let file: SinglePart = Attachment::new("invite.ics".into()).body(ics.clone(), kind);
            b.multipart(MultiPart::mixed().multipart(body).singlepart(file))
        }
        None => b.multipart(body),
    };
    built.map_err(|e| e.to_string())
}

/// The message as its recipient would see it, for `termin mail show`.
pub fn show(record: &MailRecord) -> Result<String, String> {
    let r = render(record)?;
    let mut out = format!(
        "To: {}\nSubject: {}\nStatus: {}{}\n",
        record.recipient,
        r.subject,
        record.status,
        record
            .last_error
            .as_deref()
            .map(|e| format!(" ({e})"))
            .unwrap_or_default()
    );
    if let Some(reply) = &r.reply_to {
        out.push_str(&format!("Reply-To: {} <{}>\n", reply.name, reply.email));
    }
    out.push('\n');
    out.push_str(&r.text);
    if let Some((method, ics)) = &r.calendar {
        out.push_str(&format!("\n[attached: invite.ics, METHOD:{method}]\n{ics}"));
    }
    Ok(out)
}
