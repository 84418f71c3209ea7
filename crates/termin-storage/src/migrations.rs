//! Each dialect has its own migrations folder; the files are embedded in the binary.

use std::borrow::Cow;

use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::{AnyPool, SqlStr};

use crate::{Backend, Result};

const SQLITE: &[(i64, &str, &str)] = &[
    (
        1,
        "identity",
        include_str!("../migrations/sqlite/0001_identity.sql"),
    ),
    (
        2,
        "scheduling",
        include_str!("../migrations/sqlite/0002_scheduling.sql"),
    ),
    (
        3,
        "webhooks",
        include_str!("../migrations/sqlite/0003_webhooks.sql"),
    ),
    (
        4,
        "bounded overlap checks",
        include_str!("../migrations/sqlite/0004_bounded_overlap_checks.sql"),
    ),
    (
        5,
        "busy index",
        include_str!("../migrations/sqlite/0005_busy_index.sql"),
    ),
    (
        6,
        "busy version",
        include_str!("../migrations/sqlite/0006_busy_version.sql"),
    ),
    (
        7,
        "login throttle",
        include_str!("../migrations/sqlite/0007_login_throttle.sql"),
    ),
    (
        8,
        "transcripts",
        include_str!("../migrations/sqlite/0008_transcripts.sql"),
    ),
    (
        9,
        "personal pages",
        include_str!("../migrations/sqlite/0009_personal_pages.sql"),
    ),
    (
        10,
        "mail",
        include_str!("../migrations/sqlite/0010_mail.sql"),
    ),
    (
        11,
        "one-time links",
        include_str!("../migrations/sqlite/0011_one_time_links.sql"),
    ),
    (
        12,
        "account links",
        include_str!("../migrations/sqlite/0012_account_links.sql"),
    ),
    (
        13,
        "calendar feeds",
        include_str!("../migrations/sqlite/0013_calendar_feeds.sql"),
    ),
    (
        14,
        "server settings",
        include_str!("../migrations/sqlite/0014_server_settings.sql"),
    ),
    (
        15,
        "calendar connections",
        include_str!("../migrations/sqlite/0015_calendar_connections.sql"),
    ),
    (
        16,
        "oauth",
        include_str!("../migrations/sqlite/0016_oauth.sql"),
    ),
];

const POSTGRES: &[(i64, &str, &str)] = &[
    (
        1,
        "identity",
        include_str!("../migrations/postgres/0001_identity.sql"),
    ),
    (
        2,
        "scheduling",
        include_str!("../migrations/postgres/0002_scheduling.sql"),
    ),
    (
        3,
        "webhooks",
        include_str!("../migrations/postgres/0003_webhooks.sql"),
    ),
    (
        4,
        "bounded overlap checks",
        include_str!("../migrations/postgres/0004_bounded_overlap_checks.sql"),
    ),
    (
        5,
        "busy index",
        include_str!("../migrations/postgres/0005_busy_index.sql"),
    ),
    (
        6,
        "busy version",
        include_str!("../migrations/postgres/0006_busy_version.sql"),
    ),
    (
        7,
        "login throttle",
        include_str!("../migrations/postgres/0007_login_throttle.sql"),
    ),
    (
        8,
        "transcripts",
        include_str!("../migrations/postgres/0008_transcripts.sql"),
    ),
    (
        9,
        "personal pages",
        include_str!("../migrations/postgres/0009_personal_pages.sql"),
    ),
    (
        10,
        "mail",
        include_str!("../migrations/postgres/0010_mail.sql"),
    ),
    (
        11,
        "one-time links",
        include_str!("../migrations/postgres/0011_one_time_links.sql"),
    ),
    (
        12,
        "account links",
        include_str!("../migrations/postgres/0012_account_links.sql"),
    ),
    (
        13,
        "calendar feeds",
        include_str!("../migrations/postgres/0013_calendar_feeds.sql"),
    ),
    (
        14,
        "server settings",
        include_str!("../migrations/postgres/0014_server_settings.sql"),
    ),
    (
        15,
        "calendar connections",
        include_str!("../migrations/postgres/0015_calendar_connections.sql"),
    ),
    (
        16,
        "oauth",
        include_str!("../migrations/postgres/0016_oauth.sql"),
    ),
];

pub(crate) async fn run(pool: &AnyPool, backend: Backend) -> Result<()> {
    let files = match backend {
        Backend::Sqlite => SQLITE,
        Backend::Postgres => POSTGRES,
    };
    let migrations: Vec<Migration> = files
        .iter()
        .map(|(version, description, sql)| {
            Migration::new(
                *version,
                Cow::Borrowed(*description),
                MigrationType::Simple,
                SqlStr::from_static(sql),
                false,
            )
        })
        .collect();
    let migrator = Migrator::with_migrations(migrations);
    migrator.run(pool).await?;
    Ok(())
}
