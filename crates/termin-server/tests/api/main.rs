//! termin's API test suite. Every test runs on SQLite and on PostgreSQL.

mod helpers;
mod pg;
mod process;
mod radicale;
mod receiver;
mod smtp;

mod abuse;
mod appointments;
mod binary;
mod browser;
mod calendar_feed;
mod calendars;
mod connections;

mod contacts;
mod corrections;
mod credentials;
mod dashboard;
mod dashboard_browser;
mod errors;
mod mail;
mod matrix;
mod mcp;
mod oauth;
mod openapi;
mod outbox;
mod pages;
mod races;
mod scheduling;
mod schemathesis;
mod users;
mod webhooks;
