//! termin's API test suite. Every test runs on SQLite and on PostgreSQL.

mod helpers;
mod pg;

mod matrix;
