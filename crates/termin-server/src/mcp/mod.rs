//! The MCP door: AI assistants use termin through the Model Context Protocol, at `/mcp`
//! (streamable HTTP, stateless, so any node answers) and over stdio (`termin mcp`, which relays
//! to a server's `/mcp`; see `cli::mcp`).
//!
//! A request is authenticated like the REST API's (a Bearer credential; never a session
//! cookie), once, before any tool runs. `plain` answers a plain `tools/call` itself and hands
//! every other request to rmcp's service. Each tool is one REST operation (`tools::TOOLS`): the
//! call becomes that operation's request, which is handed in-process to the same route handler a
//! REST client reaches, with the request's caller already known. The handler calls the service
//! layer as always, so validation, permissions and error messages cannot differ between the two
//! doors, and no rule is written twice. The answer is the REST body as structured content, with
//! meetergo's presentation added (`present`).

mod plain;
mod present;
pub mod schema;
pub mod tools;

use std::sync::Arc;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation,
    ListToolsResult, PaginatedRequestParams, ServerCapabilities, ServerConfig, Tool,
    ToolAnnotations,
};
use rmcp::service::{RequestContext, RoleServer};
use rmcp::transport::streamable_http_server::session::never::NeverSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use rmcp::{ErrorData, ServerHandler};
use serde_json::{Map, Value};
use termin_service::PooledConnection;
use tower::ServiceExt;

use crate::http::auth::{LentConnection, Preauthenticated, ACTING_USER_HEADER};
use crate::http::error::ApiError;
use crate::http::extract::MAX_BODY_BYTES;
use crate::state::AppState;
use tools::{At, Effect, ToolSpec};

pub const PATH: &str = "/mcp";

/// `/mcp`, answering with the tools that run through `api` (the REST routes, with state).
pub fn router(
    state: &AppState,
    api: Router,
    openapi: &utoipa::openapi::OpenApi,
) -> Router<AppState> {
    let openapi = serde_json::to_value(openapi).expect("the OpenAPI document is JSON");
    let listed: Vec<Tool> = tools::TOOLS.iter().map(|t| tool(&openapi, t)).collect();
    let handler = Termin {
        api,
        tools: Arc::new(listed),
    };
    let (hosts, origins) = allowed(&state.config);
    let config = StreamableHttpServerConfig::default()
        .with_legacy_session_mode(false)
        .with_json_response(true)
        .with_sse_keep_alive(None)
        .with_allowed_hosts(hosts.clone())
        .with_allowed_origins(origins)
        .with_max_request_body_bytes(MAX_BODY_BYTES);
    let termin = handler.clone();
    let rmcp = StreamableHttpService::new(
        move || Ok(handler.clone()),
        Arc::new(NeverSessionManager::default()),
        config,
    );
    let door = Arc::new(plain::Door {
        state: state.clone(),
        rmcp,
        termin,
        hosts,
    });
    Router::new().route(
        PATH,
        axum::routing::any(move |request: Request| door.clone().serve(request)),
    )
}

/// The `Host` and `Origin` values `/mcp` accepts (see `McpConfig`).
fn allowed(config: &crate::config::Config) -> (Vec<String>, Vec<String>) {
    let public = reqwest::Url::parse(&config.public_url).ok();
    let mut hosts = config.mcp.allowed_hosts.clone();
    if hosts.is_empty() {
        hosts = ["localhost", "127.0.0.1", "::1"].map(String::from).to_vec();
        if let Some(host) = public.as_ref().and_then(|u| u.host_str()) {
            hosts.push(host.trim_matches(['[', ']']).to_owned());
        }
    }
    let mut origins = config.mcp.allowed_origins.clone();
    if origins.is_empty() {
        if let Some(u) = &public {
            let port = u.port_or_known_default().unwrap_or(443);
            origins.push(format!(
                "{}://{}:{port}",
                u.scheme(),
                u.host_str().unwrap_or_default()
            ));
        }
    }
    (hosts, origins)
}

/// The tool as MCP lists it.
fn tool(openapi: &Value, spec: &ToolSpec) -> Tool {
    let annotations = match spec.effect {
        Effect::Read => ToolAnnotations::with_title(spec.title)
            .read_only(true)
            .destructive(false)
            .idempotent(true)
            .open_world(false),
        Effect::Write {
            destructive,
            idempotent,
            open_world,
        } => ToolAnnotations::with_title(spec.title)
            .read_only(false)
            .destructive(destructive)
            .idempotent(idempotent)
            .open_world(open_world),
    };
    Tool::new(spec.name, spec.description, schema::input(spec))
        .with_title(spec.title)
        .with_raw_output_schema(Arc::new(schema::output(openapi, spec)))
        .with_annotations(annotations)
}

/// Authenticates an MCP request as the REST API would (a Bearer credential; an API key names
/// the acting user in `x-meetergo-api-user-id`, or acts as the company owner where the REST
/// route allows that), and charges the credential's rate limit once. The caller goes on the
/// request; the answer is the connection authentication read with. A request without a usable
/// credential gets 401 with a `WWW-Authenticate` challenge.
async fn authenticate(
    state: &AppState,
    parts: &mut axum::http::request::Parts,
) -> Result<PooledConnection, Response> {
    match crate::http::auth::preauthenticate(parts, state).await {
        Ok((pre, conn)) => {
            parts.extensions.insert(pre);
            Ok(conn)
        }
        Err(e) => {
            let challenge = e.status == StatusCode::UNAUTHORIZED;
            let mut response = e.into_response();
            if challenge {
                // Where an assistant discovers how to log in (OAuth; see `http::oauth`).
                if let Ok(v) = HeaderValue::from_str(&crate::http::oauth::challenge(state)) {
                    response.headers_mut().insert(header::WWW_AUTHENTICATE, v);
                }
            }
            Err(response)
        }
    }
}

#[derive(Clone)]
struct Termin {
    api: Router,
    tools: Arc<Vec<Tool>>,
}

impl ServerHandler for Termin {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("termin", env!("CARGO_PKG_VERSION")))
            .with_instructions(
                "termin schedules meetings. Start with get_me (who you act as, and their time \
                 zone) and list_meeting_types; book only starts that get_availability returned. \
                 Give times as instants (RFC 3339 with an offset).",
            )
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(self.tools.to_vec()))
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        self.tools.iter().find(|t| t.name == name).cloned()
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let parts = context
            .extensions
            .get::<axum::http::request::Parts>()
            .ok_or_else(|| ErrorData::internal_error("the HTTP request is missing", None))?;
        Ok(self.call(request, parts, None).await?.into_result()?.into())
    }
}

/// What a tool call comes to: an answer, or a tool error that carries the API's message.
enum Outcome {
    Answer(present::Answer),
    Failed(String),
}

impl Outcome {
    fn into_result(self) -> Result<CallToolResult, ErrorData> {
        Ok(match self {
            Outcome::Answer(answer) => {
                let structured = serde_json::from_str(&answer.structured)
                    .map_err(|e| ErrorData::internal_error(e.to_string(), None))?;
                let mut result = CallToolResult::success(vec![ContentBlock::text(answer.text)]);
                result.structured_content = Some(structured);
                result
            }
            Outcome::Failed(message) => CallToolResult::error(vec![ContentBlock::text(message)]),
        })
    }
}

impl Termin {
    /// Runs a tool call for the caller `parts` carries (see `authenticate`), for rmcp's service
    /// and for the plain `tools/call` door (`plain`) alike; `lent` is the connection
    /// authentication used, which the route may go on with.
    async fn call(
        &self,
        request: CallToolRequestParams,
        parts: &axum::http::request::Parts,
        lent: Option<PooledConnection>,
    ) -> Result<Outcome, ErrorData> {
        let Some(spec) = tools::find(&request.name) else {
            return Err(ErrorData::invalid_params(
                format!("Unknown tool: {}", request.name),
                None,
            ));
        };
        let pre = parts
            .extensions
            .get::<Preauthenticated>()
            .ok_or_else(|| ErrorData::internal_error("the caller is missing", None))?;
        let args = request.arguments.unwrap_or_default();
        match self.run(spec, &args, parts, pre, lent).await {
            Ok((extensions, body)) => present::answer(spec, &args, pre, &extensions, &body)
                .map(Outcome::Answer)
                .map_err(|e| ErrorData::internal_error(e.to_string(), None)),
            Err(e) => {
                let body = e.body();
                Ok(Outcome::Failed(format!(
                    "termin API {}: {}",
                    body.status_code, body.message
                )))
            }
        }
    }

    /// Runs the tool's REST operation for the caller; answers its JSON body, and the extensions
    /// of its response (where a route leaves its typed answer for in-process callers).
    async fn run(
        &self,
        spec: &ToolSpec,
        args: &Map<String, Value>,
        parts: &axum::http::request::Parts,
        pre: &Preauthenticated,
        lent: Option<PooledConnection>,
    ) -> Result<(axum::http::Extensions, axum::body::Bytes), ApiError> {
        let mut request = rest_request(spec, args, parts, pre)?;
        if let Some(conn) = lent {
            request.extensions_mut().insert(LentConnection::new(conn));
        }
        let response = self
            .api
            .clone()
            .oneshot(request)
            .await
            .map_err(ApiError::internal)?;
        let (answer, body) = response.into_parts();
        let bytes = axum::body::to_bytes(body, usize::MAX)
            .await
            .map_err(ApiError::internal)?;
        let status = answer.status;
        if status.is_success() {
            return Ok((answer.extensions, bytes));
        }
        let body: Value = serde_json::from_slice(&bytes).unwrap_or_default();
        let message = body["message"]
            .as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| status.canonical_reason().unwrap_or("error").to_owned());
        Err(ApiError::new(status, message))
    }
}

/// The REST request a tool call stands for, carrying the caller already authenticated.
fn rest_request(
    spec: &ToolSpec,
    args: &Map<String, Value>,
    parts: &axum::http::request::Parts,
    pre: &Preauthenticated,
) -> Result<Request, ApiError> {
    if let Some(unknown) = args
        .keys()
        .find(|k| !spec.params.iter().any(|p| p.name == k.as_str()))
    {
        return Err(ApiError::field(
            unknown,
            format!("is not a parameter of {}", spec.name),
        ));
    }
    let mut path = spec.path.to_owned();
    let mut query = form_urlencoded::Serializer::new(String::new());
    let mut body = Map::new();
    let mut nested: Map<String, Value> = Map::new();
    for p in spec.params {
        let Some(value) = args.get(p.name) else {
            if p.required {
                return Err(ApiError::field(p.name, "is required"));
            }
            continue;
        };
        match p.at {
            At::Path => {
                // Every path parameter is an id: anything else could name another route
                // (`today`, `paginated`).
                let id = value
                    .as_str()
                    .and_then(|s| uuid::Uuid::parse_str(s).ok())
                    .ok_or_else(|| ApiError::field(p.name, "must be a UUID"))?;
                let encoded = id.to_string();
                let open = path.find('{').expect("a path parameter has its segment");
                let close = open + path[open..].find('}').expect("closed");
                path.replace_range(open..=close, &encoded);
            }
            At::Query => {
                let values = match value {
                    Value::Array(items) => items.iter().collect(),
                    v => vec![v],
                };
                for v in values {
                    let text = match v {
                        Value::String(s) => s.clone(),
                        Value::Number(n) => n.to_string(),
                        Value::Bool(b) => b.to_string(),
                        _ => {
                            return Err(ApiError::field(
                                p.name,
                                "must be a string, number or boolean",
                            ))
                        }
                    };
                    query.append_pair(p.name, &text);
                }
            }
            At::Body => {
                body.insert(p.name.to_owned(), value.clone());
            }
            At::Attendee(rest) => {
                nested.insert(rest.to_owned(), value.clone());
            }
            At::MeetingInfo => {
                nested.insert(p.name.to_owned(), value.clone());
            }
        }
    }
    if spec.params.iter().any(|p| matches!(p.at, At::Attendee(_))) {
        // meetergo's tool accepts the data policy on the attendee's behalf, as its booking form
        // does when the attendee submits it.
        nested.insert("dataPolicyAccepted".into(), Value::Bool(true));
        body.insert("attendee".into(), Value::Object(nested));
    } else if !nested.is_empty() {
        body.insert("meetingInfo".into(), Value::Object(nested));
    }
    if spec.name == "get_availability" && !args.contains_key("timezone") {
        // Times are shown in the acting user's zone unless another is asked for.
        if let Some(user) = &pre.user {
            query.append_pair("timezone", &user.timezone);
        }
    }
    let query = query.finish();
    let uri = if query.is_empty() {
        path
    } else {
        format!("{path}?{query}")
    };
    // The same refusal a REST request gets before routing (`rate_limit::enforce`).
    let uri: axum::http::Uri = uri.parse().map_err(ApiError::internal)?;
    if let Some(refused) = crate::http::extract::nul_in_uri(&uri) {
        return Err(refused);
    }
    let mut builder = Request::builder().method(spec.method.clone()).uri(uri);
    for name in [header::AUTHORIZATION.as_str(), ACTING_USER_HEADER] {
        if let Some(v) = parts.headers.get(name) {
            builder = builder.header(name, v);
        }
    }
    let body =
        if spec.method == axum::http::Method::GET || spec.method == axum::http::Method::DELETE {
            Body::empty()
        } else {
            builder = builder.header(header::CONTENT_TYPE, "application/json");
            Body::from(serde_json::to_vec(&body).map_err(ApiError::internal)?)
        };
    let mut request = builder.body(body).map_err(ApiError::internal)?;
    request.extensions_mut().insert(pre.clone());
    Ok(request)
}
