/**
 * Request bodies and answers of the MCP approval operations (docs/mcp.md); shapes shared with other
 * parts are in mcp-discovery.ts.
 */
export {};
