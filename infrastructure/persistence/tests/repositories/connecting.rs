//! Opening the database: supported URLs only, quick failure when it is down, and a SQLite file
//! set up for concurrent use.

use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};
use seckiller_persistence::{PersistenceError, connect};

use crate::harness::{raw_connection, sqlite_scratch};

#[tokio::test]
async fn an_unsupported_url_is_refused() {
    for url in [
        "mysql://root@localhost/db",
        "redis://localhost",
        "not a url",
    ] {
        assert_eq!(
            connect(url).await.err(),
            Some(PersistenceError::UnsupportedUrl),
            "{url}"
        );
    }
}

#[tokio::test]
async fn an_unreachable_database_is_an_error_that_hides_the_password() {
    let outcome = connect("postgres://seckiller:s3cret-pw@127.0.0.1:1/seckiller").await;
    match outcome {
        Err(PersistenceError::Connect(message)) => {
            assert!(!message.contains("s3cret-pw"), "{message}")
        }
        other => panic!("expected a connection error, got {other:?}"),
    }
}

#[tokio::test]
async fn a_missing_sqlite_file_is_created_in_wal_mode() {
    let (url, _scratch) = sqlite_scratch();
    let db = connect(&url).await.expect("a missing file is created");
    db.migrate().await.expect("and migrated");

    let raw = raw_connection(&url).await.expect("open the same file");
    let mode = raw
        .query_one_raw(Statement::from_string(
            DatabaseBackend::Sqlite,
            "PRAGMA journal_mode",
        ))
        .await
        .expect("query")
        .expect("a row");
    assert_eq!(
        mode.try_get::<String>("", "journal_mode").expect("text"),
        "wal"
    );
}
