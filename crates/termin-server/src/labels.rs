//! How the pages and the e-mails name lengths and channels.

/// "30 min" or "1 h 30 min"
pub fn duration_label(minutes: i64) -> String {
    match (minutes / 60, minutes % 60) {
        (0, m) => format!("{m} min"),
        (h, 0) => format!("{h} h"),
        (h, m) => format!("{h} h {m} min"),
    }
}

/// Where a meeting is: its channel as people name it, with its location when it has one.
pub fn place(channel: &str, location: Option<&str>) -> String {
    let name = channel_label(channel);
    match location {
        Some(l) => format!("{name}: {l}"),
        None => name.to_owned(),
    }
}

/// A channel as people name it.
pub fn channel_label(channel: &str) -> &str {
    match channel {
        "phone" => "Phone call",
        "phone-incoming" => "Phone call (the attendee calls)",
        "local" | "inPerson" => "In person",
        "local-attendee" => "In person, at the attendee's place",
        "google" | "googleMeet" => "Google Meet",
        "whatsapp" => "WhatsApp",
        "teamsForBusiness2" | "teams2ForExchange" => "Microsoft Teams",
        "whereby" => "Whereby",
        "custom" => "Custom link",
        "resource" => "Room or resource",
        "zoom" => "Zoom",
        "teams" | "msTeams" => "Microsoft Teams",
        "jitsi" => "Jitsi Meet",
        "webex" => "Webex",
        "connect" => "Video call",
        "nextcloudTalk" => "Nextcloud Talk",
        "openTalk" => "OpenTalk",
        "alfaview" => "alfaview",
        "kmeet" => "kMeet",
        other => other,
    }
}
