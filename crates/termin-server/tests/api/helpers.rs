//! The test harness: a `TestApp` per test on a fresh database (an SQLite file in a temp dir, or
//! a new database on the throwaway PostgreSQL cluster), requests sent in-process through the
//! router (no sockets), and fixtures built through the same service layer the API uses.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, HeaderMap, Method, Request, StatusCode};
use axum::Router;
use jiff::Timestamp;
use serde_json::Value;
use termin_domain::credential::{PlainApiKey, PlainSessionSecret, Scopes};
use termin_domain::tenancy::{Plan, Role, UserType};
use termin_domain::validate::{Email, Language, PersonName, TimeZoneName};
use termin_domain::{ApiKeyId, CompanyId, SessionId};
use termin_server::config::{Config, RateLimitConfig};
use termin_server::state::AppState;
use termin_service::guard::StaticLookup;
use termin_service::ManualClock;
use termin_service::{companies, credentials, users};
use termin_storage::api_keys::{self, ApiKeyRecord};
use termin_storage::sessions::{self, NewSession};
use termin_storage::users::UserRecord;
use termin_storage::Db;
use tower::ServiceExt;

pub struct TestApp {
    pub db: Db,
    /// The clock every use case reads: it stands still until a test moves it.
    pub clock: ManualClock,
    pub router: Router,
    pub state: AppState,
    /// The resolver webhook endpoints are checked with: no name ever reaches real DNS.
    /// `receiver.test` resolves to a public address; tests never deliver to it.
    pub lookup: Arc<StaticLookup>,
    _dir: Option<tempfile::TempDir>,
}

/// Runs a test body once per backend. The PostgreSQL variant is skipped (with a note) where no
/// PostgreSQL server binaries exist, unless `TERMIN_TEST_REQUIRE_POSTGRES=1`.
#[macro_export]
macro_rules! backend_tests {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let app = $crate::helpers::TestApp::sqlite().await;
                    super::$name(app).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if let Some(app) = $crate::helpers::TestApp::postgres().await {
                        super::$name(app).await;
                    }
                }
            )*
        }
    };
}

pub fn test_config() -> Config {
    let mut config = Config::new(SocketAddr::from(([127, 0, 0, 1], 0)), "");
    // The suite sends many requests with one credential; rate limits have their own test.
    config.rate_limit = RateLimitConfig {
        per_minute: 1_000_000,
        burst: 1_000_000,
    };
    config.auth_failure_limit = config.rate_limit;
    config.public_url = "http://termin.test".into();
    config
}

/// A fresh SQLite database URL in a new temp dir (kept alive by the returned guard).
pub fn sqlite_url() -> (String, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("termin.db").display());
    (url, dir)
}

impl TestApp {
    pub async fn sqlite() -> Self {
        let (url, dir) = sqlite_url();
        Self::with_url(url, Some(dir), test_config()).await
    }

    pub async fn postgres() -> Option<Self> {
        let url = crate::pg::fresh_database().await?;
        Some(Self::with_url(url, None, test_config()).await)
    }

    pub async fn with_url(url: String, dir: Option<tempfile::TempDir>, config: Config) -> Self {
        if std::env::var("TEST_LOG").is_ok() {
            termin_server::telemetry::init();
        }
        let db = Db::connect(&url).await.expect("connect and migrate");
        let lookup = Arc::new(StaticLookup::default());
        lookup.set("receiver.test", vec!["93.184.216.34".parse().unwrap()]);
        let clock = ManualClock::starting_at(Timestamp::now());
        let state = AppState::with(
            db.clone(),
            Config {
                database_url: url,
                ..config
            },
            lookup.clone(),
            clock.clock(),
        );
        Self {
            router: termin_server::app::router(state.clone()),
            state,
            db,
            clock,
            lookup,
            _dir: dir,
        }
    }

    /// This app with another configuration, same database and resolver.
    pub fn with_config(self, config: Config) -> TestApp {
        let state = AppState::with(
            self.db.clone(),
            config,
            self.lookup.clone(),
            self.clock.clock(),
        );
        TestApp {
            router: termin_server::app::router(state.clone()),
            state,
            ..self
        }
    }

    /// The same database with another configuration (e.g. tight rate limits).
    pub fn reconfigured(&self, config: Config) -> Router {
        let state = AppState::with(
            self.db.clone(),
            config,
            self.lookup.clone(),
            self.clock.clock(),
        );
        termin_server::app::router(state)
    }

    pub async fn send(&self, request: Request<Body>) -> TestResponse {
        send(&self.router, request).await
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        auth: &Auth,
        body: Option<Value>,
    ) -> TestResponse {
        self.send(build(method, path, auth, body)).await
    }

    pub async fn get(&self, path: &str, auth: &Auth) -> TestResponse {
        self.call(Method::GET, path, auth, None).await
    }

    /// A company on `plan` with an owner, an admin and a member, each with an unlimited PAT.
    pub async fn company(&self, plan: Plan) -> Company {
        let tag = uuid::Uuid::now_v7().simple().to_string();
        let owner_new = new_user(
            &format!("owner-{tag}@example.com"),
            "Olivia",
            "Owner",
            Role::Owner,
        );
        let (company, owner) =
            companies::create_company(&self.state.service, "Acme", plan, owner_new)
                .await
                .expect("create company");
        // PATs are issued while the plan allows them; tests of plan gates change it afterwards.
        let pat_plan = !plan.allows_personal_access_tokens();
        if pat_plan {
            companies::set_plan(&self.state.service, company.id, Plan::Essentials)
                .await
                .unwrap();
        }
        let owner = self.member_from(owner).await;
        let admin = self.add_user(company.id, Role::Admin).await;
        let member = self.add_user(company.id, Role::Member).await;
        if pat_plan {
            companies::set_plan(&self.state.service, company.id, plan)
                .await
                .unwrap();
        }
        Company {
            id: company.id,
            owner,
            admin,
            member,
        }
    }

    pub async fn add_user(&self, company: CompanyId, role: Role) -> Member {
        let tag = uuid::Uuid::now_v7().simple().to_string();
        let user = users::create_user(
            &self.state.service,
            company,
            &new_user(
                &format!("{}-{tag}@example.com", role.as_str()),
                "Test",
                "Person",
                role,
            ),
        )
        .await
        .expect("create user");
        self.member_from(user).await
    }

    async fn member_from(&self, user: UserRecord) -> Member {
        let pat = self.pat(&user, Scopes::unlimited(), None).await;
        Member { user, pat }
    }

    /// A PAT for `user`, optionally limited and expiring.
    pub async fn pat(
        &self,
        user: &UserRecord,
        scopes: Scopes,
        expires_at: Option<Timestamp>,
    ) -> String {
        let (_, plain) = credentials::create_pat_expiring(
            &self.state.service,
            user.id,
            "test",
            expires_at,
            scopes,
        )
        .await
        .expect("create PAT");
        plain.expose().to_owned()
    }

    pub async fn api_key(&self, company: CompanyId, created_by: &UserRecord) -> (ApiKeyId, String) {
        let (record, plain) =
            credentials::create_api_key(&self.state.service, company, created_by.id, "test", 30)
                .await
                .expect("create API key");
        (record.id, plain.expose().to_owned())
    }

    /// An API key whose expiry lies in the past (the API cannot create one).
    pub async fn expired_api_key(&self, company: CompanyId, created_by: &UserRecord) -> String {
        let id = ApiKeyId::new();
        let plain = PlainApiKey::generate(id);
        let past = self.clock.clock().now() - jiff::SignedDuration::from_hours(1);
        let record = ApiKeyRecord {
            id,
            company_id: company,
            created_by: created_by.id,
            name: "expired".into(),
            hint: plain.hint(),
            created_at: past - jiff::SignedDuration::from_hours(24),
            expires_at: past,
            last_used_at: None,
            deactivated_at: None,
            revoked_at: None,
        };
        let mut tx = self.db.begin_write().await.unwrap();
        api_keys::insert(&mut tx, &record, plain.hash())
            .await
            .unwrap();
        tx.commit().await.unwrap();
        plain.expose().to_owned()
    }

    /// A dashboard session for `user`, made directly (login itself has its own tests).
    pub async fn session(&self, user: &UserRecord) -> Auth {
        let secret = PlainSessionSecret::generate();
        let now = self.clock.clock().now();
        let mut tx = self.db.begin_write().await.unwrap();
        sessions::insert(
            &mut tx,
            &NewSession {
                id: SessionId::new(),
                user_id: user.id,
                secret_hash: secret.hash(),
                created_at: now,
                expires_at: now + jiff::SignedDuration::from_hours(1),
            },
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        Auth::Session {
            cookie: secret.expose().to_owned(),
            csrf: Some(secret.csrf_token()),
        }
    }
}

pub fn new_user(email: &str, given: &str, family: &str, role: Role) -> users::NewUser {
    users::NewUser {
        email: Email::parse(email).unwrap(),
        given_name: PersonName::parse(given).unwrap(),
        family_name: PersonName::parse(family).unwrap(),
        timezone: TimeZoneName::parse("Europe/Berlin").unwrap(),
        language: Language::parse("en").unwrap(),
        role,
        user_type: UserType::Standard,
        password: Some("correct horse battery".into()),
    }
}

pub struct Company {
    pub id: CompanyId,
    pub owner: Member,
    pub admin: Member,
    pub member: Member,
}

pub struct Member {
    pub user: UserRecord,
    pub pat: String,
}

impl Member {
    pub fn auth(&self) -> Auth {
        Auth::bearer(&self.pat)
    }
}

/// How a test request authenticates.
#[derive(Clone, Debug)]
pub enum Auth {
    None,
    /// `Authorization: Bearer <token>`, optionally with `x-meetergo-api-user-id`.
    Bearer {
        token: String,
        acting: Option<String>,
    },
    /// A raw `Authorization` header value.
    RawHeader(String),
    Session {
        cookie: String,
        csrf: Option<String>,
    },
}

impl Auth {
    pub fn bearer(token: &str) -> Self {
        Auth::Bearer {
            token: token.to_owned(),
            acting: None,
        }
    }

    pub fn acting(token: &str, user: impl ToString) -> Self {
        Auth::Bearer {
            token: token.to_owned(),
            acting: Some(user.to_string()),
        }
    }
}

pub fn build(method: Method, path: &str, auth: &Auth, body: Option<Value>) -> Request<Body> {
    let mut req = Request::builder().method(method).uri(path);
    match auth {
        Auth::None => {}
        Auth::Bearer { token, acting } => {
            req = req.header(header::AUTHORIZATION, format!("Bearer {token}"));
            if let Some(user) = acting {
                req = req.header("x-meetergo-api-user-id", user);
            }
        }
        Auth::RawHeader(v) => req = req.header(header::AUTHORIZATION, v),
        Auth::Session { cookie, csrf } => {
            req = req.header(header::COOKIE, format!("termin_session={cookie}"));
            if let Some(csrf) = csrf {
                req = req.header("x-csrf-token", csrf);
            }
        }
    }
    match body {
        Some(body) => {
            // With its length, as an HTTP client sends a body it has whole.
            let body = body.to_string();
            req.header(header::CONTENT_TYPE, "application/json")
                .header(header::CONTENT_LENGTH, body.len())
                .body(Body::from(body))
                .unwrap()
        }
        None => req.body(Body::empty()).unwrap(),
    }
}

pub struct TestResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
}

impl TestResponse {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }

    #[track_caller]
    pub fn assert_status(&self, expected: u16) -> &Self {
        assert_eq!(
            self.status.as_u16(),
            expected,
            "unexpected status; body: {}",
            self.text
        );
        self
    }

    /// Checks the contract's error body and returns its message.
    #[track_caller]
    pub fn error_message(&self) -> String {
        let body = self.json();
        assert_eq!(
            body["statusCode"],
            self.status.as_u16(),
            "error body: {body}"
        );
        assert!(body["error"].is_string(), "error body: {body}");
        body["message"].as_str().expect("message").to_owned()
    }

    /// The `field` of each entry of the error body's `errors`, in order.
    #[track_caller]
    pub fn error_fields(&self) -> Vec<String> {
        self.json()["errors"]
            .as_array()
            .unwrap_or_else(|| panic!("no errors: {}", self.text))
            .iter()
            .map(|e| e["field"].as_str().expect("field").to_owned())
            .collect()
    }
}

pub async fn send(router: &Router, request: Request<Body>) -> TestResponse {
    let response = router.clone().oneshot(request).await.expect("infallible");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = http_body_util::BodyExt::collect(response.into_body())
        .await
        .expect("body")
        .to_bytes();
    TestResponse {
        status,
        headers,
        text: String::from_utf8_lossy(&bytes).into_owned(),
    }
}
