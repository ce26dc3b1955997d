'use client';

import { McpServerDetailView } from '@/features/mcp-servers/mcp-server-detail';

/**
 * One MCP server: identity, tools with their fingerprints and pins, scan history with diffs, findings,
 * attesting agents, confidence, and the actions the person may take.
 */
export default function Page() {
  return <McpServerDetailView />;
}
