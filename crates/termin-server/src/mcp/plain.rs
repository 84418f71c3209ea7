//! `/mcp`'s front door: a plain `tools/call` is answered here, everything else by rmcp's
//! streamable HTTP service.
//!
//! rmcp's stateless transport serves each request as a session of its own: it spawns a task,
//! wires it to the HTTP request with channels, passes the one message through and tears it all
//! down. That cost 70 to 80 µs a request on the benchmark machine, over a third of the REST call
//! the tool stands for. `tools/call` is what an assistant sends over and over, so its common
//! shape is answered here directly: parsed into rmcp's types, run by the same handler as rmcp's
//! (`Termin::call`), and answered with the same JSON-RPC message (the tests compare the two).
//!
//! "Plain" is deliberately narrow, and everything else goes to rmcp untouched, so that its rules
//! and errors hold as they are: any method but `tools/call`; a request with `_meta` other than a
//! `progressToken` (such as the per-request protocol negotiation of 2026-07-28); a protocol
//! version from 2026-07-28 on (which adds header rules); a request without a Bearer credential
//! (refused before its body is read); an `Origin` header; a `Host` rmcp's rule would not allow;
//! an `Accept` or `Content-Type` other than the plain ones; a body without a length or over the
//! limit; JSON that does not parse; an unknown tool.
//!
//! A plain call is authenticated once its body has arrived, so that the connection
//! authentication reads with is not held while a client sends. A route that reads with a
//! connection goes on with that one (`http::auth::LentConnection`) instead of returning it to the
//! pool and borrowing another.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use rmcp::model::{
    CallToolResult, ClientJsonRpcMessage, ClientRequest, ContentBlock, GetMeta, JsonRpcError,
    JsonRpcRequest, JsonRpcResponse, ProtocolVersion, RequestId, ServerJsonRpcMessage,
    ServerResult,
};
use rmcp::transport::streamable_http_server::session::never::NeverSessionManager;
use rmcp::transport::streamable_http_server::StreamableHttpService;
use rmcp::ErrorData;

use super::present::Answer;
use super::{Outcome, Termin};
use crate::http::error::ApiError;
use crate::http::extract::MAX_BODY_BYTES;
use crate::state::AppState;

const JSON: &str = "application/json";
const EVENT_STREAM: &str = "text/event-stream";

pub struct Door {
    pub state: AppState,
    pub rmcp: StreamableHttpService<Termin, NeverSessionManager>,
    pub termin: Termin,
    /// The `Host` values `/mcp` accepts, as rmcp is configured with them.
    pub hosts: Vec<String>,
}

impl Door {
    pub async fn serve(self: Arc<Self>, request: Request) -> Response {
        let request = match self.plain_call(request).await {
            Ok(answer) => return answer,
            Err(request) => request,
        };
        let (mut parts, body) = request.into_parts();
        if let Err(refused) = super::authenticate(&self.state, &mut parts).await {
            return refused;
        }
        let request = Request::from_parts(parts, body);
        self.rmcp.handle(request).await.map(Body::new)
    }

    /// Answers a plain `tools/call`; gives any other request back as it came.
    async fn plain_call(&self, request: Request) -> Result<Response, Request> {
        if request.method() != Method::POST || !plain_headers(request.headers(), &self.hosts) {
            return Err(request);
        }
        let (parts, body) = request.into_parts();
        let Ok(bytes) = axum::body::to_bytes(body, MAX_BODY_BYTES).await else {
            // Within its announced length, so the client broke off.
            return Ok(
                ApiError::new(StatusCode::BAD_REQUEST, "The request body broke off")
                    .into_response(),
            );
        };
        let call = match serde_json::from_slice::<ClientJsonRpcMessage>(&bytes) {
            Ok(ClientJsonRpcMessage::Request(JsonRpcRequest { id, request, .. }))
                if plain_meta(&request) =>
            {
                match request {
                    ClientRequest::CallToolRequest(call)
                        if super::tools::find(&call.params.name).is_some() =>
                    {
                        Some((id, call.params))
                    }
                    _ => None,
                }
            }
            _ => None,
        };
        let Some((id, params)) = call else {
            return Err(Request::from_parts(parts, Body::from(bytes)));
        };
        // After the body has arrived, so that the connection authentication reads with, which
        // the route may go on with, is not held while a client sends.
        let mut parts = parts;
        let lent = match super::authenticate(&self.state, &mut parts).await {
            Ok(conn) => conn,
            Err(refused) => return Ok(refused),
        };
        let body = match self.termin.call(params, &parts, Some(lent)).await {
            // Structured content is an object before 2026-07-28 (anything else rmcp moves).
            Ok(Outcome::Answer(answer)) if answer.structured.starts_with('{') => {
                answered(&id, answer)
            }
            Ok(outcome) => outcome
                .into_result()
                .map(|result| response(id, result))
                .and_then(|message| serde_json::to_vec(&message).map_err(internal)),
            Err(error) => serde_json::to_vec(&ServerJsonRpcMessage::Error(JsonRpcError {
                jsonrpc: Default::default(),
                id: Some(id),
                error,
            }))
            .map_err(internal),
        };
        Ok(match body {
            Ok(body) => ([(header::CONTENT_TYPE, JSON)], body).into_response(),
            Err(e) => ApiError::internal(e.message).into_response(),
        })
    }
}

/// The JSON-RPC answer rmcp gives a peer on a protocol before 2026-07-28.
fn response(id: RequestId, result: CallToolResult) -> ServerJsonRpcMessage {
    let mut result = ServerResult::CallToolResult(result);
    result.strip_result_type_for_legacy_peer();
    result.strip_non_object_output_for_legacy_peer();
    ServerJsonRpcMessage::Response(JsonRpcResponse {
        jsonrpc: Default::default(),
        id,
        result,
    })
}

/// [`response`] for an answer, written around its structured content, which is JSON text
/// already (see `present`): the same members, without reading it into a `Value` first.
fn answered(id: &RequestId, answer: Answer) -> Result<Vec<u8>, ErrorData> {
    let mut out = Vec::with_capacity(answer.text.len() + answer.structured.len() + 256);
    out.extend_from_slice(br#"{"jsonrpc":"2.0","id":"#);
    serde_json::to_writer(&mut out, id).map_err(internal)?;
    out.extend_from_slice(br#","result":{"content":"#);
    serde_json::to_writer(&mut out, &[ContentBlock::text(answer.text)]).map_err(internal)?;
    out.extend_from_slice(br#","structuredContent":"#);
    out.extend_from_slice(answer.structured.as_bytes());
    out.extend_from_slice(br#","isError":false}}"#);
    Ok(out)
}

fn internal(e: serde_json::Error) -> ErrorData {
    ErrorData::internal_error(e.to_string(), None)
}

/// Whether a request's `_meta` is plain: nothing, or only a `progressToken` (rmcp's client sends
/// one with every request; termin reports no progress, so it changes no answer). Anything else,
/// such as the protocol version of per-request negotiation, is rmcp's to judge.
fn plain_meta(request: &ClientRequest) -> bool {
    request.get_meta().keys().all(|k| k == "progressToken")
}

/// Whether the headers are plain: ones rmcp would accept, of a protocol before 2026-07-28, with
/// a Bearer credential and without `Origin`.
fn plain_headers(headers: &HeaderMap, hosts: &[String]) -> bool {
    let accepts = |essence: &str| {
        headers.get_all(header::ACCEPT).iter().any(|v| {
            v.to_str()
                .is_ok_and(|v| v.split(',').any(|e| e.trim().eq_ignore_ascii_case(essence)))
        })
    };
    let odd_accept = headers
        .get_all(header::ACCEPT)
        .iter()
        .any(|v| v.to_str().map_or(true, |v| v.contains(['"', ';'])));
    let json_body = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(';')
                .next()
                .unwrap_or(v)
                .trim()
                .eq_ignore_ascii_case(JSON)
        });
    let sized = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<usize>().ok())
        .is_some_and(|n| n <= MAX_BODY_BYTES);
    let legacy_protocol = match headers.get("mcp-protocol-version") {
        None => true,
        Some(v) => v.to_str().is_ok_and(|v| {
            v < ProtocolVersion::STANDARD_HEADERS.as_str()
                && ProtocolVersion::KNOWN_VERSIONS
                    .iter()
                    .any(|k| k.as_str() == v)
        }),
    };
    // Without a Bearer credential the request is refused before its body is read, as rmcp's
    // path does it; a plain call reads its body first (see `plain_call`).
    let bearer = headers
        .get(header::AUTHORIZATION)
        .is_some_and(|v| v.as_bytes().starts_with(b"Bearer "));
    bearer
        && !odd_accept
        && accepts(JSON)
        && accepts(EVENT_STREAM)
        && json_body
        && sized
        && legacy_protocol
        && !headers.contains_key(header::ORIGIN)
        && host_allowed(headers, hosts)
}

/// rmcp's rule for `Host`: an allowed entry names the host, and the port if it has one.
fn host_allowed(headers: &HeaderMap, hosts: &[String]) -> bool {
    let Some(host) = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<axum::http::uri::Authority>().ok())
    else {
        return false;
    };
    let name = |h: &str| h.trim_matches(['[', ']']).to_ascii_lowercase();
    let (host_name, port) = (name(host.host()), host.port_u16());
    hosts.iter().any(|allowed| {
        let allowed = allowed.trim();
        let (a_name, a_port) = match allowed.parse::<axum::http::uri::Authority>() {
            Ok(a) => (name(a.host()), a.port_u16()),
            Err(_) => (name(allowed), None),
        };
        !allowed.is_empty() && a_name == host_name && a_port.is_none_or(|p| port == Some(p))
    })
}
