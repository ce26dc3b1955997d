/**
 * Request bodies and answers of the MCP scan operations (docs/mcp.md); shapes shared with other
 * parts are in mcp-discovery.ts.
 */
export {};
