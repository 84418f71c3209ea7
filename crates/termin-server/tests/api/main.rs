//! termin's API test suite. Every test runs on SQLite and on PostgreSQL.

mod helpers;
mod pg;
mod process;

mod binary;

mod credentials;
mod errors;
mod matrix;
mod scheduling;
mod users;
