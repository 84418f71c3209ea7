//! What the messages say, in English and German.

use jiff::tz::TimeZone;
use jiff::Timestamp;
use termin_service::mail::MailKind;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    De,
}

impl Lang {
    pub fn of(code: &str) -> Self {
        if code == "de" {
            Self::De
        } else {
            Self::En
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::De => "de",
        }
    }
}

const DE_DAYS: [&str; 7] = [
    "Montag",
    "Dienstag",
    "Mittwoch",
    "Donnerstag",
    "Freitag",
    "Samstag",
    "Sonntag",
];
const DE_MONTHS: [&str; 12] = [
    "Januar",
    "Februar",
    "März",
    "April",
    "Mai",
    "Juni",
    "Juli",
    "August",
    "September",
    "Oktober",
    "November",
    "Dezember",
];

/// "Thursday, 3 December 2026, 10:00" / "Donnerstag, 3. Dezember 2026, 10:00"
pub fn when(lang: Lang, t: Timestamp, tz: &TimeZone) -> String {
    let z = t.to_zoned_datetime(tz.clone());
    match lang {
        Lang::En => z.strftime("%A, %-d %B %Y, %H:%M").to_string(),
        Lang::De => format!(
            "{}, {}. {} {}, {}",
            DE_DAYS[usize::from(z.weekday().to_monday_zero_offset().unsigned_abs())],
            z.day(),
            DE_MONTHS[usize::from(z.month().unsigned_abs()) - 1],
            z.year(),
            z.strftime("%H:%M")
        ),
    }
}

/// "Thursday, 3 December 2026, 10:00 – 10:30"
pub fn span(lang: Lang, start: Timestamp, end: Timestamp, tz: &TimeZone) -> String {
    let s = start.to_zoned_datetime(tz.clone());
    let e = end.to_zoned_datetime(tz.clone());
    if s.date() == e.date() {
        format!("{} – {}", when(lang, start, tz), e.strftime("%H:%M"))
    } else {
        format!("{} – {}", when(lang, start, tz), when(lang, end, tz))
    }
}

/// The words of one kind of message. `{title}`, `{other}`, `{when}`, `{previous}` and `{name}`
/// are filled in.
pub struct Words {
    pub subject: &'static str,
    pub heading: &'static str,
    pub intro: &'static str,
}

pub fn words(lang: Lang, kind: MailKind) -> Words {
    use MailKind::*;
    let (subject, heading, intro) = match (lang, kind) {
        (Lang::En, Confirmation) => (
            "Confirmed: {title} with {other}, {when}",
            "Your meeting is booked",
            "Hello {name}, your {title} with {other} is confirmed. The invitation is attached; add it to your calendar.",
        ),
        (Lang::De, Confirmation) => (
            "Bestätigt: {title} mit {other}, {when}",
            "Ihr Termin ist gebucht",
            "Hallo {name}, Ihr Termin „{title}“ mit {other} ist bestätigt. Die Einladung ist angehängt; übernehmen Sie sie in Ihren Kalender.",
        ),
        (Lang::En, Invitation) => (
            "Invitation: {title} with {other}, {when}",
            "You are invited",
            "Hello, you are invited to {title} with {other}.",
        ),
        (Lang::De, Invitation) => (
            "Einladung: {title} mit {other}, {when}",
            "Sie sind eingeladen",
            "Hallo, Sie sind zum Termin „{title}“ mit {other} eingeladen.",
        ),
        (Lang::En, HostBooked) => (
            "New booking: {title} with {other}, {when}",
            "New booking",
            "{other} booked {title}.",
        ),
        (Lang::De, HostBooked) => (
            "Neue Buchung: {title} mit {other}, {when}",
            "Neue Buchung",
            "{other} hat „{title}“ gebucht.",
        ),
        (Lang::En, Updated) => (
            "Moved: {title} with {other}, now {when}",
            "Your meeting has moved",
            "Hello {name}, {title} with {other} has moved from {previous} to {when}. The updated invitation is attached.",
        ),
        (Lang::De, Updated) => (
            "Verschoben: {title} mit {other}, jetzt {when}",
            "Ihr Termin wurde verschoben",
            "Hallo {name}, der Termin „{title}“ mit {other} wurde von {previous} auf {when} verschoben. Die aktualisierte Einladung ist angehängt.",
        ),
        (Lang::En, Cancelled) => (
            "Cancelled: {title} with {other}, {when}",
            "Your meeting is cancelled",
            "Hello {name}, {title} with {other} on {when} is cancelled.",
        ),
        (Lang::De, Cancelled) => (
            "Abgesagt: {title} mit {other}, {when}",
            "Ihr Termin ist abgesagt",
            "Hallo {name}, der Termin „{title}“ mit {other} am {when} ist abgesagt.",
        ),
        (Lang::En, SeatCancelled) => (
            "{other} cancelled: {title}, {when}",
            "An attendee cancelled",
            "{other} will not attend {title} on {when}. The meeting takes place with the others.",
        ),
        (Lang::De, SeatCancelled) => (
            "{other} hat abgesagt: {title}, {when}",
            "Eine Teilnahme wurde abgesagt",
            "{other} nimmt am Termin „{title}“ am {when} nicht teil. Der Termin findet mit den anderen statt.",
        ),
        (Lang::En, Reminder) => (
            "Reminder: {title} with {other}, {when}",
            "Your meeting is coming up",
            "Hello {name}, this is a reminder of {title} with {other}.",
        ),
        (Lang::De, Reminder) => (
            "Erinnerung: {title} mit {other}, {when}",
            "Ihr Termin steht bevor",
            "Hallo {name}, wir erinnern Sie an den Termin „{title}“ mit {other}.",
        ),
        (_, QuickMail) => ("{title}", "{title}", ""),
        (Lang::En, Welcome) => (
            "{other} added you to termin",
            "Welcome to termin",
            "Hello {name}, {other} added you to their team's scheduling on termin. Choose a password to log in; the link works for 7 days and only once.",
        ),
        (Lang::De, Welcome) => (
            "{other} hat Sie zu termin hinzugefügt",
            "Willkommen bei termin",
            "Hallo {name}, {other} hat Sie zur Terminplanung des Teams auf termin hinzugefügt. Legen Sie ein Passwort fest, um sich anzumelden; der Link gilt 7 Tage und nur einmal.",
        ),
        (Lang::En, PasswordReset) => (
            "Choose a new termin password",
            "Choose a new password",
            "Hello {name}, someone asked to reset the password of your termin account. If it was you, choose a new one; the link works for an hour and only once. If it was not you, ignore this message: your password stays as it is.",
        ),
        (Lang::De, PasswordReset) => (
            "Neues Passwort für termin festlegen",
            "Neues Passwort festlegen",
            "Hallo {name}, jemand hat angefordert, das Passwort Ihres termin-Kontos zurückzusetzen. Wenn Sie es waren, legen Sie ein neues fest; der Link gilt eine Stunde und nur einmal. Wenn nicht, ignorieren Sie diese Nachricht: Ihr Passwort bleibt unverändert.",
        ),
    };
    Words {
        subject,
        heading,
        intro,
    }
}

/// Labels of the details table and the rest.
pub struct Labels {
    pub when: &'static str,
    pub zone: &'static str,
    pub place: &'static str,
    pub with: &'static str,
    pub reason: &'static str,
    pub manage: &'static str,
    pub footer: &'static str,
    pub quick_footer: &'static str,
    pub account_footer: &'static str,
}

pub fn labels(lang: Lang) -> Labels {
    match lang {
        Lang::En => Labels {
            when: "When",
            zone: "Time zone",
            place: "Where",
            with: "With",
            reason: "Reason",
            manage: "See, move or cancel your booking",
            footer: "Sent by termin on behalf of {organizer}.",
            quick_footer: "Sent by {organizer} through termin. Reply to this message to answer them.",
            account_footer: "Sent by termin. Never share this link: it lets whoever has it into your account.",
        },
        Lang::De => Labels {
            when: "Wann",
            zone: "Zeitzone",
            place: "Wo",
            with: "Mit",
            reason: "Grund",
            manage: "Buchung ansehen, verschieben oder absagen",
            footer: "Gesendet von termin im Auftrag von {organizer}.",
            quick_footer: "Gesendet von {organizer} über termin. Antworten Sie auf diese Nachricht, um zu antworten.",
            account_footer: "Gesendet von termin. Geben Sie diesen Link nie weiter: Wer ihn hat, gelangt in Ihr Konto.",
        },
    }
}

/// The button of a message that carries a link into the account.
pub fn account_action(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "Choose your password",
        Lang::De => "Passwort festlegen",
    }
}
