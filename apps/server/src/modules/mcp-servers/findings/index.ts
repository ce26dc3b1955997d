/**
 * MCP findings and confidence (docs/mcp.md, "findings" and "confidence"): the poisoning and
 * confidence scan hooks, the recompute other paths call, and the findings API.
 */
export { createPoisoningScanHook, type PoisoningHookDeps } from './poisoning-hook.js';
export { createConfidenceScanHook, recomputeMcpConfidence } from './confidence-evidence.js';
export { createMcpFindingsService, type McpFindingsService } from './findings-service.js';
export { mcpFindingsFeature, type McpFindingsFeatureDeps } from './findings-operations.js';
