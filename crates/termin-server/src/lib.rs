//! termin's server: thin doors over the service crate. `http/` is the REST API (one module per
//! resource), `pages/` the public booking pages, `mcp/` the MCP server for AI assistants, `jobs/` the background work every node runs, `cli/` the `termin` command.

pub mod app;
pub mod cli;
pub mod config;
pub mod connections;
pub mod http;
pub mod jobs;
pub mod labels;
pub mod mail;
pub mod mcp;
pub mod pages;
pub mod state;
pub mod telemetry;
