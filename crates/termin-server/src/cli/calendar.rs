//! `termin calendar …`: users' calendar connections from the command line, and
//! `termin secrets rotate`: a new secrets key, with every sealed value sealed again under it.
//!
//! Both need the server's secrets key (a connection's password is sealed under it), given as
//! `serve` takes it: `--secrets-key`, or the key file. Neither makes a key: the server's first
//! start does.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use serde_json::json;
use termin_domain::principal::{Credential, Principal};
use termin_domain::{ConnectionId, SessionId};
use termin_service::calendar_connections::{
    self as connections, CalendarChoice, NewConnection, Provider,
};
use termin_service::guard::{SystemLookup, TargetGuard};
use termin_service::secrets::{self, SecretBox};
use termin_service::{users, Clock, Service};
use termin_storage::Db;

use super::Output;
use crate::config::SecretText;

/// The server's secrets key, as `serve` takes it.
#[derive(Args, Debug)]
pub struct KeyArgs {
    /// The key the server runs with (base64 of 32 bytes).
    #[arg(long, env = "TERMIN_SECRETS_KEY", hide_env_values = true)]
    pub secrets_key: Option<SecretText>,
    /// The key file the server runs with. Default: beside the SQLite database.
    #[arg(long, env = "TERMIN_SECRETS_KEY_FILE")]
    pub secrets_key_file: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct CalendarArgs {
    #[command(flatten)]
    pub key: KeyArgs,
    /// Allow calendar servers on loopback, private and link-local networks (as `serve`'s
    /// `--webhooks-allow-private-networks`).
    #[arg(long, env = "TERMIN_WEBHOOKS_ALLOW_PRIVATE_NETWORKS", global = true)]
    pub allow_private_networks: bool,
    #[command(subcommand)]
    pub command: CalendarCommand,
}

#[derive(Subcommand, Debug)]
pub enum CalendarCommand {
    /// A user's calendar connections.
    List {
        /// The user, by email or id.
        #[arg(long)]
        user: String,
    },
    /// Connects a CalDAV account (password on standard input) or an ICS feed for a user.
    Add {
        #[arg(long)]
        user: String,
        /// A CalDAV server's address; discovery finds the calendars.
        #[arg(long, conflicts_with = "ics", required_unless_present = "ics")]
        caldav: Option<String>,
        /// The CalDAV user name.
        #[arg(long, requires = "caldav")]
        username: Option<String>,
        /// An ICS feed's secret address.
        #[arg(long)]
        ics: Option<String>,
    },
    /// Chooses which calendars count as busy and which one receives bookings.
    Choose {
        #[arg(long)]
        user: String,
        connection: ConnectionId,
        /// Calendars to read for conflicts (repeatable).
        #[arg(long = "read")]
        read: Vec<String>,
        /// Calendars not to read for conflicts (repeatable).
        #[arg(long = "ignore")]
        ignore: Vec<String>,
        /// The calendar that receives bookings.
        #[arg(long)]
        write: Option<String>,
        /// No calendar of this connection receives bookings.
        #[arg(long, conflicts_with = "write")]
        no_write: bool,
    },
    /// Syncs a connection now.
    Sync {
        #[arg(long)]
        user: String,
        connection: ConnectionId,
    },
    /// Removes a connection.
    Remove {
        #[arg(long)]
        user: String,
        connection: ConnectionId,
    },
}

#[derive(Args, Debug)]
pub struct SecretsArgs {
    #[command(flatten)]
    pub key: KeyArgs,
    #[command(subcommand)]
    pub command: SecretsCommand,
}

#[derive(Subcommand, Debug)]
pub enum SecretsCommand {
    /// Seals every sealed value again under a new key, in one transaction. Stop every server
    /// of the database first; start them with the new key afterwards.
    Rotate {
        /// Where to write the new key (must not exist; it is made with mode 0600). Without it
        /// the new key is printed.
        #[arg(long)]
        new_key_file: Option<PathBuf>,
    },
}

/// The key file `serve` uses for `database_url` when none is named, if any.
fn default_key_file(database_url: &str) -> Option<PathBuf> {
    let db = database_url
        .strip_prefix("sqlite://")
        .or_else(|| database_url.strip_prefix("sqlite:"))?;
    let db = db.split('?').next().unwrap_or(db);
    (!db.is_empty() && db != ":memory:").then(|| PathBuf::from(format!("{db}.key")))
}

fn read_key(path: &Path) -> anyhow::Result<SecretBox> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the secrets key file {}", path.display()))?;
    SecretBox::from_base64(&text)
        .map_err(|e| anyhow::anyhow!("the key file {}: {e}", path.display()))
}

/// The server's key, never made here; refused unless it is the database's.
async fn keyed_service(
    database_url: &str,
    key: &KeyArgs,
    allow_private: bool,
) -> anyhow::Result<Service> {
    let sealer = match (&key.secrets_key, &key.secrets_key_file) {
        (Some(k), _) => {
            SecretBox::from_base64(k.expose()).map_err(|e| anyhow::anyhow!("--secrets-key: {e}"))?
        }
        (None, Some(p)) => read_key(p)?,
        (None, None) => match default_key_file(database_url) {
            Some(p) if p.exists() => read_key(&p)?,
            _ => bail!(
                "this command needs the server's secrets key: --secrets-key or --secrets-key-file \
                 (the server makes its key file at its first start)"
            ),
        },
    };
    let db = Db::connect(database_url)
        .await
        .with_context(|| "could not open the database")?;
    let guard = TargetGuard::new(Arc::new(SystemLookup), allow_private);
    let svc = Service::new(db, Clock::system(), guard, "", sealer);
    if !secrets::check_key(&svc, false).await? {
        svc.db.close().await;
        bail!("this is not the secrets key the database was served with (docs/calendar.md)");
    }
    Ok(svc)
}

/// The user as the principal of their own request.
async fn as_user(svc: &Service, user: &str) -> anyhow::Result<Principal> {
    let u = users::find_by_email_or_id(svc, user).await?;
    Ok(Principal {
        user_id: u.id,
        company_id: u.company_id,
        role: u.role,
        credential: Credential::Session {
            id: SessionId::new(),
        },
    })
}

fn human(c: &connections::ConnectionView) -> String {
    let mut text = format!(
        "{}  {:<6} {:<30} sync {}{}\n",
        c.id,
        c.provider,
        c.account,
        c.sync.state,
        c.sync
            .error
            .as_deref()
            .map(|e| format!(": {e}"))
            .unwrap_or_default()
    );
    for k in &c.calendars {
        text.push_str(&format!(
            "    {:<24} {:<28} {}{}\n",
            k.id,
            k.name,
            if k.read_for_conflicts {
                "busy"
            } else {
                "ignored"
            },
            if k.write_bookings {
                ", receives bookings"
            } else {
                ""
            }
        ));
    }
    text
}

pub(crate) async fn calendar(
    database_url: &str,
    args: CalendarArgs,
    out: &Output,
) -> anyhow::Result<()> {
    let svc = keyed_service(database_url, &args.key, args.allow_private_networks).await?;
    let result = run(&svc, args.command, out).await;
    svc.db.close().await;
    result
}

async fn run(svc: &Service, cmd: CalendarCommand, out: &Output) -> anyhow::Result<()> {
    let show = |c: connections::ConnectionView| {
        out.print(serde_json::to_value(&c).unwrap_or_default(), human(&c))
    };
    match cmd {
        CalendarCommand::List { user } => {
            let me = as_user(svc, &user).await?;
            let list = connections::list(svc, &me, None).await?;
            let text: String = list.iter().map(human).collect();
            out.print(
                serde_json::to_value(&list)?,
                if text.is_empty() {
                    "no calendar connections".into()
                } else {
                    text
                },
            );
        }
        CalendarCommand::Add {
            user,
            caldav,
            username,
            ics,
        } => {
            let me = as_user(svc, &user).await?;
            let input = match (caldav, ics) {
                (Some(url), None) => NewConnection {
                    provider: Provider::CalDav,
                    url,
                    username,
                    password: super::read_password(true)?,
                },
                (None, Some(url)) => NewConnection {
                    provider: Provider::Ics,
                    url,
                    username: None,
                    password: None,
                },
                _ => bail!("give --caldav URL or --ics URL"),
            };
            show(connections::create(svc, &me, input).await?);
        }
        CalendarCommand::Choose {
            user,
            connection,
            read,
            ignore,
            write,
            no_write,
        } => {
            let me = as_user(svc, &user).await?;
            let current = connections::get(svc, &me, connection).await?;
            let choices = current
                .calendars
                .iter()
                .map(|k| CalendarChoice {
                    id: k.id.clone(),
                    read_for_conflicts: if read.contains(&k.id) {
                        Some(true)
                    } else if ignore.contains(&k.id) {
                        Some(false)
                    } else {
                        None
                    },
                    write_bookings: match (&write, no_write) {
                        (Some(w), _) => Some(w == &k.id),
                        (None, true) => Some(false),
                        (None, false) => None,
                    },
                })
                .collect();
            for named in read.iter().chain(&ignore).chain(&write) {
                if !current.calendars.iter().any(|k| &k.id == named) {
                    bail!("{named} is not a calendar of this connection");
                }
            }
            show(connections::update(svc, &me, connection, choices).await?);
        }
        CalendarCommand::Sync { user, connection } => {
            let me = as_user(svc, &user).await?;
            show(connections::sync_now(svc, &me, connection).await?);
        }
        CalendarCommand::Remove { user, connection } => {
            let me = as_user(svc, &user).await?;
            connections::remove(svc, &me, connection).await?;
            out.print(
                json!({"removed": connection}),
                format!("removed {connection}"),
            );
        }
    }
    Ok(())
}

pub(crate) async fn secrets_command(
    database_url: &str,
    args: SecretsArgs,
    out: &Output,
) -> anyhow::Result<()> {
    let svc = keyed_service(database_url, &args.key, false).await?;
    let result = match args.command {
        SecretsCommand::Rotate { new_key_file } => rotate(&svc, new_key_file, out).await,
    };
    svc.db.close().await;
    result
}

async fn rotate(svc: &Service, new_key_file: Option<PathBuf>, out: &Output) -> anyhow::Result<()> {
    let key = secrets::generate_key();
    let text = secrets::key_to_base64(&key);
    // The new key is on disk before the database changes: whatever happens next, the key of
    // the database is somewhere.
    if let Some(path) = &new_key_file {
        super::write_private(path, &text).with_context(|| format!("writing {}", path.display()))?;
    }
    let next = SecretBox::from_base64(&text).map_err(|e| anyhow::anyhow!("{e}"))?;
    let counts = secrets::rotate(svc, &next).await?;
    let summary = format!(
        "sealed again under the new key: {} calendar feed addresses, {} calendar connection secrets",
        counts.feeds, counts.connections
    );
    match new_key_file {
        Some(path) => out.print(
            json!({"feeds": counts.feeds, "connections": counts.connections, "newKeyFile": path}),
            format!(
                "{summary}\nthe new key is in {}: start every server with it",
                path.display()
            ),
        ),
        None => out.print(
            json!({"feeds": counts.feeds, "connections": counts.connections, "newKey": text}),
            format!(
                "{summary}\nthe new key (start every server with it, and keep it safe):\n{text}"
            ),
        ),
    }
    Ok(())
}
