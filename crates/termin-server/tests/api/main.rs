//! termin's API test suite. Every test runs on SQLite and on PostgreSQL.

mod helpers;
mod pg;
mod process;

mod appointments;
mod binary;

mod credentials;
mod errors;
mod matrix;
mod races;
mod scheduling;
mod users;
