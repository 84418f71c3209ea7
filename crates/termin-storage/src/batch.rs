//! Statements that run together, in order, inside the caller's transaction.
//!
//! sqlx runs each SQLite connection on a worker thread of its own, and every statement is a
//! round trip to that thread: two context switches, which on a small machine cost more than the
//! statement. A booking holds SQLite's single write lock while it writes, so those round trips
//! decide how many bookings a second the server takes. A batch goes to SQLite as one
//! multi-statement query, one round trip. PostgreSQL's extended protocol takes one statement per
//! query, so there the statements run one after another; the result is the same.
//!
//! Each statement numbers its own placeholders from `$1` and binds exactly that many values; the
//! batch renumbers them when it joins the statements (SQLite reads `$N` as the N-th value of the
//! whole query).

use sqlx::any::AnyArguments;
use sqlx::AssertSqlSafe;
use sqlx::{AnyConnection, Arguments};

use crate::Result;

/// A value bound to a statement of a batch.
#[derive(Debug, Clone)]
pub(crate) enum Value {
    Text(Option<String>),
    Int(Option<i64>),
}

impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(Some(v))
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(Some(v.to_owned()))
    }
}

impl From<Option<&str>> for Value {
    fn from(v: Option<&str>) -> Self {
        Value::Text(v.map(str::to_owned))
    }
}

impl From<Option<String>> for Value {
    fn from(v: Option<String>) -> Self {
        Value::Text(v)
    }
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(Some(v))
    }
}

/// Statements to run together; see the module documentation.
#[derive(Debug, Default)]
pub struct Batch {
    statements: Vec<(&'static str, Vec<Value>)>,
}

impl Batch {
    pub fn new() -> Self {
        Self::default()
    }

    pub(crate) fn push(&mut self, sql: &'static str, values: Vec<Value>) {
        // A mismatch would shift every later statement's values (SQLite binds NULL for a
        // missing one, silently), so it is checked in release builds too; it costs a scan.
        assert_eq!(
            placeholder_count(sql),
            values.len(),
            "a statement binds exactly the values it numbers: {sql}"
        );
        self.statements.push((sql, values));
    }

    pub fn is_empty(&self) -> bool {
        self.statements.is_empty()
    }

    /// Runs every statement in order. An error stops the batch; the caller's transaction, which
    /// it then rolls back, holds whatever ran before.
    pub async fn execute(self, conn: &mut AnyConnection) -> Result<()> {
        Ok(self.execute_raw(conn).await?)
    }

    pub(crate) async fn execute_raw(
        self,
        conn: &mut AnyConnection,
    ) -> std::result::Result<(), sqlx::Error> {
        if self.statements.is_empty() {
            return Ok(());
        }
        if conn.backend_name() == "SQLite" {
            let mut sql = String::new();
            let mut args = AnyArguments::default();
            let mut offset = 0;
            for (text, values) in &self.statements {
                renumber(text, offset, &mut sql);
                sql.push_str(";\n");
                offset += values.len();
                for v in values {
                    bind(&mut args, v);
                }
            }
            sqlx::query_with(AssertSqlSafe(sql), args)
                .execute(conn)
                .await?;
        } else {
            for (text, values) in &self.statements {
                let mut args = AnyArguments::default();
                for v in values {
                    bind(&mut args, v);
                }
                sqlx::query_with(*text, args).execute(&mut *conn).await?;
            }
        }
        Ok(())
    }
}

fn bind(args: &mut AnyArguments, v: &Value) {
    // Adding a text or integer to AnyArguments cannot fail (it only fails for types Any lacks).
    let added = match v {
        Value::Text(t) => args.add(t.clone()),
        Value::Int(i) => args.add(*i),
    };
    debug_assert!(added.is_ok());
}

/// Appends `sql` to `out` with every `$N` turned into `$(N + offset)`. termin's statements
/// never hold a `$` inside a literal, so every `$` followed by digits is a placeholder.
fn renumber(sql: &str, offset: usize, out: &mut String) {
    let mut rest = sql;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..=at]);
        rest = &rest[at + 1..];
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        match rest[..digits].parse::<usize>() {
            Ok(n) => out.push_str(&(n + offset).to_string()),
            Err(_) => out.push_str(&rest[..digits]),
        }
        rest = &rest[digits..];
    }
    out.push_str(rest);
}

/// The highest placeholder number in `sql`.
fn placeholder_count(sql: &str) -> usize {
    sql.split('$')
        .skip(1)
        .filter_map(|s| {
            let digits = s.bytes().take_while(u8::is_ascii_digit).count();
            s[..digits].parse::<usize>().ok()
        })
        .max()
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renumbering_shifts_every_placeholder() {
        let mut out = String::new();
        renumber(
            "INSERT INTO t (a, b) VALUES ($1, $12) -- $ alone",
            3,
            &mut out,
        );
        assert_eq!(out, "INSERT INTO t (a, b) VALUES ($4, $15) -- $ alone");
        assert_eq!(placeholder_count("SELECT $2, $10, $1"), 10);
        assert_eq!(placeholder_count("SELECT 1"), 0);
    }
}
