//! Backups of an SQLite database, taken while the server runs, and bringing one back.
//! (PostgreSQL has its own tools; docs/operations.md says how.)

use std::path::{Path, PathBuf};

use crate::{Backend, Db, Result, StorageError};

impl Db {
    /// Writes a consistent copy of the database to `to` (a new file) with `VACUUM INTO`: it
    /// reads one snapshot, so every transaction committed before it began is in the copy, and
    /// none that commits while it runs. Readers and writers go on meanwhile.
    pub async fn backup_into(&self, to: &Path) -> Result<()> {
        if self.backend() != Backend::Sqlite {
            return Err(StorageError::Unsupported(
                "termin backup copies SQLite databases; back up PostgreSQL with pg_dump (see docs/operations.md)"
                    .into(),
            ));
        }
        if to.exists() {
            return Err(StorageError::Unsupported(format!(
                "{} exists already; a backup is written to a new file",
                to.display()
            )));
        }
        let to = to
            .to_str()
            .ok_or_else(|| StorageError::Unsupported("the backup path is not UTF-8".into()))?;
        sqlx::query("VACUUM INTO $1")
            .bind(to)
            .execute(self.pool())
            .await?;
        Ok(())
    }
}

/// The file an `sqlite://` URL names.
pub fn sqlite_path(url: &str) -> Result<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .ok_or_else(|| {
            StorageError::Unsupported(
                "termin restore brings back SQLite databases; restore PostgreSQL with pg_restore or psql (see docs/operations.md)"
                    .into(),
            )
        })?;
    let path = rest.split('?').next().unwrap_or_default();
    if path.is_empty() || path == ":memory:" {
        return Err(StorageError::Unsupported(
            "the database URL names no file".into(),
        ));
    }
    Ok(PathBuf::from(path))
}

/// Makes the backup at `from` the database at `url`, which no server may be using. The backup
/// is checked first (SQLite's integrity check, and that it is a termin database); an existing
/// database is replaced only with `replace`. The copy is written beside the target and renamed
/// over it, so a failure half way leaves the old database as it was. Migrations newer than the
/// backup run when the database is next opened.
pub async fn restore_sqlite(from: &Path, url: &str, replace: bool) -> Result<()> {
    let target = sqlite_path(url)?;
    if !from.is_file() {
        return Err(StorageError::Unsupported(format!(
            "{} is not a file",
            from.display()
        )));
    }
    if target.exists() && !replace {
        return Err(StorageError::Unsupported(format!(
            "{} exists; stop the server that uses it and pass --replace to overwrite it",
            target.display()
        )));
    }
    // Anything else would only time out in the connection pool.
    let mut magic = [0u8; 16];
    let is_sqlite = std::fs::File::open(from)
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut magic))
        .is_ok()
        && &magic == b"SQLite format 3\0";
    if !is_sqlite {
        return Err(StorageError::Corrupt(format!(
            "{} is not an SQLite database",
            from.display()
        )));
    }
    // Everything happens on a copy beside the target; the backup itself is never opened for
    // writing (opening sets WAL mode).
    let staged = target.with_extension("restoring");
    let _ = std::fs::remove_file(&staged);
    std::fs::copy(from, &staged).map_err(|e| {
        StorageError::Unsupported(format!("{} could not be copied: {e}", from.display()))
    })?;
    if let Err(e) = check_backup(&staged, from).await {
        let _ = std::fs::remove_file(&staged);
        return Err(e);
    }
    // The old database's write-ahead log belongs to the old file: it must not be replayed
    // into the restored one.
    for suffix in ["-wal", "-shm"] {
        let mut side = target.clone().into_os_string();
        side.push(suffix);
        match std::fs::remove_file(&side) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(StorageError::Unsupported(format!(
                    "{}: {e}",
                    side.display()
                )))
            }
        }
    }
    std::fs::rename(&staged, &target).map_err(|e| {
        StorageError::Unsupported(format!("{} could not be replaced: {e}", target.display()))
    })?;
    Ok(())
}

/// Whether the copy at `staged` of `from` is a sound termin database.
async fn check_backup(staged: &Path, from: &Path) -> Result<()> {
    let staged = staged
        .to_str()
        .ok_or_else(|| StorageError::Unsupported("the database path is not UTF-8".into()))?;
    let not_termin =
        || StorageError::Corrupt(format!("{} is not a termin database", from.display()));
    let db = Db::connect_without_migrating(&format!("sqlite://{staged}"))
        .await
        .map_err(|_| not_termin())?;
    let check: std::result::Result<String, _> = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(db.pool())
        .await;
    let tables: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' \
         AND name IN ('_sqlx_migrations', 'companies', 'appointments')",
    )
    .fetch_one(db.pool())
    .await
    .unwrap_or(0);
    db.close().await;
    match check {
        Ok(ok) if ok == "ok" && tables == 3 => Ok(()),
        Ok(ok) if ok != "ok" => Err(StorageError::Corrupt(format!(
            "{} fails SQLite's integrity check: {ok}",
            from.display()
        ))),
        _ => Err(not_termin()),
    }
}
