//! OAuth 2.1 with termin as its own authorization server, so that hosted AI assistants connect
//! to `/mcp` by URL without a user pasting a token: dynamic client registration (RFC 7591), the
//! authorization code flow with PKCE (S256 only) and a resource indicator (RFC 8707) bound to
//! the `/mcp` URL, refresh tokens that rotate, and reuse detection that revokes the whole
//! family.
//!
//! A user's consent is a *grant*. Its access tokens are personal access tokens of that user,
//! limited to the granted scope groups and expiring after an hour: authentication, scopes, plan
//! limits, a removed or deactivated owner, "no impersonation, no user management, no credentials,
//! no GDPR" hold for them because they *are* PATs. Revoking the grant revokes them in the
//! database, so the next request with one is refused on every node.

use std::borrow::Cow;

use jiff::{SignedDuration, Timestamp};
use termin_domain::credential::{
    pkce_s256_matches, random_base62, PlainPat, ScopeGroup, Scopes, SecretHash,
};
use termin_domain::principal::{Credential, Principal};
use termin_domain::{GrantId, OAuthClientId, TokenId};
use termin_storage::oauth::{self, ClientRecord, CodeRecord, ConnectedApp, GrantRecord};
use termin_storage::tokens::{self, TokenRecord};

use termin_storage::users;

use crate::{Service, ServiceError, ServiceResult};

/// How long an access token works.
pub const ACCESS_TOKEN_LIFETIME: SignedDuration = SignedDuration::from_hours(1);
/// How long a refresh token may wait for its use.
pub const REFRESH_TOKEN_LIFETIME: SignedDuration = SignedDuration::from_hours(24 * 30);
/// How long an authorization code may wait for its exchange.
pub const CODE_LIFETIME: SignedDuration = SignedDuration::from_mins(10);
/// How long a registered client no user consented to is kept.
pub const UNUSED_CLIENT_LIFETIME: SignedDuration = SignedDuration::from_hours(24 * 30);
const MAX_REDIRECT_URIS: usize = 10;
const MAX_URI_LEN: usize = 2000;

/// An OAuth error as RFC 6749 and 7591 name it: `error` is the code a client acts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthError {
    pub error: &'static str,
    pub description: Cow<'static, str>,
}

impl OAuthError {
    fn new(error: &'static str, description: impl Into<Cow<'static, str>>) -> Self {
        Self {
            error,
            description: description.into(),
        }
    }

    fn grant(description: &'static str) -> Self {
        Self::new("invalid_grant", description)
    }
}

/// The service's own failures (the database) surface as a server error; their detail is
/// logged at the edge, never sent.
impl From<ServiceError> for OAuthError {
    fn from(e: ServiceError) -> Self {
        tracing::error!(error = %e, "oauth");
        Self::new("server_error", "The server could not complete the request")
    }
}

impl From<termin_storage::StorageError> for OAuthError {
    fn from(e: termin_storage::StorageError) -> Self {
        ServiceError::from(e).into()
    }
}

/// The `/mcp` URL: the one resource termin's tokens are for.
pub fn resource(svc: &Service) -> String {
    format!("{}/mcp", svc.public_url)
}

/// A client's registration request (RFC 7591), as sent.
#[derive(Debug, Clone, Default)]
pub struct Registration {
    pub client_name: Option<String>,
    pub redirect_uris: Vec<String>,
    pub token_endpoint_auth_method: Option<String>,
    pub grant_types: Option<Vec<String>>,
    pub response_types: Option<Vec<String>>,
}

/// Registers a public client (no secret: PKCE proves the caller). Anyone may register; a client
/// can do nothing until a user consents to it.
pub async fn register(svc: &Service, r: &Registration) -> Result<ClientRecord, OAuthError> {
    let meta = |d: &'static str| OAuthError::new("invalid_client_metadata", d);
    if let Some(m) = &r.token_endpoint_auth_method {
        if m != "none" {
            return Err(meta(
                "token_endpoint_auth_method must be \"none\": termin's clients are public and use PKCE",
            ));
        }
    }
    if let Some(g) = &r.grant_types {
        if g.iter()
            .any(|g| g != "authorization_code" && g != "refresh_token")
        {
            return Err(meta(
                "grant_types may hold only authorization_code and refresh_token",
            ));
        }
    }
    if let Some(t) = &r.response_types {
        if t.iter().any(|t| t != "code") {
            return Err(meta("response_types may hold only \"code\""));
        }
    }
    if r.redirect_uris.is_empty() || r.redirect_uris.len() > MAX_REDIRECT_URIS {
        return Err(OAuthError::new(
            "invalid_redirect_uri",
            "redirect_uris must hold 1 to 10 URIs",
        ));
    }
    for uri in &r.redirect_uris {
        check_redirect_uri(uri)?;
    }
    let name = r
        .client_name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .unwrap_or("Unnamed app");
    if name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(meta(
            "client_name must be at most 100 characters, without control characters",
        ));
    }
    let record = ClientRecord {
        id: OAuthClientId::new(),
        name: name.to_owned(),
        redirect_uris: r.redirect_uris.clone(),
        created_at: svc.now(),
    };
    let mut tx = svc.db.begin_write().await?;
    oauth::prune_clients(&mut tx, record.created_at - UNUSED_CLIENT_LIFETIME).await?;
    oauth::insert_client(&mut tx, &record).await?;
    tx.commit().await?;
    Ok(record)
}

/// A redirect URI a client may register: https; http only to this machine (a local app's
/// listener, RFC 8252); or an app's own scheme (`cursor://…`). Never a fragment, and never a
/// scheme a browser would run or read from (javascript, data, file).
fn check_redirect_uri(uri: &str) -> Result<(), OAuthError> {
    let bad = |d: &'static str| OAuthError::new("invalid_redirect_uri", d);
    if uri.len() > MAX_URI_LEN
        || uri
            .chars()
            .any(|c| c.is_control() || c.is_whitespace() || c == '\\')
    {
        return Err(bad(
            "a redirect URI must be at most 2000 characters, without spaces or backslashes",
        ));
    }
    let Some((scheme, rest)) = uri.split_once(':') else {
        return Err(bad("a redirect URI must be an absolute URI"));
    };
    if uri.contains('#') {
        return Err(bad("a redirect URI must not have a fragment"));
    }
    let scheme = scheme.to_ascii_lowercase();
    let valid_scheme = scheme
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
    if !valid_scheme {
        return Err(bad("a redirect URI must be an absolute URI"));
    }
    match scheme.as_str() {
        "https" => Ok(()),
        "http" => {
            // Read as browsers read it: the host is what the URL parser says, and user
            // information (`http://evil@localhost`) is refused outright.
            let parsed =
                url::Url::parse(uri).map_err(|_| bad("a redirect URI must be an absolute URI"))?;
            let loopback = matches!(
                parsed.host(),
                Some(url::Host::Domain("localhost"))
                    | Some(url::Host::Ipv4(std::net::Ipv4Addr::LOCALHOST))
                    | Some(url::Host::Ipv6(std::net::Ipv6Addr::LOCALHOST))
            );
            if !loopback
                || !parsed.username().is_empty()
                || parsed.password().is_some()
                || rest.contains('@')
            {
                return Err(bad(
                    "an http redirect URI must point to this machine (localhost, 127.0.0.1 or [::1]); use https",
                ));
            }
            Ok(())
        }
        "javascript" | "data" | "file" | "vbscript" | "about" | "blob" | "ftp" | "ws" | "wss" => {
            Err(bad("this scheme cannot be a redirect URI"))
        }
        _ => Ok(()),
    }
}

/// The query of the authorization endpoint, as sent.
#[derive(Debug, Clone, Default)]
pub struct AuthorizeQuery {
    pub response_type: Option<String>,
    pub client_id: Option<String>,
    pub redirect_uri: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    pub scope: Option<String>,
    pub state: Option<String>,
    pub resource: Option<String>,
    /// A parameter was sent more than once (RFC 6749 3.1: refused).
    pub repeated: bool,
}

/// An authorization request that may be shown to the user.
#[derive(Debug, Clone)]
pub struct AuthorizeRequest {
    pub client: ClientRecord,
    pub redirect_uri: String,
    pub state: Option<String>,
    pub code_challenge: String,
    /// Empty: everything the user may do.
    pub scopes: Scopes,
    pub resource: String,
}

/// Why an authorization request cannot go on.
#[derive(Debug, Clone)]
pub enum AuthorizeError {
    /// The client, its redirect URI or the request's form is not acceptable.
    Shown(&'static str),
    /// The request of a known client with a registered redirect URI is refused, with the code
    /// RFC 6749 4.1.2.1 names. It is shown as well: nobody vouches for a redirect URI until a
    /// user consents, so the browser is not sent there without the user's click.
    Refused(OAuthError),
}

impl From<ServiceError> for AuthorizeError {
    fn from(e: ServiceError) -> Self {
        tracing::error!(error = %e, "oauth authorize");
        AuthorizeError::Shown("The server could not complete the request; try again")
    }
}

/// Checks an authorization request: client, exact redirect URI, PKCE, scope and resource.
pub async fn check_authorize(
    svc: &Service,
    q: &AuthorizeQuery,
) -> Result<AuthorizeRequest, AuthorizeError> {
    let client_id: OAuthClientId =
        q.client_id
            .as_deref()
            .and_then(|c| c.parse().ok())
            .ok_or(AuthorizeError::Shown(
                "The app that sent you here is not registered with this server.",
            ))?;
    let mut conn = svc.db.conn().await.map_err(ServiceError::from)?;
    let client = oauth::find_client(&mut conn, client_id)
        .await
        .map_err(ServiceError::from)?
        .ok_or(AuthorizeError::Shown(
            "The app that sent you here is not registered with this server.",
        ))?;
    let redirect_uri = match q.redirect_uri.as_deref() {
        Some(uri) if client.redirect_uris.iter().any(|r| r == uri) => uri.to_owned(),
        Some(_) => {
            return Err(AuthorizeError::Shown(
                "The app asked to send you to an address it did not register.",
            ))
        }
        None if client.redirect_uris.len() == 1 => client.redirect_uris[0].clone(),
        None => {
            return Err(AuthorizeError::Shown(
                "The app did not say where to send you back.",
            ))
        }
    };
    let state = q.state.clone();
    if state.as_ref().is_some_and(|s| s.len() > 500) {
        return Err(AuthorizeError::Shown("The app's request is too long."));
    }
    if q.repeated {
        return Err(AuthorizeError::Shown(
            "The app's request repeats a parameter.",
        ));
    }
    let fail =
        |error: &'static str, d: &'static str| AuthorizeError::Refused(OAuthError::new(error, d));
    if q.response_type.as_deref() != Some("code") {
        return Err(fail(
            "unsupported_response_type",
            "response_type must be code",
        ));
    }
    let challenge = q
        .code_challenge
        .clone()
        .ok_or_else(|| fail("invalid_request", "code_challenge is required (PKCE)"))?;
    if q.code_challenge_method.as_deref() != Some("S256") {
        return Err(fail(
            "invalid_request",
            "code_challenge_method must be S256",
        ));
    }
    if challenge.len() != 43 {
        return Err(fail(
            "invalid_request",
            "code_challenge must be the 43-character S256 challenge",
        ));
    }
    let mut groups = Vec::new();
    for word in q.scope.as_deref().unwrap_or_default().split_whitespace() {
        match word.parse::<ScopeGroup>() {
            Ok(g) => groups.push(g),
            Err(_) => {
                return Err(fail(
                    "invalid_scope",
                    "scope may hold scheduling, contacts and account",
                ))
            }
        }
    }
    let asked = Scopes::new(groups);
    let scopes = if asked.groups().len() == ScopeGroup::ALL.len() {
        Scopes::unlimited()
    } else {
        asked
    };
    let resource = resource(svc);
    if q.resource
        .as_deref()
        .is_some_and(|r| r.trim_end_matches('/') != resource)
    {
        return Err(fail(
            "invalid_target",
            "resource must be this server's /mcp URL",
        ));
    }
    Ok(AuthorizeRequest {
        client,
        redirect_uri,
        state,
        code_challenge: challenge,
        scopes,
        resource,
    })
}

/// Whether the user's workspace may hold personal access tokens, which is what an app's access
/// is: the consent page says so instead of offering a consent that could not work.
pub async fn may_consent(svc: &Service, caller: &Principal) -> ServiceResult<Result<(), String>> {
    let plan = users::plan_of(&mut *svc.db.conn().await?, caller.user_id)
        .await?
        .ok_or_else(|| ServiceError::not_found("User not found"))?;
    Ok(if plan.allows_personal_access_tokens() {
        Ok(())
    } else {
        Err(format!(
            "Connecting apps requires the Essentials plan or above; this workspace is on the {plan} plan."
        ))
    })
}

/// The user consents: a code the client exchanges for tokens. Only a dashboard session
/// consents (a token never grants access to another app).
pub async fn approve(
    svc: &Service,
    caller: &Principal,
    req: &AuthorizeRequest,
) -> ServiceResult<String> {
    if !matches!(caller.credential, Credential::Session { .. }) {
        return Err(ServiceError::forbidden(
            "Only you, logged in to the dashboard, can connect an app",
        ));
    }
    if let Err(why) = may_consent(svc, caller).await? {
        return Err(ServiceError::forbidden(why));
    }
    let code = random_base62(43);
    let record = CodeRecord {
        client_id: req.client.id,
        user_id: caller.user_id,
        scopes: req.scopes.clone(),
        redirect_uri: req.redirect_uri.clone(),
        code_challenge: req.code_challenge.clone(),
        resource: req.resource.clone(),
        expires_at: svc.now() + CODE_LIFETIME,
        grant_id: None,
    };
    let mut tx = svc.db.begin_write().await?;
    oauth::prune_codes(&mut tx, svc.now() - SignedDuration::from_hours(24)).await?;
    oauth::insert_code(&mut tx, SecretHash::of(&code), &record).await?;
    tx.commit().await?;
    Ok(code)
}

/// What the token endpoint answers.
#[derive(Debug, Clone)]
pub struct Tokens {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_in: i64,
    /// Space separated; empty for everything the user may do.
    pub scope: String,
}

/// Exchanges an authorization code (RFC 6749 4.1.3 with PKCE): once. A code presented a
/// second time revokes what its first exchange gave.
pub async fn exchange_code(
    svc: &Service,
    client_id: &str,
    code: &str,
    redirect_uri: Option<&str>,
    verifier: &str,
    resource: Option<&str>,
) -> Result<Tokens, OAuthError> {
    let now = svc.now();
    let hash = SecretHash::of(code);
    let mut tx = svc.db.begin_write().await?;
    let c = oauth::find_code(&mut tx, hash)
        .await?
        .ok_or(OAuthError::grant("The authorization code is not valid"))?;
    if let Some(grant) = c.grant_id {
        oauth::revoke_grant(&mut tx, grant, now).await?;
        tx.commit().await?;
        return Err(OAuthError::grant(
            "The authorization code was already used; the access it gave is revoked",
        ));
    }
    if c.expires_at <= now {
        return Err(OAuthError::grant("The authorization code has expired"));
    }
    if c.client_id.to_string() != client_id {
        return Err(OAuthError::grant(
            "The authorization code was issued to another client",
        ));
    }
    if redirect_uri.is_some_and(|r| r != c.redirect_uri) {
        return Err(OAuthError::grant(
            "redirect_uri differs from the authorization request's",
        ));
    }
    if !pkce_s256_matches(verifier, &c.code_challenge) {
        return Err(OAuthError::grant(
            "code_verifier does not match the code_challenge",
        ));
    }
    if resource.is_some_and(|r| r.trim_end_matches('/') != c.resource) {
        return Err(OAuthError::new(
            "invalid_target",
            "resource must be this server's /mcp URL",
        ));
    }
    let client = oauth::find_client(&mut tx, c.client_id)
        .await?
        .ok_or(OAuthError::grant("The client is gone"))?;
    let grant = GrantRecord {
        id: GrantId::new(),
        client_id: c.client_id,
        user_id: c.user_id,
        scopes: c.scopes,
        resource: c.resource,
        created_at: now,
        revoked_at: None,
    };
    oauth::insert_grant(&mut tx, &grant).await?;
    if !oauth::use_code(&mut tx, hash, grant.id).await? {
        // A parallel exchange of the same code won; this one's grant is rolled back.
        return Err(OAuthError::grant("The authorization code was already used"));
    }
    let tokens = issue(&mut tx, &grant, &client.name, now).await?;
    tx.commit().await?;
    Ok(tokens)
}

/// Rotates a refresh token: the one presented is used up and a new pair is answered. A used
/// one presented again means it leaked (or the client is broken): the whole grant is revoked.
pub async fn refresh(
    svc: &Service,
    client_id: &str,
    refresh_token: &str,
    resource: Option<&str>,
) -> Result<Tokens, OAuthError> {
    let now = svc.now();
    let hash = SecretHash::of(refresh_token);
    let mut tx = svc.db.begin_write().await?;
    let r = oauth::find_refresh(&mut tx, hash)
        .await?
        .ok_or(OAuthError::grant("The refresh token is not valid"))?;
    let grant = oauth::lock_grant(&mut tx, r.grant_id)
        .await?
        .ok_or(OAuthError::grant("The refresh token is not valid"))?;
    if grant.client_id.to_string() != client_id {
        return Err(OAuthError::grant(
            "The refresh token was issued to another client",
        ));
    }
    if grant.revoked_at.is_some() {
        return Err(OAuthError::grant("This app's access was revoked"));
    }
    if r.used_at.is_some() || !oauth::use_refresh(&mut tx, hash, now).await? {
        oauth::revoke_grant(&mut tx, grant.id, now).await?;
        tx.commit().await?;
        return Err(OAuthError::grant(
            "The refresh token was already used; this app's access is revoked",
        ));
    }
    if r.expires_at <= now {
        return Err(OAuthError::grant("The refresh token has expired"));
    }
    if resource.is_some_and(|res| res.trim_end_matches('/') != grant.resource) {
        return Err(OAuthError::new(
            "invalid_target",
            "resource must be this server's /mcp URL",
        ));
    }
    // The account must still be able to hold tokens: a removed or deactivated user, or a plan
    // without personal access tokens, ends the app's access (a later reactivation does not
    // bring it back silently).
    let user = users::find_any(&mut tx, grant.user_id).await?;
    let plan = users::plan_of(&mut tx, grant.user_id).await?;
    let usable = user.is_some_and(|u| u.deactivated_at.is_none() && u.removed_at.is_none())
        && plan.is_some_and(|p| p.allows_personal_access_tokens());
    if !usable {
        oauth::revoke_grant(&mut tx, grant.id, now).await?;
        tx.commit().await?;
        return Err(OAuthError::grant(
            "This account can no longer connect apps; the app's access is revoked",
        ));
    }
    let client = oauth::find_client(&mut tx, grant.client_id)
        .await?
        .ok_or(OAuthError::grant("The client is gone"))?;
    oauth::prune_grant(&mut tx, grant.id, now).await?;
    let tokens = issue(&mut tx, &grant, &client.name, now).await?;
    tx.commit().await?;
    Ok(tokens)
}

/// A new access token (a PAT of the grant) and refresh token.
async fn issue(
    tx: &mut termin_storage::Tx,
    grant: &GrantRecord,
    client_name: &str,
    now: Timestamp,
) -> Result<Tokens, OAuthError> {
    let access = PlainPat::generate();
    let record = TokenRecord {
        id: TokenId::new(),
        user_id: grant.user_id,
        name: format!("App: {client_name}"),
        hint: access.hint(),
        scopes: grant.scopes.clone(),
        created_at: now,
        expires_at: Some(now + ACCESS_TOKEN_LIFETIME),
        last_used_at: None,
        revoked_at: None,
    };
    tokens::insert_for_grant(tx, &record, access.hash(), grant.id).await?;
    let refresh = format!("rt-{}", random_base62(43));
    oauth::insert_refresh(
        tx,
        SecretHash::of(&refresh),
        grant.id,
        now,
        now + REFRESH_TOKEN_LIFETIME,
    )
    .await?;
    Ok(Tokens {
        access_token: access.expose().to_owned(),
        refresh_token: refresh,
        expires_in: ACCESS_TOKEN_LIFETIME.as_secs(),
        scope: grant
            .scopes
            .groups()
            .iter()
            .map(|g| g.as_str())
            .collect::<Vec<_>>()
            .join(" "),
    })
}

/// The caller's connected apps (their grants that are not revoked), newest first.
pub async fn connected_apps(svc: &Service, caller: &Principal) -> ServiceResult<Vec<ConnectedApp>> {
    Ok(oauth::connected_apps(&mut *svc.db.conn().await?, caller.user_id).await?)
}

/// Revokes one of the caller's connected apps: its tokens stop working on the next request.
pub async fn revoke(svc: &Service, caller: &Principal, grant: GrantId) -> ServiceResult<()> {
    let mut tx = svc.db.begin_write().await?;
    let found = oauth::lock_grant(&mut tx, grant).await?;
    match found {
        Some(g) if g.user_id == caller.user_id => {
            oauth::revoke_grant(&mut tx, grant, svc.now()).await?;
            tx.commit().await?;
            Ok(())
        }
        _ => Err(ServiceError::not_found("Connected app not found")),
    }
}

#[cfg(test)]
mod tests {
    use super::check_redirect_uri;

    #[test]
    fn redirect_uris_are_https_loopback_or_an_apps_own_scheme() {
        for ok in [
            "https://claude.ai/api/mcp/auth_callback",
            "http://localhost:33418/callback",
            "http://127.0.0.1/cb",
            "http://[::1]:8080/cb",
            "cursor://anysphere.cursor-retrieval/oauth/callback",
        ] {
            assert!(check_redirect_uri(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://example.com/cb",
            "http://localhost.evil.com/cb",
            "http://127.0.0.1@evil.com/cb",
            "http://evil.example\\@localhost/cb",
            "http://evil@localhost/cb",
            "https://app.example/cb#frag",
            "javascript:alert(1)",
            "data:text/html,x",
            "/relative",
            "https://app.example/a b",
        ] {
            assert!(check_redirect_uri(bad).is_err(), "{bad}");
        }
    }
}
