//! The `termin` command: `serve`, and operator commands for self-hosters. Every operator command
//! works against the same database URL as `serve`, also while a server runs, and prints JSON with
//! `--json`.

pub mod calendar;
pub mod demo;
pub mod mcp;

use std::io::Read;
use std::net::SocketAddr;

use anyhow::{bail, Context};
use clap::{Args, Parser, Subcommand};
use serde_json::json;
use std::sync::Arc;
use termin_domain::tenancy::{Plan, Role, UserType};
use termin_domain::validate::{Email, Language, PersonName, TimeZoneName};
use termin_domain::{CompanyId, TokenId};

use termin_service::guard::{SystemLookup, TargetGuard};
use termin_service::{Clock, Service};
use termin_storage::Db;

use crate::app::{shutdown_signal, Application};
use crate::config::{Config, DEFAULT_DATABASE_URL, DEFAULT_LISTEN};
use termin_service::credentials::{self, ApiKeyView, TokenView};
use termin_service::users::{NewUser, UserView};
use termin_service::{companies, users};

#[derive(Parser, Debug)]
#[command(
    name = "termin",
    version,
    about = "A self-hosted scheduling server, wire-compatible with the meetergo API v4"
)]
pub struct Cli {
    /// Database URL: sqlite://PATH (created on first use) or postgres://...
    #[arg(long, global = true, env = "TERMIN_DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    pub database_url: String,
    /// Print results as JSON, for scripts.
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the HTTP server.
    Serve(ServeArgs),
    /// Manage companies (workspaces).
    #[command(subcommand)]
    Company(CompanyCommand),
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage Personal Access Tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Manage Platform API Keys.
    #[command(subcommand, name = "api-key")]
    ApiKey(ApiKeyCommand),
    /// Read the mail outbox.
    #[command(subcommand)]
    Mail(MailCommand),
    /// Manage users' calendar connections (CalDAV accounts and ICS feeds).
    Calendar(calendar::CalendarArgs),
    /// Manage the secrets key.
    Secrets(calendar::SecretsArgs),
    /// Serve a termin server's MCP tools over stdio, for a local AI assistant (the token comes
    /// from TERMIN_TOKEN; an API key's acting user from TERMIN_USER_ID).
    Mcp(mcp::McpArgs),
    /// Copy the SQLite database to a new file, consistently, while the server runs.
    Backup {
        /// The file to write (it must not exist).
        path: std::path::PathBuf,
    },
    /// Make a backup the SQLite database of --database-url. Stop the server first.
    Restore {
        /// The backup file.
        path: std::path::PathBuf,
        /// Replace an existing database (stopped: no server may be using it).
        #[arg(long)]
        replace: bool,
    },
}

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "TERMIN_LISTEN", default_value = DEFAULT_LISTEN)]
    pub listen: SocketAddr,
    /// Public base URL of this server (for booking links); defaults to http://LISTEN.
    #[arg(long, env = "TERMIN_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// On an empty database, create a demo company with an owner, an admin and a member, each
    /// with a password and a Personal Access Token, and print them.
    #[arg(long, env = "TERMIN_DEMO")]
    pub demo: bool,
    /// The key that seals what termin must read back (calendar feed addresses): base64 of 32
    /// bytes. Every node of one database needs the same key. Without it the key file is used.
    #[arg(long, env = "TERMIN_SECRETS_KEY", hide_env_values = true)]
    pub secrets_key: Option<crate::config::SecretText>,
    /// Where the key is kept when `--secrets-key` is not given; made at first start. Default:
    /// beside the SQLite database (`termin.db.key`), or `termin.key` for PostgreSQL.
    #[arg(long, env = "TERMIN_SECRETS_KEY_FILE")]
    pub secrets_key_file: Option<std::path::PathBuf>,
    /// The secrets key was changed on purpose: start with it, and record it as this database's
    /// key. Without this, a start with another key than the one recorded is refused.
    #[arg(long, env = "TERMIN_SECRETS_KEY_REPLACED")]
    pub secrets_key_replaced: bool,
    /// Sustained requests per minute per credential.
    #[arg(long, env = "TERMIN_RATE_LIMIT_PER_MINUTE", default_value_t = 100)]
    pub rate_limit_per_minute: u32,
    /// Requests allowed in a burst per credential.
    #[arg(long, env = "TERMIN_RATE_LIMIT_BURST", default_value_t = 200)]
    pub rate_limit_burst: u32,
    /// Requests per minute from one client network whose credential did not authenticate;
    /// once spent, its requests with a credential are refused before any lookup.
    #[arg(
        long,
        env = "TERMIN_AUTH_FAILURE_LIMIT_PER_MINUTE",
        default_value_t = 20
    )]
    pub auth_failure_limit_per_minute: u32,
    /// Send the session cookie without the Secure attribute (only for plain-HTTP deployments
    /// on a host other than localhost).
    #[arg(long, env = "TERMIN_INSECURE_COOKIES")]
    pub insecure_cookies: bool,
    /// Allow webhook endpoints on loopback, private and link-local networks (LAN receivers, tests).
    #[arg(long, env = "TERMIN_WEBHOOKS_ALLOW_PRIVATE_NETWORKS")]
    pub webhooks_allow_private_networks: bool,
    /// How often this node looks for due webhook deliveries, in milliseconds.
    #[arg(long, env = "TERMIN_WEBHOOK_POLL_MS", default_value_t = 1000)]
    pub webhook_poll_ms: u64,
    /// How often each calendar connection is synced, in seconds: the most its busy time may lag
    /// behind the calendar.
    #[arg(long, env = "TERMIN_CALENDAR_SYNC_SECONDS", default_value_t = 60)]
    pub calendar_sync_seconds: u64,
    /// How long one request to a calendar server may take, in seconds.
    #[arg(long, env = "TERMIN_CALENDAR_TIMEOUT_SECS", default_value_t = 20)]
    pub calendar_timeout_secs: u64,
    /// The first pause after a failed write into a calendar, in seconds (it doubles with each
    /// failure, to at most an hour).
    #[arg(long, env = "TERMIN_CALENDAR_RETRY_SECONDS", default_value_t = 30)]
    pub calendar_retry_seconds: u64,
    /// `Host` values /mcp accepts, comma separated (default: the public URL's host and the
    /// loopback names). Entries without a port match any port.
    #[arg(long, env = "TERMIN_MCP_ALLOWED_HOSTS", value_delimiter = ',')]
    pub mcp_allowed_hosts: Vec<String>,
    /// `Origin` values /mcp accepts from browsers, comma separated, with scheme and port
    /// (default: the public URL's origin). Requests without `Origin` always pass.
    #[arg(long, env = "TERMIN_MCP_ALLOWED_ORIGINS", value_delimiter = ',')]
    pub mcp_allowed_origins: Vec<String>,
    /// Multiplies the webhook retry schedule (1.0 = about a day); for tests and staging.
    #[arg(long, env = "TERMIN_WEBHOOK_RETRY_SCALE", default_value_t = 1.0)]
    pub webhook_retry_scale: f64,
    /// How long one delivery may take, in seconds.
    #[arg(long, env = "TERMIN_WEBHOOK_TIMEOUT_SECS", default_value_t = 30)]
    pub webhook_timeout_secs: u64,
    /// The longest one request may take, in seconds (then 408).
    #[arg(long, env = "TERMIN_REQUEST_TIMEOUT_SECS", default_value_t = 60)]
    pub request_timeout_secs: u64,
    /// Reverse proxies whose Forwarded / X-Forwarded-For headers name the client, as
    /// comma-separated addresses or networks (10.0.0.0/8,::1). Others' are ignored.
    #[arg(long, env = "TERMIN_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<crate::config::Cidr>,
    /// SQLite only: acknowledge a commit once it survives a killed process but not yet a power
    /// failure (`synchronous = NORMAL`), which is faster. By default every commit reaches the
    /// disk before it is answered.
    #[arg(long, env = "TERMIN_SQLITE_RELAXED_DURABILITY")]
    pub sqlite_relaxed_durability: bool,
    /// The most connections open at once; more are closed as they arrive.
    #[arg(long, env = "TERMIN_MAX_CONNECTIONS", default_value_t = 4096)]
    pub max_connections: usize,
    /// The most connections open at once from one client network (an IPv4 address, an IPv6
    /// /64). Trusted proxies are exempt.
    #[arg(long, env = "TERMIN_MAX_CONNECTIONS_PER_CLIENT", default_value_t = 256)]
    pub max_connections_per_client: usize,
    /// How long a request's headers may take to arrive once it has begun, in seconds.
    #[arg(long, env = "TERMIN_HEADER_READ_TIMEOUT_SECS", default_value_t = 10)]
    pub header_read_timeout_secs: u64,
    /// How long a connection may wait for its next request, in seconds.
    #[arg(long, env = "TERMIN_IDLE_TIMEOUT_SECS", default_value_t = 120)]
    pub idle_timeout_secs: u64,
    /// Send mail through this SMTP server: smtp://user:pass@host:587 (STARTTLS when offered;
    /// add ?tls=required to insist) or smtps://user:pass@host:465 (TLS from the start). Without
    /// it, mail is kept in the outbox as "not sent: no SMTP configured".
    #[arg(long, env = "TERMIN_SMTP_URL")]
    pub smtp_url: Option<String>,
    /// The address mail comes from.
    #[arg(
        long,
        env = "TERMIN_MAIL_FROM",
        default_value = "termin <termin@localhost>"
    )]
    pub mail_from: String,
    /// A PEM certificate authority to trust for the SMTP server besides the system's (a relay
    /// with a certificate of a private authority).
    #[arg(long, env = "TERMIN_SMTP_CA_FILE")]
    pub smtp_ca_file: Option<std::path::PathBuf>,
    /// The longest one SMTP conversation may take, in seconds.
    #[arg(long, env = "TERMIN_SMTP_TIMEOUT_SECS", default_value_t = 30)]
    pub smtp_timeout_secs: u64,
    /// Multiplies the mail retry schedule (1.0 = about a day); for tests and staging.
    #[arg(long, env = "TERMIN_MAIL_RETRY_SCALE", default_value_t = 1.0)]
    pub mail_retry_scale: f64,
    /// The most bookings the public pages take per attendee e-mail address and hour.
    #[arg(long, env = "TERMIN_BOOKINGS_PER_EMAIL_PER_HOUR", default_value_t = 5)]
    pub bookings_per_email_per_hour: u32,
}

#[derive(Subcommand, Debug)]
pub enum MailCommand {
    /// The newest messages with their status.
    List {
        /// Only these: pending, sent, failed, cancelled or unsent.
        #[arg(long)]
        status: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
    /// One message as its recipient would see it.
    Show { id: termin_domain::MailId },
}

#[derive(Subcommand, Debug)]
pub enum CompanyCommand {
    /// Create a company and its owner.
    Create {
        #[arg(long)]
        name: String,
        #[arg(long)]
        owner_email: String,
        #[arg(long, default_value = "platform")]
        plan: String,
        #[arg(long, default_value = "Owner")]
        owner_given_name: String,
        #[arg(long, default_value = "")]
        owner_family_name: String,
        #[arg(long, default_value = "UTC")]
        timezone: String,
        /// Read the owner's dashboard password from standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Change a company's plan.
    SetPlan { id: CompanyId, plan: String },
}

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Create a user in a company.
    Create {
        #[arg(long)]
        company: CompanyId,
        #[arg(long)]
        email: String,
        /// admin or member.
        #[arg(long)]
        role: String,
        #[arg(long, default_value = "New")]
        given_name: String,
        #[arg(long, default_value = "User")]
        family_name: String,
        #[arg(long, default_value = "UTC")]
        timezone: String,
        /// Read the user's dashboard password from standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Deactivate a user: their credentials and sessions stop working at once.
    Deactivate { user: String },
    /// Reactivate a deactivated user.
    Reactivate { user: String },
    /// Remove a user from their company for good (never the owner).
    Remove { user: String },
}

#[derive(Subcommand, Debug)]
pub enum TokenCommand {
    /// Create a Personal Access Token and print it once.
    Create {
        /// The owner, by email or id.
        #[arg(long)]
        user: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        expires_in_days: Option<i64>,
        /// Limit to scope groups: scheduling, contacts, account (repeatable).
        #[arg(long = "scope")]
        scopes: Vec<String>,
    },
    /// Revoke a Personal Access Token by id.
    Revoke { id: TokenId },
}

#[derive(Subcommand, Debug)]
pub enum ApiKeyCommand {
    /// Create a Platform API Key and print it once.
    Create {
        #[arg(long)]
        company: CompanyId,
        #[arg(long)]
        name: String,
        #[arg(long)]
        expires_in_days: i64,
    },
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let out = Output { json: cli.json };
    let command = match cli.command {
        Command::Serve(args) => return serve(cli.database_url, args).await,
        Command::Calendar(args) => return calendar::calendar(&cli.database_url, args, &out).await,
        Command::Mcp(args) => return mcp::run(args).await,
        Command::Secrets(args) => {
            return calendar::secrets_command(&cli.database_url, args, &out).await
        }
        Command::Restore { path, replace } => {
            termin_storage::backup::restore_sqlite(&path, &cli.database_url, replace).await?;
            // Opening it runs the migrations a backup from an older termin lacks.
            Db::connect(&cli.database_url)
                .await
                .with_context(|| "the restored database did not open")?
                .close()
                .await;
            out.print(
                json!({"restored": path, "databaseUrl": cli.database_url}),
                format!("restored {} into {}", path.display(), cli.database_url),
            );
            return Ok(());
        }
        other => other,
    };
    let db = Db::connect(&cli.database_url)
        .await
        .with_context(|| "could not open the database")?;
    // Operator commands make no outgoing requests and build no links: the guard and the
    // public URL are never consulted.
    let guard = TargetGuard::new(Arc::new(SystemLookup), false);
    // The operator commands open no sealed value: a key of their own is enough.
    let svc = Service::new(
        db,
        Clock::system(),
        guard,
        "",
        termin_service::secrets::SecretBox::ephemeral(),
    );
    let result = match command {
        Command::Serve(_)
        | Command::Restore { .. }
        | Command::Calendar(_)
        | Command::Mcp(_)
        | Command::Secrets(_) => unreachable!("handled above"),
        Command::Backup { path } => match svc.db.backup_into(&path).await {
            Ok(()) => {
                out.print(
                    json!({"backup": path}),
                    format!("backed up to {}", path.display()),
                );
                Ok(())
            }
            Err(e) => Err(e.into()),
        },
        Command::Company(c) => company(&svc, c, &out).await,
        Command::User(c) => user(&svc, c, &out).await,
        Command::Token(c) => token(&svc, c, &out).await,
        Command::ApiKey(c) => api_key(&svc, c, &out).await,
        Command::Mail(c) => mail(&svc, c, &out).await,
    };
    svc.db.close().await;
    result
}

/// The secrets key: given, or read from its file, or made and written there at first start.
/// PostgreSQL serves several nodes, which must share one key: there it must be given (a file
/// made by one node would be another node's wrong key).
fn secrets_key(
    database_url: &str,
    given: Option<&crate::config::SecretText>,
    file: Option<&std::path::Path>,
) -> anyhow::Result<crate::config::SecretText> {
    use crate::config::SecretText;
    use termin_service::secrets::{generate_key, key_to_base64, SecretBox};
    if let Some(key) = given {
        SecretBox::from_base64(key.expose()).map_err(|e| anyhow::anyhow!("--secrets-key: {e}"))?;
        return Ok(SecretText::new(key.expose().trim()));
    }
    let sqlite = database_url
        .strip_prefix("sqlite://")
        .or_else(|| database_url.strip_prefix("sqlite:"))
        .map(|rest| rest.split('?').next().unwrap_or(rest));
    let path = match (file, sqlite) {
        (Some(p), _) => p.to_path_buf(),
        // An in-memory database keeps nothing, and neither does its key.
        (None, Some(db)) if db.is_empty() || db == ":memory:" || database_url.contains("mode=memory") => {
            return Ok(SecretText::new(key_to_base64(&generate_key())));
        }
        (None, Some(db)) => std::path::PathBuf::from(format!("{db}.key")),
        (None, None) => bail!(
            "PostgreSQL needs --secrets-key (or TERMIN_SECRETS_KEY) or --secrets-key-file: every node \
             of one database must use the same key; make one with `openssl rand -base64 32` \
             (docs/calendar.md)"
        ),
    };
    let read = |path: &std::path::Path| -> anyhow::Result<SecretText> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading the secrets key file {}", path.display()))?;
        SecretBox::from_base64(&text)
            .map_err(|e| anyhow::anyhow!("the key file {}: {e}", path.display()))?;
        Ok(SecretText::new(text.trim()))
    };
    if path.exists() {
        return read(&path);
    }
    let key = key_to_base64(&generate_key());
    match write_private(&path, &key) {
        Ok(()) => {
            tracing::warn!(path = %path.display(), "made a new secrets key file: back it up (docs/calendar.md)");
            Ok(SecretText::new(key))
        }
        // Another process made it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => read(&path),
        Err(e) => {
            Err(e).with_context(|| format!("writing the secrets key file {}", path.display()))
        }
    }
}

/// Writes a file only its owner may read, whole or not at all: the text goes to a temporary
/// file first, which is then linked to `path` (failing if `path` exists).
pub(crate) fn write_private(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let temp = path.with_extension(format!("tmp{}", std::process::id()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let written = options.open(&temp).and_then(|mut file| {
        file.write_all(format!("{text}\n").as_bytes())?;
        file.sync_all()
    });
    let linked = written.and_then(|()| std::fs::hard_link(&temp, path));
    let _ = std::fs::remove_file(&temp);
    linked
}

async fn serve(database_url: String, args: ServeArgs) -> anyhow::Result<()> {
    let (given_key, key_file, key_replaced) = (
        args.secrets_key.clone(),
        args.secrets_key_file.clone(),
        args.secrets_key_replaced,
    );
    let mut config = Config::new(args.listen, database_url);
    config.rate_limit.per_minute = args.rate_limit_per_minute;
    config.rate_limit.burst = args.rate_limit_burst;
    config.auth_failure_limit = crate::config::RateLimitConfig {
        per_minute: args.auth_failure_limit_per_minute,
        burst: args.auth_failure_limit_per_minute,
    };
    config.secure_cookies = !args.insecure_cookies;
    config.webhooks.allow_private_networks = args.webhooks_allow_private_networks;
    config.webhooks.poll_interval = std::time::Duration::from_millis(args.webhook_poll_ms.max(10));
    if !(1..=86_400).contains(&args.calendar_sync_seconds) {
        anyhow::bail!("--calendar-sync-seconds must be between 1 and 86400");
    }
    config.calendars.sync_interval = std::time::Duration::from_secs(args.calendar_sync_seconds);
    if !(1..=300).contains(&args.calendar_timeout_secs) {
        anyhow::bail!("--calendar-timeout-secs must be between 1 and 300");
    }
    config.calendars.request_timeout = std::time::Duration::from_secs(args.calendar_timeout_secs);
    if !(1..=3600).contains(&args.calendar_retry_seconds) {
        anyhow::bail!("--calendar-retry-seconds must be between 1 and 3600");
    }
    config.calendars.retry_base = std::time::Duration::from_secs(args.calendar_retry_seconds);
    if !(args.webhook_retry_scale > 0.0 && args.webhook_retry_scale <= 100.0) {
        anyhow::bail!("--webhook-retry-scale must be above 0 and at most 100");
    }
    config.webhooks.retry_scale = args.webhook_retry_scale;
    config.mcp.allowed_hosts = args.mcp_allowed_hosts;
    config.mcp.allowed_origins = args.mcp_allowed_origins;
    config.webhooks.timeout =
        std::time::Duration::from_secs(args.webhook_timeout_secs.clamp(1, 300));
    if let Some(url) = args.public_url {
        config.public_url = url;
    }
    if args.request_timeout_secs == 0 {
        bail!("--request-timeout-secs must be at least 1");
    }
    config.request_timeout = std::time::Duration::from_secs(args.request_timeout_secs);
    config.trusted_proxies = args.trusted_proxies;
    if args.bookings_per_email_per_hour == 0 {
        bail!("--bookings-per-email-per-hour must be at least 1");
    }
    config.pages.bookings_per_email_hour = args.bookings_per_email_per_hour;
    let smtp_timeout = std::time::Duration::from_secs(args.smtp_timeout_secs.clamp(1, 300));
    let ca_pem = match &args.smtp_ca_file {
        Some(path) => Some(
            std::fs::read(path).with_context(|| format!("--smtp-ca-file {}", path.display()))?,
        ),
        None => None,
    };
    if args.mail_from.parse::<lettre::message::Mailbox>().is_err() {
        bail!("--mail-from must be an address such as 'termin <bookings@example.com>'");
    }
    if !(args.mail_retry_scale > 0.0 && args.mail_retry_scale <= 100.0) {
        bail!("--mail-retry-scale must be above 0 and at most 100");
    }
    config.mail = crate::mail::MailConfig {
        smtp_url: args.smtp_url.clone(),
        from: args.mail_from.clone(),
        retry_scale: args.mail_retry_scale,
        timeout: smtp_timeout,
        ca_pem,
    };
    crate::mail::transport(&config.mail).map_err(|e| anyhow::anyhow!("--smtp-url: {e}"))?;
    if args.max_connections == 0 || args.max_connections_per_client == 0 {
        bail!("--max-connections and --max-connections-per-client must be at least 1");
    }
    if args.header_read_timeout_secs == 0 || args.idle_timeout_secs == 0 {
        bail!("--header-read-timeout-secs and --idle-timeout-secs must be at least 1");
    }
    config.connections = crate::config::ConnectionLimits {
        max_total: args.max_connections,
        max_per_client: args.max_connections_per_client,
        header_read_timeout: std::time::Duration::from_secs(args.header_read_timeout_secs),
        idle_timeout: std::time::Duration::from_secs(args.idle_timeout_secs),
    };
    if args.sqlite_relaxed_durability {
        config.durability = termin_storage::Durability::Normal;
    }
    // Last of the checks, so that a mistyped flag leaves no key file behind.
    config.secrets_key = secrets_key(
        &config.database_url,
        given_key.as_ref(),
        key_file.as_deref(),
    )?;
    let app = Application::build(config).await?;
    if !termin_service::secrets::check_key(&app.state().service, key_replaced).await? {
        bail!(
            "the secrets key is not the one this database was first served with; start with that \
             key, or with --secrets-key-replaced to adopt this one (docs/calendar.md)"
        );
    }
    let addr = app.local_addr()?;
    let backend = app.state().service.db.backend().name();
    if args.demo {
        let smtp = app.state().config.mail.smtp_url.is_some();
        crate::cli::demo::seed_and_print(&app.state().service, smtp).await?;
    } else if let Some(url) =
        termin_service::account_links::issue_setup_link(&app.state().service).await?
    {
        // An empty database: the one way in is this link (see docs/dashboard.md).
        println!("No workspace yet. Set one up in the browser (the link works once, for 24 hours):\n  {url}");
        tracing::info!("first-run setup link printed on stdout");
    }
    // Printed on stdout so scripts (and tests) can find the port when listening on port 0.
    println!("termin listening on http://{addr} ({backend})");
    tracing::info!(%addr, backend, "listening");
    app.run_until(shutdown_signal()).await
}

pub(crate) struct Output {
    json: bool,
}

impl Output {
    pub(crate) fn print(&self, value: serde_json::Value, human: String) {
        if self.json {
            println!("{value}");
        } else {
            println!("{human}");
        }
    }
}

pub(crate) fn read_password(from_stdin: bool) -> anyhow::Result<Option<String>> {
    if !from_stdin {
        return Ok(None);
    }
    let mut s = String::new();
    std::io::stdin().read_to_string(&mut s)?;
    let s = s.trim_end_matches(['\n', '\r']).to_owned();
    if s.is_empty() {
        bail!("--password-stdin given but standard input was empty");
    }
    Ok(Some(s))
}

fn parsed<T, E: std::fmt::Display>(field: &str, r: Result<T, E>) -> anyhow::Result<T> {
    r.map_err(|m| anyhow::anyhow!("{field} {m}"))
}

fn parse_plan(s: &str) -> anyhow::Result<Plan> {
    s.parse().map_err(|e| anyhow::anyhow!("plan {e}"))
}

async fn company(svc: &Service, cmd: CompanyCommand, out: &Output) -> anyhow::Result<()> {
    match cmd {
        CompanyCommand::Create {
            name,
            owner_email,
            plan,
            owner_given_name,
            owner_family_name,
            timezone,
            password_stdin,
        } => {
            let owner = NewUser {
                email: parsed("--owner-email", Email::parse(&owner_email))?,
                given_name: parsed("--owner-given-name", PersonName::parse(&owner_given_name))?,
                family_name: PersonName::parse(&owner_family_name)
                    .unwrap_or_else(|_| PersonName::parse("-").expect("valid")),
                timezone: parsed("--timezone", TimeZoneName::parse(&timezone))?,
                language: Language::parse("en").expect("valid"),
                role: Role::Owner,
                user_type: UserType::Standard,
                password: read_password(password_stdin)?,
            };
            let (company, owner) =
                companies::create_company(svc, &name, parse_plan(&plan)?, owner).await?;
            out.print(
                json!({"companyId": company.id, "name": company.name, "plan": company.plan, "ownerId": owner.id, "ownerEmail": owner.email}),
                format!("created company {} ({}) on the {} plan; owner {} ({})", company.name, company.id, company.plan, owner.email, owner.id),
            );
        }
        CompanyCommand::SetPlan { id, plan } => {
            let company = companies::set_plan(svc, id, parse_plan(&plan)?).await?;
            out.print(
                json!({"companyId": company.id, "plan": company.plan}),
                format!("company {} is now on the {} plan", company.id, company.plan),
            );
        }
    }
    Ok(())
}

async fn user(svc: &Service, cmd: UserCommand, out: &Output) -> anyhow::Result<()> {
    match cmd {
        UserCommand::Create {
            company,
            email,
            role,
            given_name,
            family_name,
            timezone,
            password_stdin,
        } => {
            let role = match role.as_str() {
                "admin" => Role::Admin,
                "member" => Role::Member,
                other => bail!("--role must be admin or member, not {other:?}"),
            };
            companies::get_company(svc, company).await?;
            let new = NewUser {
                email: parsed("--email", Email::parse(&email))?,
                given_name: parsed("--given-name", PersonName::parse(&given_name))?,
                family_name: parsed("--family-name", PersonName::parse(&family_name))?,
                timezone: parsed("--timezone", TimeZoneName::parse(&timezone))?,
                language: Language::parse("en").expect("valid"),
                role,
                user_type: UserType::Standard,
                password: read_password(password_stdin)?,
            };
            let user = users::create_user(svc, company, &new).await?;
            let view = UserView::from(user);
            out.print(
                serde_json::to_value(&view)?,
                format!(
                    "created {} {} ({}) in company {}",
                    view.role, view.email, view.id, view.company_id
                ),
            );
        }
        UserCommand::Deactivate { user } => set_active(svc, &user, false, out).await?,
        UserCommand::Reactivate { user } => set_active(svc, &user, true, out).await?,
        UserCommand::Remove { user } => {
            let found = users::find_by_email_or_id(svc, &user).await?;
            users::remove_user(svc, found.company_id, found.id).await?;
            out.print(
                json!({"userId": found.id, "removed": true}),
                format!("removed {} ({})", found.email, found.id),
            );
        }
    }
    Ok(())
}

async fn set_active(svc: &Service, key: &str, active: bool, out: &Output) -> anyhow::Result<()> {
    let found = users::find_by_email_or_id(svc, key).await?;
    let user = users::set_deactivated(svc, found.id, !active).await?;
    out.print(
        json!({"userId": user.id, "deactivated": user.deactivated_at.is_some()}),
        format!(
            "{} {} ({})",
            if active { "reactivated" } else { "deactivated" },
            user.email,
            user.id
        ),
    );
    Ok(())
}

async fn token(svc: &Service, cmd: TokenCommand, out: &Output) -> anyhow::Result<()> {
    match cmd {
        TokenCommand::Create {
            user,
            name,
            expires_in_days,
            scopes,
        } => {
            let owner = users::find_by_email_or_id(svc, &user).await?;
            let scopes = credentials::parse_scopes(&scopes)?;
            let (record, plain) =
                credentials::create_pat(svc, owner.id, &name, expires_in_days, scopes).await?;
            let view = TokenView::new(record, svc.now());
            let mut value = serde_json::to_value(&view)?;
            value["secret"] = json!(plain.expose());
            value["userId"] = json!(owner.id);
            out.print(
                value,
                format!(
                    "created token {} ({}) for {}\n\n    {}\n\nIt is shown only this once: store it now.",
                    view.name,
                    view.id,
                    owner.email,
                    plain.expose()
                ),
            );
        }
        TokenCommand::Revoke { id } => {
            let view = credentials::revoke_pat(svc, id, None).await?;
            out.print(
                serde_json::to_value(&view)?,
                format!("revoked token {} ({})", view.name, view.id),
            );
        }
    }
    Ok(())
}

async fn mail(svc: &Service, cmd: MailCommand, out: &Output) -> anyhow::Result<()> {
    match cmd {
        MailCommand::List { status, limit } => {
            if let Some(s) = &status {
                if !termin_service::mail::STATUSES.contains(&s.as_str()) {
                    bail!(
                        "--status must be one of {}",
                        termin_service::mail::STATUSES.join(", ")
                    );
                }
            }
            let rows = termin_service::mail::list_all(svc, status.as_deref(), limit.clamp(1, 1000))
                .await?;
            let views: Vec<termin_service::mail::MailView> = rows
                .iter()
                .map(termin_service::mail::MailView::from)
                .collect();
            let mut human = String::new();
            for (row, view) in rows.iter().zip(&views) {
                let subject = crate::mail::render(row)
                    .map(|r| r.subject)
                    .unwrap_or_else(|e| format!("(cannot be shown: {e})"));
                human.push_str(&format!(
                    "{}  {:<9} {:<15} {:<32} {}{}\n",
                    view.id,
                    view.status,
                    view.kind,
                    view.recipient,
                    subject,
                    view.last_error
                        .as_deref()
                        .map(|e| format!("  [{e}]"))
                        .unwrap_or_default()
                ));
            }
            if human.is_empty() {
                human = "no mail".into();
            }
            out.print(json!(views), human.trim_end().to_owned());
        }
        MailCommand::Show { id } => {
            let row = termin_service::mail::find(svc, id).await?;
            let shown = crate::mail::show(&row).map_err(|e| anyhow::anyhow!(e))?;
            out.print(
                json!({"mail": termin_service::mail::MailView::from(&row), "shown": shown}),
                shown,
            );
        }
    }
    Ok(())
}

async fn api_key(svc: &Service, cmd: ApiKeyCommand, out: &Output) -> anyhow::Result<()> {
    match cmd {
        ApiKeyCommand::Create {
            company,
            name,
            expires_in_days,
        } => {
            let owner = companies::owner(svc, company).await?;
            let (record, plain) =
                credentials::create_api_key(svc, company, owner.id, &name, expires_in_days).await?;
            let view = ApiKeyView::new(record, svc.now());
            let mut value = serde_json::to_value(&view)?;
            value["secret"] = json!(plain.expose());
            out.print(
                value,
                format!(
                    "created API key {} ({}), expires {}\n\n    {}\n\nIt is shown only this once: store it now.",
                    view.name,
                    view.id,
                    view.expires_at,
                    plain.expose()
                ),
            );
        }
    }
    Ok(())
}
