//! The two migration trees build the same tables: the same columns with the same types (mapped
//! to a common notion), nullability, primary keys and indexes. Postgres through
//! `TEST_DATABASE_URL` (required when `CURRICULA_REQUIRE_POSTGRES=1`).

use crate::{Database, Pools};
use diesel::QueryableByName;
use diesel::sql_types::{Integer, Text};
use std::collections::BTreeSet;

#[derive(QueryableByName)]
struct Column {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Text)]
    data_type: String,
    #[diesel(sql_type = Integer)]
    not_null: i32,
    /// Position in the primary key, from 1; 0 when not in it.
    #[diesel(sql_type = Integer)]
    pk: i32,
}

#[derive(QueryableByName)]
struct Index {
    #[diesel(sql_type = Text)]
    table_name: String,
    /// `primary`, `unique` or `index`.
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = Integer)]
    partial: i32,
    /// Its columns, in order, comma-separated.
    #[diesel(sql_type = Text)]
    columns: String,
}

const SQLITE_TABLES: &str = "FROM sqlite_master m WHERE m.type = 'table' \
     AND m.name NOT LIKE 'sqlite!_%' ESCAPE '!' AND m.name NOT LIKE '!_!_diesel%' ESCAPE '!'";

fn sqlite_columns() -> String {
    format!(
        "SELECT m.name AS table_name, p.name AS column_name, p.type AS data_type, p.\"notnull\" AS not_null, \
         p.pk AS pk {} ",
        SQLITE_TABLES.replace(
            "FROM sqlite_master m",
            "FROM sqlite_master m, pragma_table_info(m.name) p"
        )
    )
}

fn sqlite_indexes() -> String {
    format!(
        "SELECT m.name AS table_name, CASE WHEN il.origin = 'pk' THEN 'primary' WHEN il.\"unique\" THEN 'unique' \
         ELSE 'index' END AS kind, il.partial AS partial, (SELECT group_concat(name, ',') FROM \
         (SELECT name FROM pragma_index_info(il.name) ORDER BY seqno)) AS columns {}",
        SQLITE_TABLES.replace(
            "FROM sqlite_master m",
            "FROM sqlite_master m, pragma_index_list(m.name) il"
        )
    )
}

const PG_COLUMNS: &str = "SELECT t.relname::text AS table_name, a.attname::text AS column_name, \
     format_type(a.atttypid, a.atttypmod) AS data_type, a.attnotnull::int AS not_null, \
     COALESCE((SELECT k.n FROM pg_index i, unnest(i.indkey) WITH ORDINALITY k(attnum, n) \
       WHERE i.indrelid = t.oid AND i.indisprimary AND k.attnum = a.attnum), 0)::int AS pk \
     FROM pg_class t JOIN pg_namespace s ON s.oid = t.relnamespace AND s.nspname = current_schema() \
     JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum > 0 AND NOT a.attisdropped \
     WHERE t.relkind = 'r' AND t.relname NOT LIKE '!_!_diesel%' ESCAPE '!'";

const PG_INDEXES: &str = "SELECT t.relname::text AS table_name, CASE WHEN i.indisprimary THEN 'primary' \
     WHEN i.indisunique THEN 'unique' ELSE 'index' END AS kind, (i.indpred IS NOT NULL)::int AS partial, \
     (SELECT string_agg(a.attname::text, ',' ORDER BY k.n) FROM unnest(i.indkey) WITH ORDINALITY k(attnum, n) \
       JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum) AS columns \
     FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid \
     JOIN pg_namespace s ON s.oid = t.relnamespace AND s.nspname = current_schema() \
     WHERE t.relname NOT LIKE '!_!_diesel%' ESCAPE '!'";

/// A declared type as one of the notions both backends share.
fn common_type(declared: &str) -> String {
    let t = declared.to_ascii_lowercase();
    let notion = if t.contains("int") || t.contains("serial") {
        "integer"
    } else if t.contains("char") || t.contains("text") || t.contains("clob") || t.starts_with("json") {
        "text"
    } else if t.starts_with("timestamp") || t == "datetime" {
        "timestamp"
    } else if t.starts_with("bool") {
        "bool"
    } else if t.contains("real") || t.contains("floa") || t.contains("doub") || t.starts_with("numeric") {
        "real"
    } else if t.contains("blob") || t == "bytea" {
        "blob"
    } else {
        return t;
    };
    notion.to_owned()
}

/// Every column and index of the database, as comparable lines.
fn describe(columns: Vec<Column>, indexes: Vec<Index>) -> BTreeSet<String> {
    let mut lines = BTreeSet::new();
    let mut primary: Vec<(String, i32, String)> = Vec::new();
    for c in columns {
        // A primary key column is never null, whether or not the table says so (SQLite).
        let null = if c.not_null != 0 || c.pk > 0 {
            "not null"
        } else {
            "null"
        };
        lines.insert(format!(
            "column {}.{} {} {null}",
            c.table_name,
            c.column_name,
            common_type(&c.data_type)
        ));
        if c.pk > 0 {
            primary.push((c.table_name, c.pk, c.column_name));
        }
    }
    // SQLite's `INTEGER PRIMARY KEY` has no index of its own: the key from the columns.
    primary.sort();
    for (table, _, column) in &primary {
        let key: Vec<&str> = primary
            .iter()
            .filter(|(t, ..)| t == table)
            .map(|(.., c)| c.as_str())
            .collect();
        lines.insert(format!("index {table} ({}) primary", key.join(",")));
        let _ = column;
    }
    for i in indexes {
        let partial = if i.partial != 0 { " partial" } else { "" };
        lines.insert(format!("index {} ({}) {}{partial}", i.table_name, i.columns, i.kind));
    }
    lines
}

async fn schema_of(db: &Database) -> BTreeSet<String> {
    use diesel_async::RunQueryDsl;
    match &db.pool {
        Pools::Sqlite(pool) => crate::sqlite::run(pool, async |c: &mut crate::sqlite::Conn| {
            let columns = diesel::sql_query(sqlite_columns()).load(c).await?;
            Ok(describe(columns, diesel::sql_query(sqlite_indexes()).load(c).await?))
        })
        .await
        .unwrap(),
        Pools::Postgres(pool) => {
            let mut c = crate::pg::get(pool).await.unwrap();
            let columns = diesel::sql_query(PG_COLUMNS).load(&mut c).await.unwrap();
            describe(columns, diesel::sql_query(PG_INDEXES).load(&mut c).await.unwrap())
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_migration_trees_build_the_same_tables() {
    let Some(pg) = crate::testing::TestDatabase::create().await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let sqlite = Database::connect(&format!("sqlite://{}", dir.path().join("s.db").display()), 1)
        .await
        .unwrap();
    let postgres = Database::connect(pg.url(), 1).await.unwrap();
    sqlite.migrate().await.unwrap();
    postgres.migrate().await.unwrap();
    let (sqlite, postgres) = (schema_of(&sqlite).await, schema_of(&postgres).await);
    assert!(
        sqlite.iter().any(|l| l.starts_with("column curriculum_bounds.lft")),
        "{sqlite:#?}"
    );
    let only_sqlite: Vec<_> = sqlite.difference(&postgres).collect();
    let only_postgres: Vec<_> = postgres.difference(&sqlite).collect();
    assert!(
        only_sqlite.is_empty() && only_postgres.is_empty(),
        "the migration trees differ:\nonly in migrations/sqlite: {only_sqlite:#?}\nonly in migrations/postgres: {only_postgres:#?}"
    );
}
