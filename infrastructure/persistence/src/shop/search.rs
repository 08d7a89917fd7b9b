//! Words to product ids, newest first: Postgres full-text search over the 'simple' configuration
//! (`to_tsvector` of name and description, the GIN index of the migration), SQLite FTS5 over the
//! `product_search` table the triggers keep. Both match each word as a prefix of a word of the
//! product, all words required. The words are letters and digits only (the application splits
//! the query), and are bound as values, never spliced into the statement.

use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, Statement, Value};
use seckiller_domain::ProductState;
use seckiller_domain::ports::{ProductSearch, StorageError};
use uuid::Uuid;

use crate::error::storage;

/// The ids of the page of active products matching `search`, newest first.
pub(super) async fn matching_ids(
    connection: &DatabaseConnection,
    search: &ProductSearch,
) -> Result<Vec<Uuid>, StorageError> {
    let backend = connection.get_database_backend();
    let mut values: Vec<Value> = vec![ProductState::Active.as_str().into()];
    let (from, text_match) = match backend {
        DatabaseBackend::Postgres => (
            "products p",
            "to_tsvector('simple', p.name || ' ' || p.description) @@ to_tsquery('simple', $2)",
        ),
        _ => (
            "products p JOIN product_search s ON s.product_id = p.id",
            "product_search MATCH $2",
        ),
    };
    let mut sql = format!("SELECT p.id FROM {from} WHERE p.state = $1");
    if !search.words.is_empty() {
        sql.push_str(" AND ");
        sql.push_str(text_match);
        values.push(query_text(backend, &search.words).into());
    }
    if let Some(after) = search.after {
        values.push(after.as_uuid().into());
        sql.push_str(&format!(" AND p.id < ${}", values.len()));
    }
    values.push(i64::from(search.limit).into());
    sql.push_str(&format!(" ORDER BY p.id DESC LIMIT ${}", values.len()));
    if backend == DatabaseBackend::Sqlite {
        sql = sql.replace('$', "?");
    }
    let rows = connection
        .query_all_raw(Statement::from_sql_and_values(backend, sql, values))
        .await
        .map_err(storage)?;
    rows.iter()
        .map(|row| row.try_get::<Uuid>("", "id").map_err(storage))
        .collect()
}

/// The words as each backend's query: `a:* & b:*` for Postgres, `"a"* "b"*` for FTS5.
fn query_text(backend: DatabaseBackend, words: &[String]) -> String {
    let each: Vec<String> = match backend {
        DatabaseBackend::Postgres => words.iter().map(|w| format!("{w}:*")).collect(),
        _ => words.iter().map(|w| format!("\"{w}\"*")).collect(),
    };
    each.join(match backend {
        DatabaseBackend::Postgres => " & ",
        _ => " ",
    })
}

/// Keeps `ids` that are in `found`, in the order of `ids`.
pub(super) fn in_order<T>(ids: &[Uuid], mut found: Vec<(Uuid, T)>) -> Vec<T> {
    let mut ordered = Vec::with_capacity(found.len());
    for id in ids {
        if let Some(at) = found.iter().position(|(f, _)| f == id) {
            ordered.push(found.swap_remove(at).1);
        }
    }
    ordered
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_become_each_backends_prefix_query() {
        let words = vec!["red".to_owned(), "mug".to_owned()];
        assert_eq!(
            query_text(DatabaseBackend::Postgres, &words),
            "red:* & mug:*"
        );
        assert_eq!(
            query_text(DatabaseBackend::Sqlite, &words),
            "\"red\"* \"mug\"*"
        );
    }
}
