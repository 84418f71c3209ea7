//! termin's storage layer. Every SQL statement of the project lives under this crate.
//!
//! One set of queries serves SQLite and PostgreSQL through sqlx's `Any` driver: ids are stored
//! as TEXT, times as BIGINT milliseconds, and placeholders are written `$1`, which both dialects
//! accept. Where the dialects really differ (write locking, migrations) the difference is named
//! by [`Backend`] and kept in this file.

pub mod account_links;
pub mod api_keys;
pub mod appointments;
pub mod availabilities;
pub mod backup;
mod batch;
pub mod calendar_feeds;
pub mod calendars;
pub mod companies;
pub mod contacts;
pub mod idempotency;
pub mod login_throttle;
pub mod mail;
pub mod meeting_types;
pub mod oauth;
pub mod one_time_links;
pub mod personal_pages;
pub mod server_settings;
pub mod sessions;
pub mod tokens;
pub mod transcripts;
pub mod users;
pub mod webhooks;

mod error;
mod migrations;

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, ConnectOptions, Executor};

pub use batch::Batch;
pub use error::{Conflict, StorageError};
pub use sqlx::AnyConnection as Connection;
/// A connection borrowed from [`Db`]'s pool; it goes back when dropped.
pub type PooledConnection = sqlx::pool::PoolConnection<sqlx::Any>;

pub type Result<T, E = StorageError> = std::result::Result<T, E>;
/// A write transaction; it derefs to the connection, so queries take `&mut tx`.
///
/// On PostgreSQL it is sqlx's transaction. On SQLite it also holds this process's turn to write
/// (see [`Db::begin_write`]), and termin sends `BEGIN IMMEDIATE` and `COMMIT` itself, so that
/// [`Tx::commit_with`] can send the last writes and the `COMMIT` in one round trip. A SQLite
/// transaction dropped without a commit is rolled back before the turn passes to the next
/// writer.
pub struct Tx {
    inner: TxInner,
}

enum TxInner {
    Sqlx(sqlx::Transaction<'static, sqlx::Any>),
    Sqlite {
        /// `None` only after the commit or inside `drop`.
        conn: Option<sqlx::pool::PoolConnection<sqlx::Any>>,
        turn: Option<tokio::sync::OwnedMutexGuard<()>>,
        /// Until `COMMIT` succeeded; an open transaction is rolled back when dropped.
        open: bool,
    },
    /// Only while `commit_with` hands sqlx's transaction its commit.
    Dropped,
}

impl Tx {
    pub async fn commit(self) -> Result<()> {
        self.commit_with(Batch::new()).await
    }

    /// Runs `batch` and commits: on SQLite in one round trip (the batch ends with `COMMIT`).
    /// If any statement fails, nothing is committed: the transaction is rolled back as it is
    /// dropped on the way out.
    pub async fn commit_with(mut self, mut batch: Batch) -> Result<()> {
        match &mut self.inner {
            TxInner::Sqlite { conn, open, .. } => {
                batch.push("COMMIT", Vec::new());
                let conn = conn
                    .as_mut()
                    .expect("the connection is held until the commit");
                batch.execute_raw(conn).await?;
                *open = false;
                Ok(())
            }
            TxInner::Sqlx(_) => {
                batch.execute_raw(&mut self).await?;
                match std::mem::replace(&mut self.inner, TxInner::Dropped) {
                    TxInner::Sqlx(tx) => Ok(tx.commit().await?),
                    _ => unreachable!("matched above"),
                }
            }
            TxInner::Dropped => unreachable!("a transaction is used only while it exists"),
        }
    }
}

impl Drop for Tx {
    fn drop(&mut self) {
        let TxInner::Sqlite { conn, turn, open } = &mut self.inner else {
            return; // sqlx rolls its own transactions back
        };
        let (Some(mut conn), turn) = (conn.take(), turn.take()) else {
            return;
        };
        if !*open {
            return;
        }
        // Roll back before the next writer gets its turn, so it does not find the lock taken.
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(async move {
                    match conn.execute("ROLLBACK").await {
                        Ok(_) => {}
                        // Dropped just after its COMMIT or before its BEGIN ran: nothing open.
                        Err(e) if no_transaction(&e) => {}
                        Err(error) => {
                            tracing::warn!(%error, "rolling back a write transaction failed; closing its connection");
                            drop(conn.detach());
                        }
                    }
                    drop(turn);
                });
            }
            // No runtime to run the rollback on (the process is ending): closing the
            // connection rolls the transaction back.
            Err(_) => drop(conn.detach()),
        }
    }
}

fn no_transaction(e: &sqlx::Error) -> bool {
    e.as_database_error()
        .is_some_and(|d| d.message().contains("no transaction is active"))
}

impl std::ops::Deref for Tx {
    type Target = sqlx::AnyConnection;

    fn deref(&self) -> &Self::Target {
        match &self.inner {
            TxInner::Sqlx(tx) => tx,
            TxInner::Sqlite { conn, .. } => conn.as_ref().expect("held until the commit"),
            TxInner::Dropped => unreachable!("a transaction is used only while it exists"),
        }
    }
}

impl std::ops::DerefMut for Tx {
    fn deref_mut(&mut self) -> &mut Self::Target {
        match &mut self.inner {
            TxInner::Sqlx(tx) => &mut *tx,
            TxInner::Sqlite { conn, .. } => conn.as_mut().expect("held until the commit"),
            TxInner::Dropped => unreachable!("a transaction is used only while it exists"),
        }
    }
}

/// Which database a URL points at; chosen from the URL's scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn from_url(url: &str) -> Result<Self> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Ok(Backend::Postgres)
        } else {
            Err(StorageError::UnsupportedUrl)
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }

    /// What a queue's claim appends to its inner `SELECT`: on PostgreSQL, workers skip the rows
    /// another worker is claiming; on SQLite the single writer already serialises claims.
    pub fn skip_locked(self) -> &'static str {
        match self {
            Backend::Postgres => "FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        }
    }
}

/// When SQLite makes a commit durable (its `synchronous` setting; PostgreSQL keeps its own
/// `synchronous_commit`, on by default).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// Every commit reaches the disk before it is acknowledged (`synchronous = FULL`): a
    /// booking answered 201 survives a power failure.
    #[default]
    Full,
    /// Commits survive a killed process, but the last ones may be lost when the machine loses
    /// power (`synchronous = NORMAL` in WAL mode). Faster; an opt-in.
    Normal,
}

/// A pool of connections to termin's database.
#[derive(Clone, Debug)]
pub struct Db {
    pool: AnyPool,
    backend: Backend,
    /// SQLite has one writer at a time. Writers of this process take turns here before they ask
    /// SQLite for the write lock, instead of all polling SQLite's busy handler, whose growing
    /// sleeps would leave the lock idle between writers.
    writers: Arc<tokio::sync::Mutex<()>>,
}

impl Db {
    /// Connects and runs pending migrations. SQLite files are created on first use.
    /// Several processes may call this at once against one PostgreSQL database: the migrator
    /// holds an advisory lock while it works.
    pub async fn connect(url: &str) -> Result<Self> {
        Self::connect_with(url, Durability::Full).await
    }

    /// [`connect`](Self::connect), choosing SQLite's durability.
    pub async fn connect_with(url: &str, durability: Durability) -> Result<Self> {
        let db = Self::open(url, durability).await?;
        migrations::run(&db.pool, db.backend).await?;
        Ok(db)
    }

    pub async fn connect_without_migrating(url: &str) -> Result<Self> {
        Self::open(url, Durability::Full).await
    }

    async fn open(url: &str, durability: Durability) -> Result<Self> {
        sqlx::any::install_default_drivers();
        let backend = Backend::from_url(url)?;
        let url = match backend {
            Backend::Sqlite if !url.contains("mode=") => {
                let sep = if url.contains('?') { '&' } else { '?' };
                format!("{url}{sep}mode=rwc")
            }
            _ => url.to_owned(),
        };
        // Statements are logged at debug level only; bound values never are.
        let options = AnyConnectOptions::from_str(&url)
            .map_err(StorageError::Database)?
            .log_statements(tracing::log::LevelFilter::Debug)
            .log_slow_statements(tracing::log::LevelFilter::Warn, Duration::from_secs(1));
        let pool_options = match backend {
            Backend::Sqlite => AnyPoolOptions::new()
                .max_connections(8)
                // A local file cannot drop a connection the way a network server can, so the
                // round trip that checks each connection before use buys nothing here.
                .test_before_acquire(false)
                .after_connect(move |conn, _| {
                    Box::pin(async move {
                        // WAL lets readers proceed during a write; writers queue on the
                        // busy timeout instead of failing at once.
                        let pragmas = match durability {
                            Durability::Full => {
                                "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
                                 PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;"
                            }
                            Durability::Normal => {
                                "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                                 PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;"
                            }
                        };
                        conn.execute(pragmas).await?;
                        Ok(())
                    })
                }),
            Backend::Postgres => AnyPoolOptions::new().max_connections(16),
        };
        let pool = pool_options
            .acquire_timeout(Duration::from_secs(15))
            .connect_with(options)
            .await?;
        Ok(Self {
            pool,
            backend,
            writers: Arc::default(),
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub async fn conn(&self) -> Result<PooledConnection> {
        Ok(self.pool.acquire().await?)
    }

    /// Starts a transaction that will write. On SQLite it takes the write lock up front
    /// (`BEGIN IMMEDIATE`), so a read-then-write transaction cannot fail half way with a
    /// busy snapshot; PostgreSQL's default isolation needs nothing extra.
    pub async fn begin_write(&self) -> Result<Tx> {
        Ok(match self.backend {
            Backend::Sqlite => {
                let turn = self.writers.clone().lock_owned().await;
                let conn = self.pool.acquire().await?;
                // The guard exists before BEGIN is sent: if this future is dropped while BEGIN
                // is on its way, the guard rolls back whatever it started.
                let mut tx = Tx {
                    inner: TxInner::Sqlite {
                        conn: Some(conn),
                        turn: Some(turn),
                        open: true,
                    },
                };
                if let Err(e) = tx.execute("BEGIN IMMEDIATE").await {
                    if let TxInner::Sqlite { open, .. } = &mut tx.inner {
                        *open = false; // BEGIN failed: there is nothing to roll back
                    }
                    return Err(e.into());
                }
                tx
            }
            Backend::Postgres => Tx {
                inner: TxInner::Sqlx(self.pool.begin().await?),
            },
        })
    }

    /// A cheap round trip, for health checks.
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Milliseconds since the epoch, as stored.
pub(crate) fn ms(t: Timestamp) -> i64 {
    t.as_millisecond()
}

pub(crate) fn ms_opt(t: Option<Timestamp>) -> Option<i64> {
    t.map(ms)
}

pub(crate) fn ts(ms: i64) -> Timestamp {
    Timestamp::from_millisecond(ms).unwrap_or(Timestamp::UNIX_EPOCH)
}

pub(crate) fn ts_opt(ms: Option<i64>) -> Option<Timestamp> {
    ms.map(ts)
}

/// Reads a column that holds one of the domain's parseable values (ids, enums).
pub(crate) fn parse_col<T: FromStr>(row: &sqlx::any::AnyRow, col: &str) -> Result<T> {
    use sqlx::Row;
    let raw: String = row.try_get(col)?;
    raw.parse()
        .map_err(|_| StorageError::Corrupt(format!("column {col} holds an unexpected value")))
}

/// Locks the given users' rows until the transaction ends, so that concurrent bookings for one
/// host queue behind each other on PostgreSQL. SQLite's `BEGIN IMMEDIATE` already serialises
/// every writer, so there it does nothing.
///
/// On PostgreSQL the same statements also tell which of the users have a calendar receiving
/// bookings (`Some`), so that a booking asks for calendar writes only for those (one statement
/// less per host). SQLite answers `None`: there the write's own statement checks, in the same
/// round trip as the rest of the booking (see `calendars::enqueue_writes`).
pub async fn lock_users(
    tx: &mut sqlx::AnyConnection,
    backend: Backend,
    ids: &[termin_domain::UserId],
) -> Result<Option<Vec<termin_domain::UserId>>> {
    if backend == Backend::Sqlite {
        return Ok(None);
    }
    let mut sorted: Vec<termin_domain::UserId> = ids.to_vec();
    // A fixed order, so two transactions locking the same hosts cannot deadlock.
    sorted.sort_by_key(|id| id.to_string());
    let mut writers = Vec::new();
    for id in sorted {
        // The lock, and on PostgreSQL the count of changes to the host's busy time (see
        // migration 6): every caller goes on to write the hosts' appointments.
        let writes: Option<i64> = sqlx::query_scalar(
            "UPDATE users SET busy_version = busy_version + 1 WHERE id = $1 \
             RETURNING CASE WHEN EXISTS (SELECT 1 FROM calendar_connections c \
             JOIN connection_calendars cc ON cc.connection_id = c.id \
             WHERE c.user_id = users.id AND cc.write_bookings = 1) THEN 1 ELSE 0 END",
        )
        .bind(id.to_string())
        .fetch_optional(&mut *tx)
        .await?;
        if writes == Some(1) {
            writers.push(id);
        }
    }
    Ok(Some(writers))
}

/// Locks a company's row until the transaction ends (PostgreSQL; SQLite's write lock already
/// serialises writers): what a limit counted over the company's rows takes before it counts,
/// so that two parallel creates cannot both see room for one more.
pub async fn lock_company(
    tx: &mut sqlx::AnyConnection,
    backend: Backend,
    company: termin_domain::CompanyId,
) -> Result<()> {
    if backend == Backend::Postgres {
        sqlx::query("SELECT id FROM companies WHERE id = $1 FOR UPDATE")
            .bind(company.to_string())
            .fetch_optional(&mut *tx)
            .await?;
    }
    Ok(())
}

/// The statement that claims due rows of an outbox-like table for one worker: it sets
/// `locked_until` to `$1` on up to `$3` rows that are `due` (a condition on `$2`, now) and not
/// claimed by anyone else (their lease ran out), oldest `due_column` first, and answers
/// `returning`. On PostgreSQL the rows another worker is claiming at the same moment are
/// skipped (`FOR UPDATE SKIP LOCKED`); SQLite's single writer needs no more.
pub(crate) fn claim_statement(
    backend: Backend,
    table: &str,
    due: &str,
    due_column: &str,
    returning: &str,
) -> String {
    let lock = backend.skip_locked();
    format!(
        "UPDATE {table} SET locked_until = $1 WHERE id IN ( \
           SELECT id FROM {table} WHERE {due} \
           AND (locked_until IS NULL OR locked_until <= $2) ORDER BY {due_column} LIMIT $3 {lock}) \
         RETURNING {returning}"
    )
}

/// `$from, $from+1, ...`: `n` numbered placeholders for an `IN (...)` list.
pub(crate) fn placeholders(from: usize, n: usize) -> String {
    (from..from + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}
