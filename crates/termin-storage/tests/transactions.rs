//! Write transactions on SQLite, where termin sends BEGIN, COMMIT and ROLLBACK itself.

use jiff::Timestamp;
use termin_storage::idempotency::{self, StoredAnswer};
use termin_storage::{Batch, Db};

async fn fresh_db() -> (Db, std::path::PathBuf) {
    let path = std::env::temp_dir().join(format!("termin-tx-{}.db", uuid::Uuid::new_v4()));
    let db = Db::connect(&format!("sqlite://{}", path.display()))
        .await
        .expect("the database opens");
    (db, path)
}

fn answer() -> StoredAnswer {
    StoredAnswer {
        request_hash: "h".into(),
        status: 201,
        body: "{}".into(),
    }
}

async fn stored(db: &Db, key: &str) -> Option<StoredAnswer> {
    idempotency::find(&mut db.conn().await.unwrap(), "scope", key)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_dropped_transaction_is_rolled_back_before_the_next_writer_starts() {
    let (db, path) = fresh_db().await;
    let mut tx = db.begin_write().await.unwrap();
    let mut batch = Batch::new();
    idempotency::insert(&mut batch, "scope", "dropped", &answer(), Timestamp::now());
    batch.execute(&mut tx).await.unwrap();
    drop(tx);

    // The next writer gets the turn only after the rollback, so BEGIN IMMEDIATE succeeds at
    // once instead of waiting on the busy timeout.
    let started = std::time::Instant::now();
    let tx = db.begin_write().await.unwrap();
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    let mut batch = Batch::new();
    idempotency::insert(&mut batch, "scope", "kept", &answer(), Timestamp::now());
    tx.commit_with(batch).await.unwrap();

    assert_eq!(stored(&db, "dropped").await, None);
    assert_eq!(stored(&db, "kept").await, Some(answer()));
    db.close().await;
    let _ = std::fs::remove_file(path);
}

#[tokio::test]
async fn a_batch_that_fails_half_way_commits_nothing() {
    let (db, path) = fresh_db().await;
    let tx = db.begin_write().await.unwrap();
    let mut batch = Batch::new();
    idempotency::insert(&mut batch, "scope", "first", &answer(), Timestamp::now());
    idempotency::insert(&mut batch, "scope", "twice", &answer(), Timestamp::now());
    // The same primary key again: this statement fails, after two that succeeded.
    idempotency::insert(&mut batch, "scope", "twice", &answer(), Timestamp::now());
    assert!(tx.commit_with(batch).await.is_err());

    let tx = db.begin_write().await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(stored(&db, "first").await, None);
    assert_eq!(stored(&db, "twice").await, None);
    db.close().await;
    let _ = std::fs::remove_file(path);
}

#[tokio::test]
async fn a_begin_cancelled_while_waiting_for_the_lock_leaves_nothing_open() {
    use sqlx::{Connection, Executor};
    let (db, path) = fresh_db().await;
    // Another process holds SQLite's write lock, so termin's BEGIN IMMEDIATE waits inside
    // SQLite (on the busy timeout) ...
    let url = format!("sqlite://{}", path.display());
    let mut other = sqlx::AnyConnection::connect(&url).await.unwrap();
    other.execute("BEGIN IMMEDIATE").await.unwrap();
    // ... and the caller gives up while it waits.
    let waited =
        tokio::time::timeout(std::time::Duration::from_millis(300), db.begin_write()).await;
    assert!(
        waited.is_err(),
        "BEGIN cannot succeed while the lock is held"
    );
    other.execute("COMMIT").await.unwrap();

    // The abandoned BEGIN runs once the lock is free and is rolled back at once: the other
    // process can take the lock again (before, a pooled connection kept it for good).
    tokio::time::timeout(
        std::time::Duration::from_secs(3),
        other.execute("BEGIN IMMEDIATE"),
    )
    .await
    .expect("no connection of termin's pool still holds the write lock")
    .unwrap();
    other.execute("ROLLBACK").await.unwrap();

    // termin's next writer starts at once and its commit sticks.
    let started = std::time::Instant::now();
    let tx = tokio::time::timeout(std::time::Duration::from_secs(5), db.begin_write())
        .await
        .expect("no connection was left holding the write lock")
        .unwrap();
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    let mut batch = Batch::new();
    idempotency::insert(&mut batch, "scope", "after", &answer(), Timestamp::now());
    tx.commit_with(batch).await.unwrap();
    assert_eq!(stored(&db, "after").await, Some(answer()));
    other.close().await.unwrap();
    db.close().await;
    let _ = std::fs::remove_file(path);
}

/// Every commit reaches the disk before it is acknowledged unless the operator opts out.
#[tokio::test]
async fn sqlite_commits_are_durable_unless_opted_out() {
    let synchronous = |db: Db| async move {
        let mut conn = db.conn().await.unwrap();
        sqlx::query_scalar::<_, i64>("PRAGMA synchronous")
            .fetch_one(&mut *conn)
            .await
            .unwrap()
    };
    let (db, path) = fresh_db().await;
    assert_eq!(synchronous(db).await, 2, "FULL");
    let normal = Db::connect_with(
        &format!("sqlite://{}", path.display()),
        termin_storage::Durability::Normal,
    )
    .await
    .unwrap();
    assert_eq!(synchronous(normal).await, 1, "NORMAL");
    let _ = std::fs::remove_file(path);
}
