//! Requests to calendar servers: every host checked, every answer capped.
//!
//! - Host names are resolved through the caller's [`HostCheck`] (termin's SSRF guard), and a
//!   host written as an IP address is checked the same way before each request, so neither a
//!   URL nor a redirect reaches an internal address unless the operator allows it.
//! - Redirects are followed by hand, at most [`MAX_REDIRECTS`], keeping the method and body
//!   (`PROPFIND` on `/.well-known/caldav` is answered with one), never from `https` to `http`;
//!   the user name and password go along only within the origin they were given for.
//! - An answer's body is read up to [`MAX_BODY`]; a longer one is an error, not a truncation.
//! - Each request is limited by the client's timeout ([`Client::new`]).

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION, LOCATION};
use reqwest::{Method, StatusCode};
use url::Url;

/// The largest answer read (5,000 events are about 3 MiB).
pub const MAX_BODY: usize = 32 * 1024 * 1024;
pub const MAX_REDIRECTS: usize = 5;

pub type Addresses<'a> = Pin<Box<dyn Future<Output = Result<Vec<IpAddr>, String>> + Send + 'a>>;

/// Says which addresses a host may be reached at, or why not at all.
pub trait HostCheck: Send + Sync + 'static {
    fn addresses<'a>(&'a self, host: &'a str) -> Addresses<'a>;
}

/// What went wrong talking to a calendar server, in words a user can act on.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum CalendarError {
    #[error("the calendar server could not be reached: {0}")]
    Unreachable(String),
    #[error("the calendar server refused the user name or password")]
    Unauthorized,
    #[error("the address is not allowed: {0}")]
    Refused(String),
    #[error("the calendar server answered {status} to {what}")]
    Status { status: u16, what: String },
    #[error("the calendar server's answer is larger than {MAX_BODY} bytes")]
    TooLarge,
    #[error("{0}")]
    Invalid(String),
}

/// User name and password (an app password, for most providers).
#[derive(Clone, Copy)]
pub struct Login<'a> {
    pub username: &'a str,
    pub password: &'a str,
}

/// An HTTP client for calendar servers.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    check: Arc<dyn HostCheck>,
}

struct Resolver(Arc<dyn HostCheck>);

impl reqwest::dns::Resolve for Resolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let check = self.0.clone();
        Box::pin(async move {
            let ips = check
                .addresses(name.as_str())
                .await
                .map_err(|e| -> Box<dyn std::error::Error + Send + Sync> { e.into() })?;
            let addrs: reqwest::dns::Addrs = Box::new(
                ips.into_iter()
                    .map(|ip| SocketAddr::new(ip, 0))
                    .collect::<Vec<_>>()
                    .into_iter(),
            );
            Ok(addrs)
        })
    }
}

/// One answer, its body read whole.
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
    /// Where the answer came from, after redirects.
    pub url: Url,
}

impl Client {
    pub fn new(check: Arc<dyn HostCheck>, timeout: Duration) -> Self {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .user_agent(concat!("termin-calendar/", env!("CARGO_PKG_VERSION")))
            .dns_resolver(Arc::new(Resolver(check.clone())))
            .build()
            .expect("a TLS backend is compiled in");
        Self { http, check }
    }

    /// Sends one request, following redirects, and reads the answer.
    pub async fn send(
        &self,
        method: Method,
        url: &Url,
        login: Option<Login<'_>>,
        headers: &[(&'static str, String)],
        body: Option<&str>,
    ) -> Result<Answer, CalendarError> {
        let first = url.clone();
        let mut url = url.clone();
        let mut method = method;
        let mut body = body.map(str::to_owned);
        for _ in 0..=MAX_REDIRECTS {
            self.check_literal(&url).await?;
            let mut req = self.http.request(method.clone(), url.clone());
            // The login never leaves the origin it was given for (a redirect to another host, as
            // curl and browsers do, goes without it).
            let same_origin = url.scheme() == first.scheme()
                && url.host_str() == first.host_str()
                && url.port_or_known_default() == first.port_or_known_default();
            if let Some(l) = login.filter(|_| same_origin) {
                req = req.header(AUTHORIZATION, basic(l));
            }
            for (name, value) in headers {
                let value = HeaderValue::from_str(value)
                    .map_err(|_| CalendarError::Invalid(format!("bad {name} header")))?;
                req = req.header(*name, value);
            }
            if let Some(b) = &body {
                req = req.body(b.clone());
            }
            let mut resp = req.send().await.map_err(|e| unreachable(&e))?;
            let status = resp.status();
            if status.is_redirection() && status != StatusCode::NOT_MODIFIED {
                let next = resp
                    .headers()
                    .get(LOCATION)
                    .and_then(|l| l.to_str().ok())
                    .and_then(|l| url.join(l).ok())
                    .ok_or_else(|| {
                        CalendarError::Invalid("a redirect without a usable Location".into())
                    })?;
                if !matches!(next.scheme(), "http" | "https") {
                    return Err(CalendarError::Refused(
                        "a redirect to a non-HTTP address".into(),
                    ));
                }
                if url.scheme() == "https" && next.scheme() == "http" {
                    return Err(CalendarError::Refused(
                        "a redirect from https to http".into(),
                    ));
                }
                if status == StatusCode::SEE_OTHER {
                    method = Method::GET;
                    body = None;
                }
                url = next;
                continue;
            }
            if status == StatusCode::UNAUTHORIZED && login.is_some() {
                return Err(CalendarError::Unauthorized);
            }
            let headers = resp.headers().clone();
            let mut bytes = Vec::new();
            while let Some(chunk) = resp.chunk().await.map_err(|e| unreachable(&e))? {
                if bytes.len() + chunk.len() > MAX_BODY {
                    return Err(CalendarError::TooLarge);
                }
                bytes.extend_from_slice(&chunk);
            }
            let body = String::from_utf8(bytes).map_err(|_| {
                CalendarError::Invalid("the calendar server's answer is not UTF-8 text".into())
            })?;
            return Ok(Answer {
                status,
                headers,
                body,
                url,
            });
        }
        Err(CalendarError::Invalid(format!(
            "more than {MAX_REDIRECTS} redirects"
        )))
    }

    async fn check_literal(&self, url: &Url) -> Result<(), CalendarError> {
        let host = url
            .host_str()
            .ok_or_else(|| CalendarError::Invalid("the address has no host".into()))?;
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        if bare.parse::<IpAddr>().is_ok() {
            self.check
                .addresses(bare)
                .await
                .map_err(CalendarError::Refused)?;
        }
        Ok(())
    }
}

fn basic(l: Login<'_>) -> String {
    use base64::Engine as _;
    let pair = format!("{}:{}", l.username, l.password);
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(pair)
    )
}

fn unreachable(err: &reqwest::Error) -> CalendarError {
    let mut text = if err.is_timeout() {
        "timed out".to_owned()
    } else if err.is_connect() {
        "could not connect".to_owned()
    } else {
        "the request failed".to_owned()
    };
    let mut source = std::error::Error::source(err);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    CalendarError::Unreachable(text)
}
