//! Keeps webhook deliveries away from internal networks (SSRF): an endpoint whose host is, or
//! resolves to, a loopback, private, link-local or metadata address is refused when it is
//! created and again at every delivery, since DNS answers can change in between.

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use termin_domain::webhook::is_internal_address;
use url::Url;

pub type Lookup<'a> = Pin<Box<dyn Future<Output = io::Result<Vec<IpAddr>>> + Send + 'a>>;

/// Resolves host names. The system resolver in production; tests pass their own.
pub trait NameLookup: Send + Sync {
    fn lookup<'a>(&'a self, host: &'a str) -> Lookup<'a>;
}

pub struct SystemLookup;

impl NameLookup for SystemLookup {
    fn lookup<'a>(&'a self, host: &'a str) -> Lookup<'a> {
        Box::pin(async move {
            Ok(tokio::net::lookup_host((host, 0))
                .await?
                .map(|a| a.ip())
                .collect())
        })
    }
}

/// A resolver with fixed answers, for tests: no name ever reaches real DNS.
#[derive(Default)]
pub struct StaticLookup(Mutex<HashMap<String, Vec<IpAddr>>>);

impl StaticLookup {
    pub fn set(&self, host: &str, ips: Vec<IpAddr>) {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(host.to_owned(), ips);
    }
}

impl NameLookup for StaticLookup {
    fn lookup<'a>(&'a self, host: &'a str) -> Lookup<'a> {
        let found = self
            .0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(host)
            .cloned();
        Box::pin(async move {
            found.ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "unknown host"))
        })
    }
}

#[derive(Clone)]
pub struct TargetGuard {
    lookup: Arc<dyn NameLookup>,
    allow_private: bool,
}

impl TargetGuard {
    pub fn new(lookup: Arc<dyn NameLookup>, allow_private: bool) -> Self {
        Self {
            lookup,
            allow_private,
        }
    }

    /// The addresses `host` may be reached at, or why it may not be reached at all.
    pub async fn allowed_addresses(&self, host: &str) -> Result<Vec<IpAddr>, String> {
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        let ips =
            match bare.parse::<IpAddr>() {
                Ok(ip) => vec![ip],
                Err(_) => self.lookup.lookup(bare).await.map_err(|e| {
                    format!("the endpoint's host {bare} could not be resolved: {e}")
                })?,
            };
        if ips.is_empty() {
            return Err(format!("the endpoint's host {bare} has no addresses"));
        }
        if !self.allow_private {
            if let Some(ip) = ips.iter().find(|ip| is_internal_address(**ip)) {
                return Err(format!(
                    "the endpoint resolves to {ip}, an internal address; set TERMIN_WEBHOOKS_ALLOW_PRIVATE_NETWORKS=true to allow it"
                ));
            }
        }
        Ok(ips)
    }

    /// Checks an endpoint URL: http(s), a host, no credentials in it, an allowed address, and
    /// HTTPS for every public target.
    pub async fn check_endpoint(&self, raw: &str) -> Result<Url, String> {
        if raw.trim() != raw {
            return Err("must not begin or end with spaces".into());
        }
        let url =
            Url::parse(raw).map_err(|_| "must be an absolute http or https URL".to_owned())?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err("must be an http or https URL".into());
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err("must not contain credentials".into());
        }
        let host = url.host_str().ok_or("must name a host")?.to_owned();
        let ips = self.allowed_addresses(&host).await?;
        if url.scheme() == "http" && ips.iter().any(|ip| !is_internal_address(*ip)) {
            return Err("must use https for a public endpoint".into());
        }
        Ok(url)
    }
}

/// Calendar servers and ICS feeds pass the same guard as webhooks, with the same switch.
impl termin_calendar::http::HostCheck for TargetGuard {
    fn addresses<'a>(&'a self, host: &'a str) -> termin_calendar::http::Addresses<'a> {
        Box::pin(self.allowed_addresses(host))
    }
}
