//! termin's server: the HTTP API, dashboard sessions, and the operator CLI, over the storage
//! and domain crates.

pub mod app;
pub mod auth;
pub mod cli;
pub mod config;
pub mod demo;
pub mod error;
pub mod extract;
pub mod rate_limit;
pub mod routes;
pub mod service;
pub mod state;
pub mod telemetry;
pub mod webhooks;
