-- wrk script: one MCP tools/call per request (POST /mcp, JSON-RPC), the body from MCP_BODY.
function init(args)
  body = os.getenv("MCP_BODY")
  token = os.getenv("MCP_TOKEN")
end

function request()
  return wrk.format("POST", "/mcp", {
    ["Content-Type"] = "application/json",
    ["Accept"] = "application/json, text/event-stream",
    ["MCP-Protocol-Version"] = "2025-11-25",
    ["Authorization"] = "Bearer " .. token,
  }, body)
end
