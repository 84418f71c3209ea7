/// A uniqueness rule of the schema that an insert or update ran into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conflict {
    UserEmail,
    UserSlug,
    CompanyOwner,
    MeetingTypeSlug,
    ContactEmail,
    IdempotencyKey,
    /// A host would be in two overlapping active appointments.
    HostOverlap,
    /// A group appointment would hold more attendees than seats.
    SpotsExceeded,
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
        (
            Conflict::ContactEmail,
            "contacts_company_email",
            "contacts.company_id",
        ),
    ];
}

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("unique constraint violated: {0:?}")]
    Conflict(Conflict),
    #[error("database URL must start with sqlite: or postgres:")]
    UnsupportedUrl,
    /// An operation this database or input cannot do, with the reason for the operator.
    #[error("{0}")]
    Unsupported(String),
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
            let code = db.code().unwrap_or_default();
            // PostgreSQL: exclusion violation 23P01; SQLite: the trigger's RAISE message.
            if code == "23P01" || db.message().contains("appointment_hosts_no_overlap") {
                return StorageError::Conflict(Conflict::HostOverlap);
            }
            if db.is_check_violation() {
                return StorageError::Conflict(Conflict::SpotsExceeded);
            }
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
