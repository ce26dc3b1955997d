import { unwrapAgent, type AgentIdentity, type AgentRecord } from './agent-record.js';
import { createClientAssertion, signCompactJws } from './client-assertion.js';
import { keyPairFromStored, type Credentials } from './credentials.js';
import {
  guard,
  reportResult,
  withdrawDecision,
  verifyAction,
  waitForDecision,
  type ActionOutcome,
  type Decision,
  type DecisionClient,
  type DecisionRecord,
  type GuardedRun,
  type GuardOptions,
  type ReportResultOptions,
  type VerifyActionOptions,
  type WaitForDecisionOptions,
} from './decisions.js';
import { AimError } from './errors.js';
import type { AgentKeyPair } from './keys.js';
import { createAgentMcp, type AgentMcp } from './mcp/agent-mcp.js';
import { requestToken } from './protocol.js';
import { rotateAgentKey } from './rotation.js';
import {
  attest,
  heartbeat,
  startHeartbeats,
  withdrawAttestation,
  type Attestation,
  type AttestationVerdict,
  type Heartbeat,
  type HeartbeatOptions,
  type Heartbeats,
  type TrustClient,
  type TrustRequestOptions,
} from './trust.js';
import { createTokenCache, DEFAULT_MIN_VALIDITY_SECONDS, type TokenCache } from './token-cache.js';
import { isUnderBaseUrl, readJson, resolveUrl, sendPlain, sendSigned, type AimRequestBody, type AimRequestInit, type Transport } from './transport.js';

/** What an {@link AimAgent} is made from; `secure()` builds it. Internal. */
export interface AgentState {
  transport: Transport;
  credentialsPath: string;
  /** Complete credentials (with an agent id). */
  credentials: Credentials;
}

/**
 * Options of {@link AimAgent.token}.
 *
 * @example
 * ```ts
 * await agent.token({ audience: 'https://billing.example.com', minValiditySeconds: 120 });
 * ```
 */
export interface TokenOptions {
  /** The `aud` the token should carry: a downstream service's identifier. Defaults to AIM itself. */
  audience?: string;
  /** Get a new token when fewer seconds than this remain on the cached one. Default 60. */
  minValiditySeconds?: number;
}

/**
 * Options of {@link AimAgent.rotateKey}.
 *
 * @example
 * ```ts
 * await agent.rotateKey({ overlapSeconds: 0 }); // the old key stops working at once
 * ```
 */
export interface RotateKeyOptions {
  /** How long the current key keeps working, 0–604800 seconds. Defaults to AIM's setting (3600). */
  overlapSeconds?: number;
}

/**
 * An agent with its identity in AIM. Get one with {@link secure}. Its private key is held in a private
 * field: `JSON.stringify(agent)` and `util.inspect(agent)` show only the public identity.
 *
 * @example
 * ```ts
 * const agent = await secure('invoice-bot', { baseUrl: 'https://aim.example.com' });
 * const me = await agent.me();
 * const response = await agent.fetch('/api/v1/agents/me'); // a signed Response
 * ```
 */
export class AimAgent {
  /** The agent id (`agt_…`). */
  readonly id: string;
  /** The organization the agent belongs to (`org_…`). */
  readonly organizationId: string;
  /** AIM's address. */
  readonly baseUrl: string;
  /** Where this agent's credentials file is. */
  readonly credentialsPath: string;

  #transport: Transport;
  #credentials: Credentials;
  #key: AgentKeyPair;
  #tokens: TokenCache;
  #rotating = false;
  #mcp: AgentMcp | undefined;

  /** Use {@link secure} instead; this constructor is internal. */
  constructor(state: AgentState) {
    const { credentials } = state;
    if (credentials.agentId === null || credentials.organizationId === null) {
      throw new AimError('invalid_credentials', 'The credentials have no agent id: the enrollment is not complete.');
    }
    this.id = credentials.agentId;
    this.organizationId = credentials.organizationId;
    this.baseUrl = state.transport.baseUrl;
    this.credentialsPath = state.credentialsPath;
    this.#transport = state.transport;
    this.#credentials = credentials;
    this.#key = keyPairFromStored(credentials);
    this.#tokens = createTokenCache((audience) => requestToken(this.#transport, this.#key, audience));
  }

  /** The agent's name in AIM. */
  get name(): string {
    return this.#credentials.name;
  }

  /** The id (RFC 7638 thumbprint) of the key the agent signs with now. */
  get keyId(): string {
    return this.#key.keyId;
  }

  /**
   * The agent's MCP servers (docs/mcp.md, "For SDK users"): `discover()` reads this machine's MCP client
   * configurations; `scanAndAttest()` lists each server's tools and sends AIM signed attestations.
   *
   * @example
   * ```ts
   * const report = await agent.mcp.scanAndAttest({ projectDir: process.cwd() });
   * ```
   */
  get mcp(): AgentMcp {
    return (this.#mcp ??= createAgentMcp({
      agentId: this.id,
      signJws: (typ, payload) => signCompactJws({ alg: 'EdDSA', kid: this.#key.keyId, typ }, payload, this.#key.privateKey),
      send: (input, init) => this.fetch(input, init),
    }));
  }

  /**
   * `fetch`, signed with the agent's key (RFC 9421). A path is resolved against AIM's address. The body
   * (a string, bytes, URLSearchParams, or an object or array sent as JSON) is signed over the exact bytes
   * sent. Answers the `Response` as it is, whatever its status.
   *
   * @example
   * ```ts
   * const response = await agent.fetch('/api/v1/agents/me');
   * const created = await agent.fetch('/api/v1/things', { method: 'POST', body: { name: 'x' } });
   * ```
   */
  fetch(input: string | URL, init: AimRequestInit = {}): Promise<Response> {
    return sendSigned(this.#transport, this.#key, input, init);
  }

  /**
   * A signed request whose answer is JSON: the parsed body, or an {@link AimError} with AIM's error code.
   *
   * @example
   * ```ts
   * const { agent } = await agent.request<{ agent: AgentRecord }>('GET', '/api/v1/agents/me');
   * ```
   */
  async request<T = unknown>(method: string, path: string | URL, body?: AimRequestBody): Promise<T> {
    return readJson<T>(await this.fetch(path, { method, ...(body === undefined ? {} : { body }) }));
  }

  /**
   * An agent access token (a JWT, docs/agent-identity.md §5), from a signed `POST /api/v1/oauth/token`.
   * Cached per audience and renewed when fewer than 60 seconds remain; concurrent callers share one request.
   *
   * @example
   * ```ts
   * const token = await agent.token();
   * const forBilling = await agent.token({ audience: 'https://billing.example.com' });
   * ```
   */
  token(options: TokenOptions = {}): Promise<string> {
    return this.#tokens.get(options.audience, options.minValiditySeconds ?? DEFAULT_MIN_VALIDITY_SECONDS);
  }

  /**
   * `fetch` to AIM with `Authorization: Bearer <token>` instead of a signature. Only URLs on AIM are
   * accepted: a token for AIM must not be handed to anyone else. If AIM answers 401, the token is dropped
   * and the request sent once more with a new one.
   *
   * @example
   * ```ts
   * const response = await agent.fetchWithToken('/api/v1/agents/me');
   * ```
   */
  async fetchWithToken(input: string | URL, init: AimRequestInit = {}): Promise<Response> {
    const url = resolveUrl(this.baseUrl, input);
    if (!isUnderBaseUrl(this.baseUrl, url)) {
      throw new AimError('invalid_argument', `fetchWithToken only sends AIM's tokens to AIM (${this.baseUrl}); use token({ audience }) for other services.`);
    }
    const send = (token: string) => {
      const headers = new Headers(init.headers);
      headers.set('authorization', `Bearer ${token}`);
      return sendPlain(this.#transport, url, { ...init, headers });
    };
    const token = await this.token();
    const response = await send(token);
    if (response.status !== 401) return response;
    await response.body?.cancel().catch(() => undefined);
    this.#tokens.forget(undefined, token);
    return send(await this.token());
  }

  /**
   * Replace the agent's key (docs/agent-identity.md §6): a new key is generated, proven with a `rotate`
   * proof and registered by a request signed with the current key. The credentials file keeps the current
   * key until AIM has confirmed, and is then replaced atomically. The old key keeps working for
   * `overlapSeconds`. Cached tokens are dropped.
   *
   * @example
   * ```ts
   * const before = agent.keyId;
   * await agent.rotateKey({ overlapSeconds: 600 });
   * console.log(before, '→', agent.keyId);
   * ```
   */
  async rotateKey(options: RotateKeyOptions = {}): Promise<AgentRecord> {
    if (this.#rotating) throw new AimError('rotation_in_progress', 'A key rotation of this agent is already under way.');
    this.#rotating = true;
    try {
      const result = await rotateAgentKey(this.#transport, this.credentialsPath, this.#credentials, this.#key, options.overlapSeconds);
      this.#key = result.key;
      this.#credentials = result.credentials;
      this.#tokens.clear();
      return result.agent;
    } finally {
      this.#rotating = false;
    }
  }

  /**
   * The agent as AIM knows it (`GET /api/v1/agents/me`, signed): status, trust tier, keys.
   *
   * @example
   * ```ts
   * const { status, trustTier } = await agent.me();
   * ```
   */
  async me(): Promise<AgentRecord> {
    return unwrapAgent(await this.request('GET', '/api/v1/agents/me'));
  }

  /**
   * Who AIM takes this agent to be, answered from the request's authentication alone
   * (`GET /api/v1/agents/me/identity`): the cheapest check that the key, the clock and the agent's
   * status are all right.
   *
   * @example
   * ```ts
   * const { agentId, status, authenticatedBy } = await agent.identity(); // authenticatedBy: 'signature'
   * ```
   */
  async identity(): Promise<AgentIdentity> {
    return this.request<AgentIdentity>('GET', '/api/v1/agents/me/identity');
  }

  /**
   * Ask AIM whether the agent may take an action now (`POST /api/v1/agents/{id}/verify-action`, signed).
   * `action` is a capability name from the organization's catalog (`payments:refund`); `resource` what
   * it applies to (`orders/8812`), matched against the grant's resource pattern; `context` facts that
   * policies may look at (at most 8 KiB as JSON). AIM stores every answer under `decisionId`:
   * - `allow`: go ahead, then {@link AimAgent.reportResult} the outcome;
   * - `deny`: `reasons` say which rule or policy refused (e.g. `capability_required` without a grant);
   * - `pending`: a person must approve first; {@link AimAgent.waitForDecision} until `expiresAt`.
   *
   * This only asks: nothing is enforced here. {@link AimAgent.guard} asks, waits, runs and reports.
   * Throws `AimError` when there is no answer: AIM's code for a 4xx (`validation_failed`,
   * `agent_suspended`…), `network_error` when AIM cannot be reached or does not answer within
   * `timeoutMs` (default 10 s), `aborted` when `signal` fires.
   *
   * @example
   * ```ts
   * const decision = await agent.verifyAction('payments:refund', 'orders/8812', { amount: 120 });
   * if (decision.decision === 'deny') {
   *   console.warn(decision.reasons.filter((r) => r.effect === 'deny').map((r) => r.message));
   * }
   * ```
   */
  verifyAction(action: string, resource?: string, context?: Record<string, unknown>, options: VerifyActionOptions = {}): Promise<Decision> {
    return verifyAction(this.#decisionClient(), action, resource, context, options);
  }

  /**
   * Wait for a pending decision to be answered (`GET /api/v1/decisions/{id}?wait=…`, signed, long-polled:
   * each request waits up to 60 s on AIM's side, never past `timeoutMs`, default 5 minutes). Answers the
   * decision once it is no longer pending (`decision` is `allow` when a person approved it, `deny` when
   * rejected or expired), or the still-pending decision when `timeoutMs` has passed. Network errors and
   * 5xx answers are retried until then; AIM's 4xx answers (`not_found` for another agent's decision) are
   * thrown at once. `timeoutMs: 0` reads the decision once.
   *
   * @example
   * ```ts
   * const asked = await agent.verifyAction('payments:refund', 'orders/8812');
   * if (asked.decision === 'pending') {
   *   const answered = await agent.waitForDecision(asked.decisionId, { timeoutMs: 120_000 });
   *   console.log(answered.status); // approved, rejected, expired, or still pending
   * }
   * ```
   */
  waitForDecision(decisionId: string, options: WaitForDecisionOptions = {}): Promise<DecisionRecord> {
    return waitForDecision(this.#decisionClient(), decisionId, options);
  }

  /**
   * Report the outcome of an action AIM allowed (`POST /api/v1/decisions/{id}/result`, signed), once per
   * decision. AIM refuses (`result_not_expected`, 409) a report for a decision that is not an allow, or a
   * second one. Answers the decision with its `result`.
   *
   * @example
   * ```ts
   * const started = Date.now();
   * await refund('8812');
   * await agent.reportResult(decision.decisionId, { status: 'success', durationMs: Date.now() - started });
   * ```
   */
  reportResult(decisionId: string, outcome: ActionOutcome, options: ReportResultOptions = {}): Promise<DecisionRecord> {
    return reportResult(this.#decisionClient(), decisionId, outcome, options);
  }

  /**
   * Withdraw a pending decision the agent no longer waits for: it becomes a deny that a later approval
   * cannot change. `guard` does this itself when it gives up waiting.
   *
   * @example
   * ```ts
   * const asked = await agent.verifyAction('payments:refund', 'orders/8812');
   * if (asked.decision === 'pending' && customerCancelled) await agent.withdrawDecision(asked.decisionId);
   * ```
   */
  withdrawDecision(decisionId: string, options: ReportResultOptions = {}): Promise<DecisionRecord> {
    return withdrawDecision(this.#decisionClient(), decisionId, options);
  }

  /**
   * Run `fn` only if AIM allows the action, and report how it went. Asks AIM
   * ({@link AimAgent.verifyAction}); on `allow` runs `fn`, times it and reports `success`, or `failure`
   * when it throws (then rethrows `fn`'s own error); on `pending` waits for a person
   * ({@link AimAgent.waitForDecision}, at most `approvalTimeoutMs`, default 5 minutes, and never past the
   * decision's `expiresAt`) and runs `fn` once approved. Answers what `fn` answers.
   *
   * Throws, without running `fn`:
   * - {@link ActionDeniedError} (`action_denied`) on a deny, a rejection, an expiry, or when the wait ends;
   * - `aim_unreachable` when AIM cannot be reached, times out or answers 5xx (fail closed). With
   *   `failOpen: true`, when that happens on asking, `fn` runs without a decision (nothing is reported) after
   *   `onFailOpen` is called. A pending decision is never failed open: AIM answered;
   * - AIM's error for any 4xx answer (`validation_failed`, `agent_suspended`, `rate_limited`…), even with `failOpen`;
   * - `aborted` when `signal` fires while asking or waiting.
   *
   * A report that fails never hides `fn`'s result or error: it goes to `onReportError` (or a process warning).
   *
   * @example
   * ```ts
   * import { ActionDeniedError, AimError } from '@aim/sdk';
   *
   * try {
   *   const receipt = await agent.guard('payments:refund', 'orders/8812', () => payments.refund('8812'), {
   *     context: { amount: 120 },
   *     onReportError: (error, decisionId) => log.warn({ err: error, decisionId }, 'outcome not reported'),
   *   });
   * } catch (error) {
   *   if (error instanceof ActionDeniedError) log.info({ decisionId: error.decisionId, status: error.decisionStatus }, 'not allowed');
   *   else if (error instanceof AimError && error.code === 'aim_unreachable') log.error('AIM unreachable; refund not made');
   *   else throw error; // the refund itself failed (and was reported as a failure)
   * }
   * ```
   */
  guard<T>(action: string, resource: string | undefined, fn: (run: GuardedRun) => T | Promise<T>, options: GuardOptions = {}): Promise<T> {
    return guard(this.#decisionClient(), action, resource, fn, options);
  }

  #decisionClient(): DecisionClient {
    return { agentId: this.id, send: (input, init) => this.fetch(input, init) };
  }

  /**
   * Tell AIM the agent is up (`POST /api/v1/agents/me/heartbeat`, signed, no body). Uptime, one of the
   * trust score's factors, counts the minutes that had at least one heartbeat; repeated heartbeats in a
   * minute count once. Answers when AIM received it and the minute it counts for. Throws `AimError`:
   * AIM's code for a refusal (`agent_suspended`, `agent_revoked`…), `network_error` when AIM cannot be
   * reached or does not answer within `timeoutMs` (default 10 s), `aborted` when `signal` fires.
   * {@link AimAgent.startHeartbeats} sends them in the background.
   *
   * @example
   * ```ts
   * const { minute } = await agent.heartbeat(); // e.g. 2025-06-01T12:34:00.000Z
   * ```
   */
  heartbeat(options: TrustRequestOptions = {}): Promise<Heartbeat> {
    return heartbeat(this.#trustClient(), options);
  }

  /**
   * Send a heartbeat now and then every `intervalMs` (default 30 s; 1 s to 60 s, else `invalid_argument`)
   * until `stop()`. The timer is unref'd, so it never keeps the process alive. Nothing is thrown from the
   * timer: a failed heartbeat goes to `onError` (without it, a process warning for the first failure of
   * each run) and the heartbeats go on, through network errors, 5xx and a suspension alike, except when
   * AIM answers `agent_revoked`: a revoked agent is final, so they stop by themselves (`running` is then
   * false) before `onError` hears of it. A heartbeat is skipped while the previous one is still under way.
   *
   * @example
   * ```ts
   * const heartbeats = agent.startHeartbeats({
   *   onError: (error) => {
   *     if (error.code === 'agent_revoked') process.exitCode = 1; // heartbeats have stopped
   *     else log.warn({ code: error.code }, 'heartbeat failed');
   *   },
   * });
   * process.once('SIGTERM', () => heartbeats.stop());
   * ```
   */
  startHeartbeats(options: HeartbeatOptions = {}): Heartbeats {
    return startHeartbeats(this.#trustClient(), options);
  }

  /**
   * Say whether this agent trusts another agent of its organization
   * (`PUT /api/v1/agents/me/attestations/{agentId}`, signed), with an optional `statement` (at most 2000
   * characters) of why. Replaces this agent's earlier attestation of that agent; attestations count in the
   * other agent's trust score. AIM refuses an attestation of the agent itself (400 `self_attestation`) and
   * answers 404 `not_found` for an agent it does not know in this organization.
   *
   * @example
   * ```ts
   * await agent.attest('agt_01jz…', 'trusted', 'Its summaries matched the source in 200 of 200 checks');
   * ```
   */
  attest(agentId: string, verdict: AttestationVerdict, statement?: string, options: TrustRequestOptions = {}): Promise<Attestation> {
    return attest(this.#trustClient(), agentId, verdict, statement, options);
  }

  /**
   * Withdraw this agent's attestation of another agent (`DELETE /api/v1/agents/me/attestations/{agentId}`,
   * signed). Answers the attestation removed; 404 `not_found` when there was none.
   *
   * @example
   * ```ts
   * const withdrawn = await agent.withdrawAttestation('agt_01jz…');
   * console.log(withdrawn.verdict); // what it said before
   * ```
   */
  withdrawAttestation(agentId: string, options: TrustRequestOptions = {}): Promise<Attestation> {
    return withdrawAttestation(this.#trustClient(), agentId, options);
  }

  #trustClient(): TrustClient {
    return { send: (input, init) => this.fetch(input, init) };
  }

  /**
   * An RFC 7523 client assertion for `POST /api/v1/oauth/token`, signed with the agent's key and valid
   * 60 seconds. `aud` is `<baseUrl>/api/v1/oauth/token` unless `audience` says otherwise (it must be AIM's
   * public URL followed by that path).
   *
   * @example
   * ```ts
   * const body = new URLSearchParams({
   *   grant_type: 'client_credentials',
   *   client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
   *   client_assertion: agent.clientAssertion(),
   * });
   * ```
   */
  clientAssertion(options: { audience?: string } = {}): string {
    return createClientAssertion({
      agentId: this.id,
      keyId: this.#key.keyId,
      privateKey: this.#key.privateKey,
      audience: options.audience ?? `${this.baseUrl}/api/v1/oauth/token`,
    });
  }

  /** The public identity only. */
  toJSON(): { id: string; organizationId: string; name: string; keyId: string; baseUrl: string } {
    return { id: this.id, organizationId: this.organizationId, name: this.name, keyId: this.keyId, baseUrl: this.baseUrl };
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `AimAgent ${JSON.stringify(this.toJSON())}`;
  }
}
