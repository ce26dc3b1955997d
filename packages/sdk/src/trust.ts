import { AimError } from './errors.js';
import type { SignedFetch } from './decisions.js';
import { readJson, type AimRequestInit } from './transport.js';
import type { WireAnswer, WireRequest } from './wire.js';

/**
 * What an agent adds to trust scoring (docs/trust-scoring.md): heartbeats
 * (`POST /api/v1/agents/me/heartbeat`; uptime counts the minutes that had at least one) and
 * attestations of other agents of its organization (`PUT`/`DELETE /api/v1/agents/me/attestations/{id}`).
 * Every request is signed with the agent's key.
 *
 * The wire types here come from the contract (packages/contracts/src/trust.ts, through the generated
 * wire.generated.ts): nothing is restated by hand.
 */

/**
 * What an agent says of another agent.
 *
 * @example
 * ```ts
 * const verdict: AttestationVerdict = checksPassed ? 'trusted' : 'distrusted';
 * ```
 */
export type AttestationVerdict = Attestation['verdict'];

/**
 * An attestation as AIM answers it (the `Attestation` schema of the contract): `agentId` is the agent
 * attested, `attesterId` the agent that attests.
 *
 * @example
 * ```ts
 * const { id, agentId, attesterId, verdict } = await agent.attest('agt_…', 'trusted');
 * ```
 */
export type Attestation = WireAnswer<'/api/v1/agents/me/attestations/{agentId}', 'put'>['attestation'];

/**
 * AIM's answer to a heartbeat: when AIM received it (AIM's clock), and the minute it counts for (UTC,
 * seconds zero).
 *
 * @example
 * ```ts
 * const { receivedAt, minute } = await agent.heartbeat();
 * ```
 */
export type Heartbeat = WireAnswer<'/api/v1/agents/me/heartbeat', 'post'>;

/** What `PUT /api/v1/agents/me/attestations/{agentId}` takes. */
type AttestationRequest = WireRequest<'/api/v1/agents/me/attestations/{agentId}', 'put'>;

/**
 * Options of {@link AimAgent.heartbeat}, {@link AimAgent.attest} and {@link AimAgent.withdrawAttestation}.
 *
 * @example
 * ```ts
 * await agent.heartbeat({ timeoutMs: 2000 });
 * ```
 */
export interface TrustRequestOptions {
  signal?: AbortSignal;
  /** Give up (`network_error`) when AIM has not answered in this many milliseconds. Default 10,000. */
  timeoutMs?: number;
}

/**
 * Options of {@link AimAgent.startHeartbeats}.
 *
 * @example
 * ```ts
 * agent.startHeartbeats({ intervalMs: 20_000, onError: (error) => log.warn({ code: error.code }, 'heartbeat failed') });
 * ```
 */
export interface HeartbeatOptions {
  /**
   * Time between two heartbeats, 1,000 to 60,000 milliseconds. Default 30,000. Uptime counts the minutes
   * that had at least one heartbeat, so 60,000 may miss a minute now and then; keep it well under.
   */
  intervalMs?: number;
  /**
   * Called with each heartbeat that failed (network error, timeout, AIM's refusal). Heartbeats go on,
   * except after `agent_revoked` (a revoked agent is final), where they stop before this is called.
   * Without it, a process warning is emitted for the first failure of each run of failures.
   */
  onError?: (error: AimError) => void | Promise<void>;
  /** Called with AIM's answer to each heartbeat. */
  onHeartbeat?: (heartbeat: Heartbeat) => void | Promise<void>;
}

/**
 * Heartbeats in the background, from {@link AimAgent.startHeartbeats}.
 *
 * @example
 * ```ts
 * const heartbeats = agent.startHeartbeats();
 * process.once('SIGTERM', () => heartbeats.stop());
 * ```
 */
export interface Heartbeats {
  /** Stop sending heartbeats; a heartbeat under way is abandoned. Safe to call more than once. */
  stop(): void;
  /** False once stopped, by `stop()` or because AIM answered `agent_revoked`. */
  readonly running: boolean;
}

/** What the trust calls need from an agent. */
export interface TrustClient {
  send: SignedFetch;
}

export const DEFAULT_HEARTBEAT_INTERVAL_MS = 30_000;
export const MIN_HEARTBEAT_INTERVAL_MS = 1_000;
/** Uptime is counted per minute: one heartbeat a minute at least. */
export const MAX_HEARTBEAT_INTERVAL_MS = 60_000;
const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
const MAX_TIMER_MS = 2_147_483_647;
const MAX_STATEMENT_LENGTH = 2_000;
/** Agent ids are `agt_…`; anything that is not one path segment is refused before sending. */
const AGENT_ID = /^[A-Za-z0-9_-]{1,100}$/;
/** Every verdict of the contract, exactly: one added or removed there fails to compile here. */
const VERDICTS: readonly string[] = Object.keys({ trusted: true, distrusted: true } satisfies Record<AttestationVerdict, true>);

/** `POST /api/v1/agents/me/heartbeat`, signed, no body. */
export async function heartbeat(client: TrustClient, options: TrustRequestOptions = {}): Promise<Heartbeat> {
  const timeoutMs = milliseconds(options.timeoutMs);
  const body = await call<Partial<Heartbeat> | null | undefined>(client, '/api/v1/agents/me/heartbeat', { method: 'POST' }, options.signal, timeoutMs);
  if (typeof body !== 'object' || body === null || typeof body.receivedAt !== 'string' || typeof body.minute !== 'string') {
    throw new AimError('invalid_response', 'AIM answered the heartbeat without receivedAt and minute.');
  }
  return { receivedAt: body.receivedAt, minute: body.minute };
}

/**
 * Heartbeats every `intervalMs`, the first at once, until `stop()` or AIM answers `agent_revoked`. The
 * timer is unref'd: it never keeps the process alive. A heartbeat is not sent while the previous one is
 * still under way (each may take at most `intervalMs`, and 10 s). Nothing is ever thrown from the timer:
 * failures go to `onError` (or a process warning), and so do errors of the hooks themselves (as warnings).
 */
export function startHeartbeats(client: TrustClient, options: HeartbeatOptions = {}): Heartbeats {
  const intervalMs = options.intervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS;
  if (typeof intervalMs !== 'number' || !Number.isFinite(intervalMs) || intervalMs < MIN_HEARTBEAT_INTERVAL_MS || intervalMs > MAX_HEARTBEAT_INTERVAL_MS) {
    throw new AimError(
      'invalid_argument',
      `intervalMs must be a number of milliseconds from ${MIN_HEARTBEAT_INTERVAL_MS} to ${MAX_HEARTBEAT_INTERVAL_MS}: uptime counts the minutes with at least one heartbeat.`,
    );
  }
  const { onError, onHeartbeat } = options;
  if (onError !== undefined && typeof onError !== 'function') throw new AimError('invalid_argument', 'onError must be a function.');
  if (onHeartbeat !== undefined && typeof onHeartbeat !== 'function') throw new AimError('invalid_argument', 'onHeartbeat must be a function.');
  const timeoutMs = Math.min(intervalMs, DEFAULT_REQUEST_TIMEOUT_MS);

  let running = true;
  let inFlight: AbortController | null = null;
  let failing = false;

  const stop = () => {
    if (!running) return;
    running = false;
    clearInterval(timer);
    inFlight?.abort();
  };

  const failed = (error: AimError, final: boolean) => {
    const first = !failing;
    failing = true;
    if (onError) {
      hook('onError', () => onError(error));
    } else if (first || final) {
      const what = final ? 'AIM answered agent_revoked: heartbeats stopped.' : `A heartbeat to AIM failed (${describe(error)}); heartbeats go on.`;
      warn(what, 'AIM_HEARTBEAT_FAILED');
    }
  };

  const beat = async () => {
    if (!running || inFlight) return;
    const controller = new AbortController();
    inFlight = controller;
    try {
      const answer = await heartbeat(client, { signal: controller.signal, timeoutMs });
      if (!running) return;
      failing = false;
      if (onHeartbeat) hook('onHeartbeat', () => onHeartbeat(answer));
    } catch (caught) {
      // Stopped while it was under way: the caller no longer listens.
      if (!running) return;
      const error = caught instanceof AimError ? caught : new AimError('network_error', `The heartbeat failed: ${describe(caught)}.`, { cause: caught });
      const final = error.code === 'agent_revoked';
      if (final) stop();
      failed(error, final);
    } finally {
      if (inFlight === controller) inFlight = null;
    }
  };

  const timer = setInterval(() => void beat(), intervalMs);
  timer.unref();
  void beat();
  return {
    stop,
    get running() {
      return running;
    },
  };
}

/** `PUT /api/v1/agents/me/attestations/{agentId}`, signed: replaces the agent's earlier attestation of that agent. */
export async function attest(
  client: TrustClient,
  agentId: string,
  verdict: AttestationVerdict,
  statement: string | undefined,
  options: TrustRequestOptions = {},
): Promise<Attestation> {
  checkAgentId(agentId);
  if (!VERDICTS.includes(verdict)) throw new AimError('invalid_argument', "A verdict is 'trusted' or 'distrusted'.");
  if (statement !== undefined && (typeof statement !== 'string' || statement.length > MAX_STATEMENT_LENGTH)) {
    throw new AimError('invalid_argument', `A statement is a string of at most ${MAX_STATEMENT_LENGTH} characters.`);
  }
  const timeoutMs = milliseconds(options.timeoutMs);
  const body: AttestationRequest = statement === undefined ? { verdict } : { verdict, statement };
  return unwrapAttestation(await call(client, attestationPath(agentId), { method: 'PUT', body }, options.signal, timeoutMs));
}

/** `DELETE /api/v1/agents/me/attestations/{agentId}`, signed: answers the attestation removed (404 `not_found` if there was none). */
export async function withdrawAttestation(client: TrustClient, agentId: string, options: TrustRequestOptions = {}): Promise<Attestation> {
  checkAgentId(agentId);
  const timeoutMs = milliseconds(options.timeoutMs);
  return unwrapAttestation(await call(client, attestationPath(agentId), { method: 'DELETE' }, options.signal, timeoutMs));
}

const attestationPath = (agentId: string) => `/api/v1/agents/me/attestations/${agentId}`;

function checkAgentId(agentId: string): void {
  if (typeof agentId !== 'string' || !AGENT_ID.test(agentId)) {
    throw new AimError('invalid_argument', 'An agent id is the id AIM gave the agent (agt_…).');
  }
}

function unwrapAttestation(body: unknown): Attestation {
  const record = (body as { attestation?: unknown } | null | undefined)?.attestation as Partial<Attestation> | null | undefined;
  if (
    typeof record !== 'object' ||
    record === null ||
    typeof record.id !== 'string' ||
    typeof record.agentId !== 'string' ||
    typeof record.attesterId !== 'string' ||
    !VERDICTS.includes(record.verdict as string)
  ) {
    throw new AimError('invalid_response', 'AIM answered without the attestation it should describe.');
  }
  return record as Attestation;
}

function milliseconds(value: number | undefined): number {
  if (value === undefined) return DEFAULT_REQUEST_TIMEOUT_MS;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > MAX_TIMER_MS) {
    throw new AimError('invalid_argument', `timeoutMs must be a number of milliseconds above 0, at most ${MAX_TIMER_MS}.`);
  }
  return value;
}

/** One signed request with a timeout and the caller's signal; the JSON answer or an AimError. */
async function call<T>(client: TrustClient, path: string, init: AimRequestInit, signal: AbortSignal | undefined, timeoutMs: number): Promise<T> {
  if (signal?.aborted) throw aborted(signal);
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  const onAbort = () => controller.abort(signal?.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    return await readJson<T>(await client.send(path, { ...init, signal: controller.signal }));
  } catch (error) {
    if (signal?.aborted) throw aborted(signal, error);
    if (timedOut) throw new AimError('network_error', `AIM did not answer within ${timeoutMs} ms.`, { cause: error });
    throw error;
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
}

function aborted(signal: AbortSignal, error?: unknown): AimError {
  return new AimError('aborted', 'The call was aborted by its signal.', { cause: signal.reason ?? error });
}

/** Run a caller's hook; what it throws (or rejects with) becomes a process warning, never an exception from the timer. */
function hook(name: string, run: () => void | Promise<void>): void {
  const warnHook = (error: unknown) => warn(`The heartbeat hook ${name} threw (${describe(error)}).`, 'AIM_HEARTBEAT_HOOK_FAILED');
  try {
    const result = run();
    if (result && typeof (result as Promise<void>).then === 'function') (result as Promise<void>).then(undefined, warnHook);
  } catch (error) {
    warnHook(error);
  }
}

/** `agent_suspended, HTTP 403`, `network_error`: never a message, which may come from anywhere. */
function describe(error: unknown): string {
  if (error instanceof AimError) return error.status === undefined ? error.code : `${error.code}, HTTP ${error.status}`;
  const code = (error as { code?: unknown } | null | undefined)?.code;
  const name = error instanceof Error ? error.name : typeof error;
  return typeof code === 'string' ? `${name} (${code})` : name;
}

function warn(message: string, code: string): void {
  process.emitWarning(message, { type: 'AimWarning', code });
}
