/// A uniqueness rule of the schema that an insert or update ran into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conflict {
    UserEmail,
    UserSlug,
    CompanyOwner,
}

impl Conflict {
    /// The PostgreSQL index name and the SQLite `table.column` text of each rule.
    const ALL: &'static [(Conflict, &'static str, &'static str)] = &[
        (Conflict::UserEmail, "users_email_present", "users.email"),
        (Conflict::UserSlug, "users_slug_present", "users.slug"),
        (
            Conflict::CompanyOwner,
            "users_one_owner",
            "users.company_id",
        ),
    ];
}

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("unique constraint violated: {0:?}")]
    Conflict(Conflict),
    #[error("database URL must start with sqlite: or postgres:")]
    UnsupportedUrl,
    #[error("stored data is not as expected: {0}")]
    Corrupt(String),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("database error: {0}")]
    Database(#[source] sqlx::Error),
}

impl From<sqlx::Error> for StorageError {
    fn from(err: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db) = &err {
            if db.is_unique_violation() {
                let message = db.message();
                let name = db.constraint().unwrap_or_default();
                for (conflict, pg, sqlite) in Conflict::ALL {
                    if name == *pg || message.contains(sqlite) {
                        return StorageError::Conflict(*conflict);
                    }
                }
            }
        }
        StorageError::Database(err)
    }
}

impl StorageError {
    pub fn conflict(&self) -> Option<Conflict> {
        match self {
            StorageError::Conflict(c) => Some(*c),
            _ => None,
        }
    }
}
