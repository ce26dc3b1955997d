import { z } from 'zod';
import { COMPLIANCE_ERROR_CODES } from './errors-compliance.js';

/**
 * Every error code the API can answer with, its HTTP status and what it means.
 * Codes are stable: clients branch on them, so a code is never renamed or reused.
 * `docs/errors.md` lists the same table; a test keeps the two equal.
 */
export const ERROR_CODES = {
  validation_failed: {
    status: 400,
    description: 'The request did not match the schema; `message` names each field that is wrong.',
  },
  invalid_json: { status: 400, description: 'The request body is not valid JSON.' },
  invalid_encoding: {
    status: 400,
    description: 'The request body is not valid UTF-8; JSON and form bodies must be encoded as UTF-8 (RFC 8259 §8.1).',
  },
  duplicate_header: {
    status: 400,
    description:
      'A header that must appear once (Authorization, Host, Signature, Signature-Input, Content-Digest, Origin, x-csrf-token) was sent more than once.',
  },
  self_attestation: { status: 400, description: 'An agent cannot attest to itself; attestations come from other agents.' },
  bad_request: { status: 400, description: 'The request is malformed in a way not covered by a more specific code.' },
  webhook_url_refused: {
    status: 400,
    description:
      'The webhook URL cannot be used: it is malformed, not https (http only where the deployment allows private networks and its public URL is not https), carries credentials, or its host does not resolve or resolves to a private, loopback or metadata address.',
  },
  webhook_secret_reused: { status: 400, description: 'The new signing secret is the current one; a rotation needs a different secret (or none: AIM makes one).' },
  alert_snooze_invalid: {
    status: 400,
    description: 'A snooze must end in the future and at most 90 days ahead (ALERT_SNOOZE_MAX_DAYS); `message` says which bound was crossed.',
  },
  alert_assignee_not_member: { status: 400, description: 'An alert can be assigned only to a member of its organization (or to nobody: assigneeId null).' },
  webhook_replay_too_large: {
    status: 400,
    description: 'The replay would schedule more deliveries than one call may (10,000); replay a shorter period, in several calls.',
  },
  invalid_period: {
    status: 400,
    description:
      'The period is not one a compliance report can cover: `from` must be earlier than `to`, `to` must not be in the future, and the period may be at most 366 days long; `message` says which.',
  },
  unknown_framework: {
    status: 404,
    description: 'No compliance framework has that id (in the path, the body or the settings); GET /api/v1/compliance/frameworks lists them.',
  },
  invalid_state: {
    status: 400,
    description: 'The sign-in state is unknown, already used or expired (10 minutes); start signing in again.',
  },
  invalid_nonce: { status: 400, description: 'The ID token does not carry the nonce of this sign-in; start signing in again.' },
  invalid_authorization_code: {
    status: 400,
    description: 'The identity provider refused the authorization code (expired, used, or for another client); start again.',
  },
  sign_in_denied: { status: 400, description: 'The identity provider answered with an error instead of signing you in.' },
  invalid_assertion: { status: 400, description: 'The passkey assertion or attestation does not verify; try again.' },
  invalid_public_key: {
    status: 400,
    description: 'The public key is not a valid Ed25519 key (32 bytes, on the curve, canonical, not of small order).',
  },
  unknown_capability: {
    status: 400,
    description: "The capability is not in the organization's catalog; a manager adds it (POST /api/v1/capabilities).",
  },
  invalid_policy: { status: 400, description: 'The policy configuration does not fit its type; `message` names each field that is wrong.' },
  unsupported_key_type: { status: 400, description: 'The key is not an Ed25519 key (send a JWK with kty OKP and crv Ed25519).' },
  private_key_submitted: {
    status: 400,
    description: 'The JWK contains a private part (`d`). Send only the public key; the private key must never leave the agent.',
  },
  invalid_challenge: {
    status: 400,
    description: 'The challenge is unknown, altered, expired (5 minutes) or already used; ask for a new one.',
  },
  invalid_proof: { status: 400, description: 'The proof of possession does not verify with the submitted key and challenge.' },
  invalid_enrollment_token: {
    status: 400,
    description: 'The enrollment token is unknown, already used, revoked or expired; ask for a new one.',
  },
  malformed_signature: {
    status: 400,
    description: 'The Signature-Input or Signature header is missing a required component or parameter, or does not parse.',
  },
  mcp_capability_reserved: {
    status: 400,
    description:
      'Capabilities named mcp:<server>/<tool> belong to MCP servers: approving a server\'s tools creates them (POST /api/v1/mcp-servers/{id}/approve), and they cannot be created or deleted through the capability catalog.',
  },
  unauthenticated: { status: 401, description: 'No valid credentials were presented.' },
  invalid_token: {
    status: 401,
    description: 'A token or key was presented but is malformed, unknown, revoked, or already used.',
  },
  invalid_id_token: { status: 401, description: 'The ID token from the identity provider does not verify.' },
  expired_token: { status: 401, description: 'A token or key was presented but has expired; sign in again or use a new one.' },
  stale_signature: {
    status: 401,
    description: 'The signature was created more than 300 s ago, more than 5 s in the future, or has expired; `details` gives the skew.',
  },
  unknown_key: { status: 401, description: 'The signature names a key id (`keyid`) that is not registered.' },
  key_expired: { status: 401, description: 'The key was replaced by a rotation and its overlap window has ended.' },
  key_revoked: { status: 401, description: 'The key was revoked; the agent must rotate to a new key or be re-registered.' },
  invalid_signature: { status: 401, description: 'The request signature does not verify over the request as received.' },
  digest_mismatch: { status: 401, description: 'The body does not match its Content-Digest (it was altered or the digest is wrong).' },
  replayed_request: { status: 401, description: 'The signature nonce was already used; sign every request with a new nonce.' },
  invalid_client_assertion: { status: 401, description: 'The JWT client assertion does not verify, has expired, or was already used.' },
  audience_not_allowed: {
    status: 403,
    description: "The organization does not let its agents ask tokens for this audience; an admin adds it to the organization's agentTokenAudiences.",
  },
  agent_mismatch: { status: 403, description: 'An agent may ask only about itself: the path names another agent.' },
  agent_suspended: { status: 403, description: 'The agent is suspended; it can act again once reactivated.' },
  agent_revoked: { status: 403, description: 'The agent is revoked, which is final.' },
  forbidden: { status: 403, description: 'The credentials are valid but lack the role or permission for this action.' },
  email_not_verified: {
    status: 403,
    description: 'The identity provider does not vouch for the email address; verify it there, or use another provider.',
  },
  no_access: {
    status: 403,
    description: 'No organization has invited this address or claimed its domain; ask an admin for an invitation.',
  },
  invitation_email_mismatch: {
    status: 403,
    description: 'The invitation is for another email address than the account signing in; sign in with the invited address.',
  },
  organization_required: {
    status: 403,
    description: 'The session has no organization chosen; choose one with POST /api/v1/me/organization.',
  },
  csrf_failed: {
    status: 403,
    description: 'A cookie-authenticated change came without a matching Origin and x-csrf-token header.',
  },
  not_found: {
    status: 404,
    description: 'The route or resource does not exist, or belongs to another organization.',
  },
  unknown_invitation: {
    status: 404,
    description: 'No invitation has this link: it was mistyped or cut short; ask an admin for a new invitation.',
  },
  compliance_report_not_found: { status: 404, description: 'No compliance report of the organization has this id (the id is mistyped, or the report belongs to another organization).' },
  alert_not_found: { status: 404, description: 'No alert of the organization has this id (the id is mistyped, or the alert belongs to another organization).' },
  webhook_endpoint_not_found: { status: 404, description: 'No webhook endpoint of the organization has this id (it was deleted, or belongs to another organization).' },
  webhook_delivery_not_found: { status: 404, description: "The webhook endpoint has no delivery with this id (deliveries older than the retention are gone)." },
  conflict: { status: 409, description: 'The request conflicts with the current state of the resource.' },
  invitation_used: {
    status: 409,
    description: 'The invitation was already accepted (it works once); sign in instead, or ask an admin for a new invitation.',
  },
  account_exists: {
    status: 409,
    description: 'An AIM account already uses the invited address: sign in (passkey or identity provider), then accept the invitation.',
  },
  last_sign_in_method: {
    status: 409,
    description: 'This passkey is your last way to sign in (no other passkey, no identity provider account); add another first.',
  },
  capability_in_use: { status: 409, description: 'The capability has been granted; grants are kept as history, so it cannot leave the catalog.' },
  request_not_pending: { status: 409, description: 'The capability request was already answered, withdrawn or has expired.' },
  decision_not_pending: { status: 409, description: 'The decision is no longer pending: it was already approved, rejected or has expired.' },
  decision_no_longer_allowed: {
    status: 409,
    description:
      'The approval was refused: re-evaluated at approval time, the decision would now be denied (a grant revoked or expired, the agent suspended, a policy changed, the trust score fell). The decision is now denied (status invalidated); details.rules names the rules that denied.',
  },
  result_not_expected: {
    status: 409,
    description: 'An outcome can be reported once, and only for a decision that allowed the action.',
  },
  rating_exists: { status: 409, description: 'You have already rated this agent; change your rating (PATCH) instead of adding another.' },
  alert_transition_not_allowed: {
    status: 409,
    description:
      'The alert cannot go from its current status to the one asked for (docs/monitoring.md, the lifecycle table); `message` and details name the current status and the actions allowed from it.',
  },
  alert_reopen_conflict: {
    status: 409,
    description:
      'The alert cannot be reopened: another active alert (open, acknowledged or snoozed) has the same deduplication key and gathers its findings now; details.activeAlertId names it.',
  },
  mcp_finding_transition_not_allowed: {
    status: 409,
    description:
      'The MCP finding cannot change that way: only an open finding can be dismissed, and only a dismissed one reopened (while no other open finding has its key); `message` names its status.',
  },
  webhook_endpoint_disabled: { status: 409, description: 'The webhook endpoint is disabled; enable it (PATCH enabled: true) before sending it a test event.' },
  webhook_endpoint_limit: { status: 409, description: 'The organization has as many webhook endpoints as allowed (50); delete one before adding another.' },
  mcp_approval_stale: {
    status: 409,
    description:
      "The approval names a scan that is not the server's latest successful scan, or a tool set fingerprint that is not that scan's: the tools changed since they were shown. Review the latest scan (GET /api/v1/mcp-servers/{id}/drift) and approve it.",
  },
  key_already_registered: { status: 409, description: 'This public key is already registered (to an agent or an MCP server); generate a new key pair.' },
  mcp_scan_in_progress: { status: 409, description: 'A scan of this MCP server is already running; wait for it to finish (GET its scans) instead of starting another.' },
  mcp_server_not_scannable: {
    status: 409,
    description: 'AIM does not scan this MCP server: a stdio server (AIM never runs commands; agents attest what they see), or a suspended or revoked one (reactivate it first).',
  },
  access_review_closed: {
    status: 409,
    description: 'The access review is completed or cancelled: its items take no more decisions, and it cannot be completed or cancelled again.',
  },
  access_review_item_decided: { status: 409, description: 'The access review item already has a decision; each item is decided once.' },
  access_review_self_certification: {
    status: 403,
    description: 'The item is your own access (an API key you created): another reviewer certifies it. You may still revoke it.',
  },
  access_review_change_invalid: {
    status: 422,
    description: 'The change cannot be made: expiresAt must be in the future and earlier than the current expiry, and only grants and API keys have one (an agent change is recorded with its note).',
  },
  invitation_expired: { status: 410, description: 'The invitation has expired; ask an admin for a new invitation.' },
  invitation_revoked: { status: 410, description: 'An admin revoked the invitation; ask an admin for a new one if you should still join.' },
  access_review_empty: {
    status: 422,
    description: 'The campaign would have no items: nothing in its scope (no agents, no owner\'s agents, no high or critical grants, no API keys). Nothing was created.',
  },
  request_timeout: { status: 408, description: 'The request was not received completely in time.' },
  payload_too_large: { status: 413, description: 'The request body is larger than the server accepts.' },
  unsupported_media_type: {
    status: 415,
    description: 'The request body has a content type the route does not accept (send `application/json`).',
  },
  headers_too_large: { status: 431, description: 'The request headers are larger than the server accepts.' },
  rate_limited: {
    status: 429,
    description: 'Too many requests; wait the number of seconds in the `Retry-After` header.',
  },
  internal_error: {
    status: 500,
    description: 'An unexpected error; it is logged with the request id, and no detail is returned.',
  },
  idp_unavailable: {
    status: 502,
    description: 'The identity provider could not be reached or answered wrongly; try again later.',
  },
  service_unavailable: {
    status: 503,
    description: 'The server is starting, shutting down, or a dependency it needs is unreachable.',
  },
  invalid_attestation: {
    status: 400,
    description:
      'The MCP attestation is not a compact JWS of the documented form (header alg EdDSA, typ aim-mcp-attestation+jwt, a kid; payload agentId, server, tools, toolSetFingerprint, observedAt, iat); `message` says what is wrong (docs/mcp.md).',
  },
  attestation_key_refused: {
    status: 400,
    description: 'The attestation names (kid) a key that is not an active key of the calling agent: unknown, another agent’s, revoked, or past its rotation overlap.',
  },
  attestation_signature_invalid: { status: 400, description: 'The attestation’s signature does not verify with the key its kid names.' },
  attestation_agent_mismatch: { status: 400, description: 'The attestation’s agentId is not the calling agent: an agent attests only what it saw itself.' },
  attestation_fingerprint_mismatch: {
    status: 400,
    description: 'The attestation’s toolSetFingerprint is not the fingerprint of the tools it lists (mcpToolSetFingerprint, docs/mcp.md).',
  },
  attestation_stale: { status: 400, description: 'The attestation’s iat is more than 10 minutes from AIM’s clock; sign it again now.' },
  ...COMPLIANCE_ERROR_CODES,
} as const satisfies Record<string, { status: number; description: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export const errorCodeSchema = z.enum(Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]]);

/** The single error envelope every failed request answers with. */
export const errorEnvelopeSchema = z
  .object({
    error: z.object({
      code: errorCodeSchema.describe('Stable machine-readable code; see docs/errors.md.'),
      message: z.string().describe('What went wrong and what to do about it, for a person.'),
      requestId: z.string().describe('The request id, also sent in the `x-request-id` header.'),
      details: z
        .record(z.string(), z.union([z.string(), z.number(), z.boolean()]))
        .optional()
        .describe('Facts about the failure a client can act on, for some codes (e.g. clock skew for `stale_signature`).'),
    }),
  })
  .meta({ id: 'ErrorEnvelope' });

export type ErrorEnvelope = z.infer<typeof errorEnvelopeSchema>;
