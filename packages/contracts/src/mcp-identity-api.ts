/**
 * Request bodies and answers of the MCP identity operations (docs/mcp.md); shapes shared with other
 * parts are in mcp-discovery.ts.
 */
export {};
