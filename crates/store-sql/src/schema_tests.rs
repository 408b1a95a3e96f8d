//! The two migration trees build the same tables: the same columns with the same types (mapped
//! to a common notion), nullability, primary keys and indexes. Postgres through
//! `TEST_DATABASE_URL` (required when `CURRICULA_REQUIRE_POSTGRES=1`).

use crate::{Database, Pools};
use diesel::QueryableByName;
use diesel::sql_types::Text;
use std::collections::BTreeSet;

/// One column (`c|table|column|type|not null|position in the primary key or 0`) or index
/// (`i|table|kind|partial|columns`) as a query describes it.
#[derive(QueryableByName)]
struct Line {
    #[diesel(sql_type = Text)]
    line: String,
}

const SQLITE: &str = "SELECT 'c|' || m.name || '|' || p.name || '|' || p.type || '|' || p.\"notnull\" || '|' || p.pk \
     AS line FROM sqlite_master m, pragma_table_info(m.name) p WHERE m.type = 'table' \
     UNION ALL SELECT 'i|' || m.name || '|' || CASE WHEN il.origin = 'pk' THEN 'primary' \
     WHEN il.\"unique\" THEN 'unique' ELSE 'index' END || '|' || il.partial || '|' || (SELECT group_concat(name, ',') \
     FROM (SELECT name FROM pragma_index_info(il.name) ORDER BY seqno)) \
     FROM sqlite_master m, pragma_index_list(m.name) il WHERE m.type = 'table'";

const POSTGRES: &str = "SELECT 'c|' || t.relname || '|' || a.attname || '|' || format_type(a.atttypid, a.atttypmod) \
     || '|' || a.attnotnull::int || '|' || COALESCE((SELECT k.n FROM pg_index i, unnest(i.indkey) WITH ORDINALITY \
     k(attnum, n) WHERE i.indrelid = t.oid AND i.indisprimary AND k.attnum = a.attnum), 0) AS line \
     FROM pg_class t JOIN pg_namespace s ON s.oid = t.relnamespace AND s.nspname = current_schema() \
     JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum > 0 AND NOT a.attisdropped WHERE t.relkind = 'r' \
     UNION ALL SELECT 'i|' || t.relname || '|' || CASE WHEN i.indisprimary THEN 'primary' \
     WHEN i.indisunique THEN 'unique' ELSE 'index' END || '|' || (i.indpred IS NOT NULL)::int || '|' || \
     (SELECT string_agg(a.attname, ',' ORDER BY k.n) FROM unnest(i.indkey) WITH ORDINALITY k(attnum, n) \
       JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum) \
     FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid \
     JOIN pg_namespace s ON s.oid = t.relnamespace AND s.nspname = current_schema()";

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

/// Every column and index of the tables (not the migrations' own), as comparable lines.
fn describe(lines: Vec<Line>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut primary: Vec<(String, String, String)> = Vec::new();
    for Line { line } in &lines {
        match line.split('|').collect::<Vec<_>>()[..] {
            [_, table, ..] if table.starts_with("__diesel") || table.starts_with("sqlite_") => {}
            ["c", table, column, declared, not_null, pk] => {
                // A primary key column is never null, whether or not the table says so (SQLite).
                let null = if not_null != "0" || pk != "0" { "not null" } else { "null" };
                out.insert(format!("column {table}.{column} {} {null}", common_type(declared)));
                if pk != "0" {
                    primary.push((table.to_owned(), format!("{pk:0>3}"), column.to_owned()));
                }
            }
            ["i", table, kind, partial, columns] => {
                let partial = if partial == "0" { "" } else { " partial" };
                out.insert(format!("index {table} ({columns}) {kind}{partial}"));
            }
            _ => panic!("unexpected description {line:?}"),
        }
    }
    // SQLite's `INTEGER PRIMARY KEY` has no index of its own: each key from its columns.
    primary.sort();
    for (table, ..) in &primary {
        let key: Vec<&str> = primary.iter().filter(|(t, ..)| t == table).map(|(.., c)| c.as_str()).collect();
        out.insert(format!("index {table} ({}) primary", key.join(",")));
    }
    out
}

async fn schema_of(db: &Database) -> BTreeSet<String> {
    use diesel_async::RunQueryDsl;
    describe(match &db.pool {
        Pools::Sqlite(pool) => {
            let describe = async |c: &mut crate::sqlite::Conn| diesel::sql_query(SQLITE).load(c).await;
            crate::sqlite::run(pool, describe).await.unwrap()
        }
        Pools::Postgres(pool) => {
            let mut c = crate::pg::get(pool).await.unwrap();
            diesel::sql_query(POSTGRES).load(&mut c).await.unwrap()
        }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_migration_trees_build_the_same_tables() {
    let Some(pg) = crate::testing::TestDatabase::create().await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let sqlite = Database::connect(&format!("sqlite://{}", dir.path().join("s.db").display()), 1).await.unwrap();
    let postgres = Database::connect(pg.url(), 1).await.unwrap();
    sqlite.migrate().await.unwrap();
    postgres.migrate().await.unwrap();
    let (sqlite, postgres) = (schema_of(&sqlite).await, schema_of(&postgres).await);
    assert!(sqlite.iter().any(|l| l.starts_with("column curriculum_bounds.lft")), "{sqlite:#?}");
    let only_sqlite: Vec<_> = sqlite.difference(&postgres).collect();
    let only_postgres: Vec<_> = postgres.difference(&sqlite).collect();
    assert!(
        only_sqlite.is_empty() && only_postgres.is_empty(),
        "the migration trees differ:\nonly in migrations/sqlite: {only_sqlite:#?}\nonly in migrations/postgres: {only_postgres:#?}"
    );
}
