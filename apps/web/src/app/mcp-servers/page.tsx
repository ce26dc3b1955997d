'use client';

import { McpServerList } from '@/features/mcp-servers/mcp-server-list';

/** The organization's MCP servers: filters, status, confidence, open findings; registration for members and up. */
export default function Page() {
  return <McpServerList />;
}
