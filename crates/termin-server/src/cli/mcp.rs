//! `termin mcp --url URL`: termin's MCP tools over stdio, for assistants that start a local
//! program. It relays each request to the server's `/mcp` with the token from `TERMIN_TOKEN`
//! (and `TERMIN_USER_ID` for an API key), so the tools, their checks and their answers are the
//! server's own: nothing runs here but the relay.

use std::collections::HashMap;

use anyhow::{bail, Context};
use clap::Args;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, ListToolsResult, PaginatedRequestParams, ServerConfig,
    Tool,
};
use rmcp::service::{Peer, RequestContext, RoleClient, RoleServer};
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::{ErrorData, ServerHandler, ServiceExt};

use crate::http::auth::ACTING_USER_HEADER;

#[derive(Args, Debug)]
pub struct McpArgs {
    /// The termin server: its base URL (`https://termin.example.com`) or its `/mcp` URL.
    #[arg(long, env = "TERMIN_URL")]
    pub url: String,
}

/// The `/mcp` URL of a server given by its base URL or by that URL itself.
pub fn endpoint(url: &str) -> anyhow::Result<String> {
    let mut parsed = reqwest::Url::parse(url).context("--url must be an http(s) URL")?;
    if !matches!(parsed.scheme(), "http" | "https") {
        bail!("--url must be an http(s) URL");
    }
    if !parsed
        .path()
        .trim_end_matches('/')
        .ends_with(crate::mcp::PATH)
    {
        let path = format!(
            "{}{}",
            parsed.path().trim_end_matches('/'),
            crate::mcp::PATH
        );
        parsed.set_path(&path);
    }
    Ok(parsed.to_string())
}

pub async fn run(args: McpArgs) -> anyhow::Result<()> {
    let token = std::env::var("TERMIN_TOKEN")
        .ok()
        .filter(|t| !t.trim().is_empty())
        .context("set TERMIN_TOKEN to a personal access token or a Platform API Key")?;
    let mut headers = HashMap::new();
    if let Ok(user) = std::env::var("TERMIN_USER_ID") {
        headers.insert(
            reqwest::header::HeaderName::from_static(ACTING_USER_HEADER),
            user.parse()
                .context("TERMIN_USER_ID is not a valid header value")?,
        );
    }
    let config = StreamableHttpClientTransportConfig::with_uri(endpoint(&args.url)?)
        .auth_header(token.trim())
        .custom_headers(headers);
    let upstream =
        ().serve(StreamableHttpClientTransport::from_config(config))
            .await
            .context("could not reach the termin server's /mcp")?;
    let relay = Relay {
        upstream: upstream.peer().clone(),
    };
    let served = relay
        .serve(rmcp::transport::stdio())
        .await
        .context("the MCP client on stdin did not start a session")?;
    served.waiting().await?;
    upstream.cancel().await?;
    Ok(())
}

/// Answers stdio requests by asking the server.
#[derive(Clone)]
struct Relay {
    upstream: Peer<RoleClient>,
}

fn relayed(e: rmcp::ServiceError) -> ErrorData {
    match e {
        rmcp::ServiceError::McpError(e) => e,
        other => ErrorData::internal_error(format!("the termin server: {other}"), None),
    }
}

impl ServerHandler for Relay {
    fn get_info(&self) -> ServerConfig {
        match self.upstream.peer_info() {
            Some(info) => {
                let mut config = ServerConfig::new(info.capabilities.clone());
                if let Some(server) = &info.server_info {
                    config = config.with_server_info(server.clone());
                }
                match &info.instructions {
                    Some(text) => config.with_instructions(text.clone()),
                    None => config,
                }
            }
            None => ServerConfig::default(),
        }
    }

    async fn list_tools(
        &self,
        request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        self.upstream.list_tools(request).await.map_err(relayed)
    }

    fn get_tool(&self, _name: &str) -> Option<Tool> {
        None
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        self.upstream.call_tool_once(request).await.map_err(relayed)
    }
}

#[cfg(test)]
mod tests {
    use super::endpoint;

    #[test]
    fn the_endpoint_is_the_servers_mcp_url() {
        assert_eq!(
            endpoint("https://t.example.com").unwrap(),
            "https://t.example.com/mcp"
        );
        assert_eq!(
            endpoint("https://t.example.com/base/").unwrap(),
            "https://t.example.com/base/mcp"
        );
        assert_eq!(
            endpoint("http://127.0.0.1:8080/mcp").unwrap(),
            "http://127.0.0.1:8080/mcp"
        );
        assert!(endpoint("ftp://t.example.com").is_err());
    }
}
