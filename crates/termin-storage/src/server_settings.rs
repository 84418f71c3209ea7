//! Settings of the server itself (see the migration `0014_server_settings.sql`).

use sqlx::AnyConnection;

use crate::{Result, Tx};

/// A setting's value, if set.
pub async fn get(conn: &mut AnyConnection, name: &str) -> Result<Option<String>> {
    let value: Option<String> =
        sqlx::query_scalar("SELECT value FROM server_settings WHERE name = $1")
            .bind(name)
            .fetch_optional(conn)
            .await?;
    Ok(value)
}

/// Sets a setting unless it is set already (the first node to start wins).
pub async fn set_if_absent(tx: &mut Tx, name: &str, value: &str) -> Result<()> {
    let conn: &mut AnyConnection = tx;
    sqlx::query(
        "INSERT INTO server_settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
    )
    .bind(name)
    .bind(value)
    .execute(conn)
    .await?;
    Ok(())
}

/// Sets a setting, replacing its value.
pub async fn set(tx: &mut Tx, name: &str, value: &str) -> Result<()> {
    let conn: &mut AnyConnection = tx;
    sqlx::query(
        "INSERT INTO server_settings (name, value) VALUES ($1, $2) \
         ON CONFLICT (name) DO UPDATE SET value = excluded.value",
    )
    .bind(name)
    .bind(value)
    .execute(conn)
    .await?;
    Ok(())
}
