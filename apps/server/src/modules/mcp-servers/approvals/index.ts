/** Approval of MCP servers' tools, drift and the MCP settings (docs/mcp.md, "approval"). */
export { createApprovalScanHook, type ApprovalHookDeps } from './approval-hook.js';
export { createMcpApprovalService, type McpApprovalService } from './approval-service.js';
export { createMcpSettingsService, type McpSettingsService } from './mcp-settings-service.js';
export { mcpApprovalFeature, type McpApprovalFeatureDeps } from './approval-operations.js';
export { diffToolSets, diffDefinitions, driftCounts } from './tool-diff.js';
