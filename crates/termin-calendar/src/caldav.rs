//! A CalDAV client (RFC 4791), as small as termin needs it, and the ICS feed fetch.
//!
//! Discovery follows RFC 6764: the given URL, or `/.well-known/caldav` on its host, is asked for
//! the `current-user-principal`; the principal for its `calendar-home-set`; the home for its
//! calendars. A calendar's change tag is its `getctag` (the CalendarServer extension that
//! iCloud, Fastmail, Nextcloud, Baïkal, Radicale and Google offer): a calendar whose tag has not
//! changed since the last sync is not read again. Not the RFC 6578 `sync-token`: Radicale took
//! 16 s to make a first one for a calendar of 5,000 events, against 0.6 s for its ctag.
//!
//! Every address a server names (principal, home, calendars) must be as safe as the one the
//! user gave: `https`, or `http` on the very host the user gave as `http` (a LAN server the
//! operator allowed). A server cannot steer the password onto plain HTTP elsewhere.

use jiff::Timestamp;
use reqwest::{Method, StatusCode};
use roxmltree::{Document, Node};
use url::Url;

use crate::http::{Answer, CalendarError, Client, Login};

const DAV: &str = "DAV:";
const CALDAV: &str = "urn:ietf:params:xml:ns:caldav";
const CS: &str = "http://calendarserver.org/ns/";
const ICAL: &str = "http://apple.com/ns/ical/";

/// One calendar of an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteCalendar {
    /// The calendar collection's URL.
    pub url: Url,
    pub name: String,
    pub color: Option<String>,
    /// Changes whenever an event in it changes (getctag), when the server says.
    pub tag: Option<String>,
}

/// What discovery found.
#[derive(Debug, Clone)]
pub struct Account {
    pub home: Url,
    pub calendars: Vec<RemoteCalendar>,
}

const PRINCIPAL_BODY: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<D:propfind xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:prop><D:current-user-principal/><C:calendar-home-set/><D:resourcetype/></D:prop>
</D:propfind>"#;

const CALENDARS_BODY: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<D:propfind xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav" xmlns:CS="http://calendarserver.org/ns/" xmlns:I="http://apple.com/ns/ical/">
  <D:prop><D:resourcetype/><D:displayname/><I:calendar-color/><CS:getctag/><C:supported-calendar-component-set/></D:prop>
</D:propfind>"#;

async fn propfind(
    client: &Client,
    url: &Url,
    login: Login<'_>,
    depth: &str,
    body: &str,
) -> Result<Answer, CalendarError> {
    let method = Method::from_bytes(b"PROPFIND").expect("a valid method");
    let answer = client
        .send(
            method,
            url,
            Some(login),
            &[
                ("depth", depth.to_owned()),
                ("content-type", "application/xml; charset=utf-8".to_owned()),
            ],
            Some(body),
        )
        .await?;
    if answer.status != StatusCode::MULTI_STATUS {
        return Err(CalendarError::Status {
            status: answer.status.as_u16(),
            what: format!("PROPFIND {}", answer.url.path()),
        });
    }
    Ok(answer)
}

/// Whether an address a server named may get the user's password: `https`, or `http` on the
/// host (and port) of the address the user gave.
pub fn acceptable(given: &Url, named: &Url) -> bool {
    named.scheme() == "https"
        || (named.scheme() == "http"
            && named.host_str() == given.host_str()
            && named.port_or_known_default() == given.port_or_known_default())
}

fn checked(given: &Url, named: Url, what: &str) -> Result<Url, CalendarError> {
    if acceptable(given, &named) {
        Ok(named)
    } else {
        Err(CalendarError::Refused(format!(
            "the server named {what} at a plain http address of another host ({}); termin sends \
             passwords there only over https",
            named.host_str().unwrap_or("?")
        )))
    }
}

/// Finds the account's calendars from the URL a user gave.
pub async fn discover(
    client: &Client,
    given: &Url,
    login: Login<'_>,
) -> Result<Account, CalendarError> {
    let mut well_known = given.clone();
    well_known.set_path("/.well-known/caldav");
    well_known.set_query(None);
    let candidates = if matches!(given.path(), "" | "/") {
        vec![well_known]
    } else {
        vec![given.clone(), well_known]
    };
    let mut last = CalendarError::Invalid("no CalDAV service was found at this address".into());
    for start in candidates {
        let answer = match propfind(client, &start, login, "0", PRINCIPAL_BODY).await {
            Ok(a) => a,
            Err(
                e @ (CalendarError::Unauthorized
                | CalendarError::Unreachable(_)
                | CalendarError::Refused(_)),
            ) => return Err(e),
            Err(e) => {
                last = e;
                continue;
            }
        };
        let found = read_multistatus(&answer)?;
        let first = found.first();
        if let Some(home) = first.and_then(|r| r.home.clone()) {
            let home = checked(given, home, "the calendar home")?;
            return Ok(Account {
                calendars: calendars(client, given, &home, login).await?,
                home,
            });
        }
        let Some(principal) = first.and_then(|r| r.principal.clone()) else {
            last = CalendarError::Invalid(
                "the server did not name the user's principal (is this a CalDAV address?)".into(),
            );
            continue;
        };
        let principal = checked(given, principal, "the user's principal")?;
        let answer = propfind(client, &principal, login, "0", PRINCIPAL_BODY).await?;
        let home = read_multistatus(&answer)?
            .into_iter()
            .find_map(|r| r.home)
            .ok_or_else(|| {
                CalendarError::Invalid("the server did not name a calendar home".into())
            })?;
        let home = checked(given, home, "the calendar home")?;
        return Ok(Account {
            calendars: calendars(client, given, &home, login).await?,
            home,
        });
    }
    Err(last)
}

/// The event calendars in a calendar home, with their change tags: those at addresses
/// [`acceptable`] for `given`, the server address the user gave.
pub async fn calendars(
    client: &Client,
    given: &Url,
    home: &Url,
    login: Login<'_>,
) -> Result<Vec<RemoteCalendar>, CalendarError> {
    let answer = propfind(client, home, login, "1", CALENDARS_BODY).await?;
    Ok(read_multistatus(&answer)?
        .into_iter()
        .filter(|r| r.is_calendar && r.has_events)
        .filter(|r| {
            let ok = acceptable(given, &r.url);
            if !ok {
                tracing::info!(calendar = %r.url, "a calendar at a plain http address of another host is left out");
            }
            ok
        })
        .map(|r| RemoteCalendar {
            name: r.name.clone().unwrap_or_else(|| {
                r.url
                    .path_segments()
                    .and_then(|mut s| s.rfind(|p| !p.is_empty()).map(str::to_owned))
                    .unwrap_or_else(|| "Calendar".into())
            }),
            url: r.url,
            color: r.color,
            tag: r.ctag,
        })
        .collect())
}

/// The calendar data of every event in `calendar` that touches `[from, to)`, one text per
/// resource (an event with its overrides).
pub async fn events(
    client: &Client,
    calendar: &Url,
    login: Login<'_>,
    from: Timestamp,
    to: Timestamp,
) -> Result<Vec<String>, CalendarError> {
    let body = format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:prop><C:calendar-data/></D:prop>
  <C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:time-range start="{}" end="{}"/></C:comp-filter></C:comp-filter></C:filter>
</C:calendar-query>"#,
        from.strftime("%Y%m%dT%H%M%SZ"),
        to.strftime("%Y%m%dT%H%M%SZ")
    );
    let method = Method::from_bytes(b"REPORT").expect("a valid method");
    let answer = client
        .send(
            method,
            calendar,
            Some(login),
            &[
                ("depth", "1".to_owned()),
                ("content-type", "application/xml; charset=utf-8".to_owned()),
            ],
            Some(&body),
        )
        .await?;
    if answer.status != StatusCode::MULTI_STATUS {
        return Err(CalendarError::Status {
            status: answer.status.as_u16(),
            what: format!("REPORT {}", answer.url.path()),
        });
    }
    Ok(read_multistatus(&answer)?
        .into_iter()
        .filter_map(|r| r.calendar_data)
        .collect())
}

/// Writes one event as `{name}.ics` in `calendar` (created, or replaced whole), and answers
/// the resource's URL.
pub async fn put_event(
    client: &Client,
    calendar: &Url,
    name: &str,
    ics: &str,
    login: Login<'_>,
) -> Result<Url, CalendarError> {
    let url = resource(calendar, name)?;
    let answer = client
        .send(
            Method::PUT,
            &url,
            Some(login),
            &[("content-type", "text/calendar; charset=utf-8".to_owned())],
            Some(ics),
        )
        .await?;
    if !answer.status.is_success() {
        return Err(CalendarError::Status {
            status: answer.status.as_u16(),
            what: format!("PUT {}", url.path()),
        });
    }
    Ok(url)
}

/// Removes one event; one that is gone already is fine.
pub async fn delete_event(
    client: &Client,
    url: &Url,
    login: Login<'_>,
) -> Result<(), CalendarError> {
    let answer = client
        .send(Method::DELETE, url, Some(login), &[], None)
        .await?;
    if answer.status.is_success()
        || answer.status == StatusCode::NOT_FOUND
        || answer.status == StatusCode::GONE
    {
        return Ok(());
    }
    Err(CalendarError::Status {
        status: answer.status.as_u16(),
        what: format!("DELETE {}", url.path()),
    })
}

/// The URL of resource `{name}.ics` in a calendar collection.
pub fn resource(calendar: &Url, name: &str) -> Result<Url, CalendarError> {
    let mut base = calendar.clone();
    if !base.path().ends_with('/') {
        let path = format!("{}/", base.path());
        base.set_path(&path);
    }
    base.join(&format!("{name}.ics"))
        .map_err(|_| CalendarError::Invalid("a calendar URL that cannot hold events".into()))
}

/// The answer to a conditional fetch of an ICS feed.
pub enum Feed {
    NotModified,
    Changed {
        body: String,
        etag: Option<String>,
        last_modified: Option<String>,
    },
}

/// Fetches an ICS feed, conditionally when an earlier answer gave an ETag or Last-Modified.
pub async fn fetch_feed(
    client: &Client,
    url: &Url,
    etag: Option<&str>,
    last_modified: Option<&str>,
) -> Result<Feed, CalendarError> {
    let mut headers = vec![("accept", "text/calendar, */*;q=0.5".to_owned())];
    if let Some(e) = etag {
        headers.push(("if-none-match", e.to_owned()));
    }
    if let Some(m) = last_modified {
        headers.push(("if-modified-since", m.to_owned()));
    }
    let answer = client.send(Method::GET, url, None, &headers, None).await?;
    if answer.status == StatusCode::NOT_MODIFIED {
        return Ok(Feed::NotModified);
    }
    if !answer.status.is_success() {
        return Err(CalendarError::Status {
            status: answer.status.as_u16(),
            what: "the feed's address".into(),
        });
    }
    let header = |name: &str| {
        answer
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    Ok(Feed::Changed {
        etag: header("etag"),
        last_modified: header("last-modified"),
        body: answer.body,
    })
}

/// What termin reads of one `<response>` of a multistatus answer (only from `200` propstats).
#[derive(Debug)]
struct Found {
    url: Url,
    principal: Option<Url>,
    home: Option<Url>,
    is_calendar: bool,
    has_events: bool,
    name: Option<String>,
    color: Option<String>,
    ctag: Option<String>,
    calendar_data: Option<String>,
}

fn child<'a, 'i>(n: Node<'a, 'i>, ns: &str, name: &str) -> Option<Node<'a, 'i>> {
    n.children().find(|c| c.has_tag_name((ns, name)))
}

fn text(n: Node<'_, '_>) -> String {
    n.descendants()
        .filter(|d| d.is_text())
        .filter_map(|d| d.text())
        .collect::<String>()
}

fn read_multistatus(answer: &Answer) -> Result<Vec<Found>, CalendarError> {
    let doc = Document::parse(&answer.body).map_err(|_| {
        CalendarError::Invalid("the calendar server's answer is not valid XML".into())
    })?;
    let href_of = |n: Node<'_, '_>| -> Option<Url> {
        child(n, DAV, "href").and_then(|h| answer.url.join(text(h).trim()).ok())
    };
    let mut found = Vec::new();
    for response in doc
        .descendants()
        .filter(|n| n.has_tag_name((DAV, "response")))
    {
        let Some(url) = href_of(response) else {
            continue;
        };
        let mut f = Found {
            url,
            principal: None,
            home: None,
            is_calendar: false,
            has_events: true,
            name: None,
            color: None,
            ctag: None,
            calendar_data: None,
        };
        for propstat in response
            .children()
            .filter(|n| n.has_tag_name((DAV, "propstat")))
        {
            let ok = child(propstat, DAV, "status").is_some_and(|s| text(s).contains(" 200"));
            let Some(prop) = child(propstat, DAV, "prop").filter(|_| ok) else {
                continue;
            };
            for p in prop.children().filter(Node::is_element) {
                let tag = p.tag_name();
                match (tag.namespace().unwrap_or(""), tag.name()) {
                    (DAV, "current-user-principal") => f.principal = href_of(p),
                    (CALDAV, "calendar-home-set") => f.home = href_of(p),
                    (DAV, "resourcetype") => f.is_calendar = child(p, CALDAV, "calendar").is_some(),
                    (DAV, "displayname") => f.name = Some(text(p)).filter(|s| !s.trim().is_empty()),
                    (ICAL, "calendar-color") => {
                        f.color = Some(text(p)).filter(|s| !s.trim().is_empty())
                    }
                    (CS, "getctag") => f.ctag = Some(text(p)).filter(|s| !s.is_empty()),
                    (CALDAV, "supported-calendar-component-set") => {
                        f.has_events = p.children().any(|c| {
                            c.has_tag_name((CALDAV, "comp"))
                                && c.attribute("name")
                                    .is_some_and(|n| n.eq_ignore_ascii_case("VEVENT"))
                        })
                    }
                    (CALDAV, "calendar-data") => f.calendar_data = Some(text(p)),
                    _ => {}
                }
            }
        }
        found.push(f);
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_goes_only_where_it_is_as_safe_as_given() {
        let lan: Url = "http://192.168.1.5:5232/".parse().unwrap();
        let public: Url = "https://dav.example.com/".parse().unwrap();
        let ok = |given: &Url, named: &str| acceptable(given, &named.parse().unwrap());
        assert!(ok(&public, "https://p07-caldav.example.net/123/calendars/"));
        assert!(!ok(&public, "http://dav.example.com/cal/"));
        assert!(ok(&lan, "http://192.168.1.5:5232/host/work/"));
        assert!(!ok(&lan, "http://192.168.1.6:5232/host/work/"));
        assert!(!ok(&lan, "http://192.168.1.5:8080/host/work/"));
        assert!(ok(&lan, "https://192.168.1.6/host/work/"));
    }
}
