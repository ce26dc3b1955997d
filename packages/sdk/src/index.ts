/**
 * @aim/sdk — give an AI agent a cryptographic identity in AIM. The wire protocol is
 * docs/agent-identity.md; this package is one client of it, with no runtime dependencies. Its wire types
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
