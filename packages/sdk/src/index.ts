/**
 * @aim/sdk — give an AI agent a cryptographic identity in AIM. The wire protocol is
 * docs/agent-identity.md; this package is one client of it. Its one runtime dependency, the MCP SDK, is
 * loaded only by the calls that connect to MCP servers (src/mcp/). Its wire types
 * are generated from AIM's contract (wire.generated.ts).
 */
export { secure, type EnrollmentProfile, type SecureOptions } from './secure.js';
export { AimAgent, type RotateKeyOptions, type TokenOptions } from './agent.js';
export type { AgentIdentity, AgentKeyRecord, AgentRecord } from './agent-record.js';
export {
  ActionDeniedError,
  AimError,
  SDK_ERROR_CODES,
  SERVER_ERROR_CODES,
  type ActionDeniedInit,
  type AimErrorCode,
  type SdkErrorCode,
  type ServerErrorCode,
} from './errors.js';
export type { WireAnswer, WireErrorEnvelope, WireMethod, WirePath, WireRequest, WireSchemas } from './wire.js';
export type {
  ActionOutcome,
  Decision,
  DecisionAnswer,
  DecisionReason,
  DecisionRecord,
  DecisionRule,
  DecisionStatus,
  GuardedRun,
  GuardOptions,
  ReportedResult,
  ReportResultOptions,
  ResultStatus,
  RiskLevel,
  VerifyActionOptions,
  WaitForDecisionOptions,
} from './decisions.js';
// MCP servers (docs/mcp.md, "For SDK users"): the machine's client configurations, signed attestations, guarded tool calls.
export { discoverMcpServers, mcpConfigCandidates, type McpConfigWarning, type McpDiscovery, type McpDiscoveryOptions } from './mcp/config-discovery.js';
export type { DiscoveredMcpServer, McpClientKind, McpServerLaunch } from './mcp/config-entries.js';
export { listMcpServerTools, McpServerError, type McpListOptions, type McpServerFailureReason, type McpToolListing } from './mcp/tool-listing.js';
export { attestationPayload } from './mcp/attestation.js';
export type { AgentMcp, McpScanOptions, McpScanReport, McpServerReport } from './mcp/agent-mcp.js';
export { guardMcpClient, type GuardMcpClientOptions, type McpCallToolParams, type McpGuardAgent, type McpToolCaller } from './mcp/guarded-client.js';
export { canonicalJson, mcpToolFingerprint, mcpToolSetFingerprint, type McpToolDefinition } from './mcp/fingerprints.generated.js';
export { MCP_ATTESTATION_TYPE, type McpAttestationPayload, type McpAttestationRecord, type McpServerDescriptor, type McpToolSeen } from './mcp/types.js';
export type {
  Attestation,
  AttestationVerdict,
  Heartbeat,
  HeartbeatOptions,
  Heartbeats,
  TrustRequestOptions,
} from './trust.js';
export {
  generateKeyPair,
  jwkThumbprint,
  proofMessage,
  proofOfPossession,
  publicJwk,
  type AgentKeyPair,
  type Ed25519PrivateJwk,
  type Ed25519PublicJwk,
  type ProofPurpose,
} from './keys.js';
export {
  contentDigest,
  createSignatureBase,
  signRequest,
  targetUri,
  type SignatureHeaders,
  type SignatureParameters,
  type SignRequestInput,
} from './signing.js';
export { createClientAssertion, type ClientAssertionInput } from './client-assertion.js';
export { defaultCredentialsPath, type Credentials } from './credentials.js';
export type { AimRequestBody, AimRequestInit } from './transport.js';
export { signServerCard, mcpServerKeyProof, unsignedServerCard, SERVER_CARD_SIGNATURE_META_KEY, SERVER_CARD_JWS_TYP, type ServerCardKey } from './mcp-server-card.js';
