import { setTimeout as sleepFor } from 'node:timers/promises';
import { ActionDeniedError, AimError, type ActionDeniedInit } from './errors.js';
import { readJson, type AimRequestInit } from './transport.js';
import type { WireAnswer, WireRequest, WireSchemas } from './wire.js';

/**
 * Asking AIM before acting (docs/authorization.md): `POST /api/v1/agents/{id}/verify-action` answers
 * allow, deny or pending; a pending decision is long-polled (`GET /api/v1/decisions/{id}?wait=N`) until a
 * person answers it; the outcome of an allowed action is reported once (`POST /api/v1/decisions/{id}/result`).
 * `guard()` puts the three together and fails closed. Every request is signed with the agent's key.
 *
 * The wire types here come from the contract (packages/contracts/src/decisions.ts, through the generated
 * wire.generated.ts): nothing is restated by hand.
 */

/** `POST /api/v1/agents/{agentId}/verify-action`, `GET /api/v1/decisions/{id}`, `POST …/result`. */
type VerifyActionAnswer = WireAnswer<'/api/v1/agents/{agentId}/verify-action', 'post'>;
type DecisionAnswerBody = WireAnswer<'/api/v1/decisions/{decisionId}', 'get'>;
type ResultRequest = WireRequest<'/api/v1/decisions/{decisionId}/result', 'post'>;
type VerifyActionRequest = WireRequest<'/api/v1/agents/{agentId}/verify-action', 'post'>;

/**
 * A risk level, lowest first.
 *
 * @example
 * ```ts
 * await agent.verifyAction('payments:refund', 'orders/8812', {}, { risk: 'high' });
 * ```
 */
export type RiskLevel = WireSchemas['RiskLevel'];

/**
 * AIM's answer: `pending` means a person must approve first.
 *
 * @example
 * ```ts
 * const answer: DecisionAnswer = (await agent.verifyAction('db:read')).decision;
 * ```
 */
export type DecisionAnswer = VerifyActionAnswer['decision'];

/**
 * How a decision got where it is: `allowed`/`denied` by AIM's rules, `approved`/`rejected` by a person,
 * `expired` unanswered (a deny), `withdrawn` by the agent, `invalidated` (a person approved, but AIM's
 * re-evaluation at approval time denied: `approvalReasons` says why), or still `pending`.
 *
 * @example
 * ```ts
 * const { status }: { status: DecisionStatus } = await agent.waitForDecision(decisionId);
 * ```
 */
export type DecisionStatus = DecisionRecord['status'];

/**
 * The outcome of an action AIM allowed, as the agent reports it.
 *
 * @example
 * ```ts
 * const status: ResultStatus = 'success';
 * ```
 */
export type ResultStatus = ActionOutcome['status'];

/**
 * The rules a reason can name.
 *
 * @example
 * ```ts
 * const missingGrant = decision.reasons.some((r) => r.rule === 'capability_required' && r.effect === 'deny');
 * ```
 */
export type DecisionRule = DecisionReason['rule'];

/**
 * One reason of a decision: which rule or policy (and version) said what.
 * `effect`: `allow` (a grant), `deny` and `approval` (enforced: they decide), `flag` (a monitor-mode
 * policy would have denied or asked for approval), `pass` (applied and satisfied), `info`. `policyId` is
 * null for the built-in rules; `grantId` names the grant that satisfied `capability_required`.
 *
 * @example
 * ```ts
 * for (const reason of decision.reasons) console.log(reason.rule, reason.effect, reason.message);
 * ```
 */
export type DecisionReason = VerifyActionAnswer['reasons'][number];

/**
 * AIM's answer to `verifyAction()`. Every answer is stored in AIM under `decisionId`. `risk` is the
 * effective risk (the catalog's, raised by the agent's own `risk`; null for an action not in the
 * catalog); for `pending`, `expiresAt` is when an unanswered approval turns into a deny (AIM's clock).
 *
 * @example
 * ```ts
 * const { decisionId, decision, reasons, expiresAt } = await agent.verifyAction('payments:refund', 'orders/8812');
 * ```
 */
export type Decision = VerifyActionAnswer;

/**
 * An outcome reported for a decision.
 *
 * @example
 * ```ts
 * const { result } = await agent.waitForDecision(decisionId, { timeoutMs: 0 });
 * if (result?.status === 'failure') console.warn(result.detail);
 * ```
 */
export type ReportedResult = NonNullable<DecisionRecord['result']>;

/**
 * A stored decision as AIM answers it (the `Decision` schema of the contract). `decision` is the answer
 * now (a pending decision becomes allow or deny); `reasons` the evaluation when the agent asked;
 * `approvalReasons` the re-evaluation when a person approved (why it allowed, `approved`, or denied,
 * `invalidated`), null otherwise; `note` a person's note when approving or rejecting.
 *
 * @example
 * ```ts
 * const record: DecisionRecord = await agent.waitForDecision(decisionId);
 * if (record.decision === 'allow') await act();
 * ```
 */
export type DecisionRecord = DecisionAnswerBody['decision'];

/**
 * What the agent reports after acting on an allow: `durationMs` 0 to 86,400,000, `detail` up to 1000
 * characters.
 *
 * @example
 * ```ts
 * const outcome: ActionOutcome = { status: 'failure', durationMs: 182, detail: 'upstream timeout' };
 * ```
 */
export type ActionOutcome = ResultRequest;

/**
 * Options of {@link AimAgent.verifyAction}.
 *
 * @example
 * ```ts
 * await agent.verifyAction('payments:refund', 'orders/8812', { amount: 120 }, { risk: 'high', timeoutMs: 5000 });
 * ```
 */
export interface VerifyActionOptions {
  /** The agent's own view of the risk: it can raise the catalog's level, never lower it. */
  risk?: RiskLevel;
  signal?: AbortSignal;
  /** Give up (`network_error`) when AIM has not answered in this many milliseconds. Default 10,000. */
  timeoutMs?: number;
}

/**
 * Options of {@link AimAgent.waitForDecision}.
 *
 * @example
 * ```ts
 * await agent.waitForDecision(decisionId, { timeoutMs: 120_000, signal: AbortSignal.timeout(150_000) });
 * ```
 */
export interface WaitForDecisionOptions {
  /** How long to wait in all, in milliseconds. Default 300,000 (5 minutes); 0 reads the decision once. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** How long AIM may take to answer beyond each long-poll's wait, in milliseconds. Default 10,000. */
  requestTimeoutMs?: number;
}

/**
 * Options of {@link AimAgent.reportResult}.
 *
 * @example
 * ```ts
 * await agent.reportResult(decisionId, { status: 'success' }, { timeoutMs: 2000 });
 * ```
 */
export interface ReportResultOptions {
  signal?: AbortSignal;
  /** Give up (`network_error`) when AIM has not answered in this many milliseconds. Default 10,000. */
  timeoutMs?: number;
}

/**
 * What `guard()` passes to the guarded function.
 *
 * @example
 * ```ts
 * await agent.guard('email:send', 'customers/42', ({ decisionId }) => send(mail, { auditRef: decisionId }));
 * ```
 */
export interface GuardedRun {
  /** The decision that allowed the run; null when it runs without one (`failOpen`). */
  decisionId: string | null;
}

/**
 * Options of {@link AimAgent.guard}.
 *
 * @example
 * ```ts
 * await agent.guard('payments:refund', 'orders/8812', () => refund('8812'), {
 *   context: { amount: 120 },
 *   approvalTimeoutMs: 60_000,
 *   onDecision: (d) => log.info({ decisionId: d.decisionId, decision: d.decision }, 'AIM decided'),
 *   onReportError: (error, decisionId) => log.warn({ err: error, decisionId }, 'outcome not reported'),
 * });
 * ```
 */
export interface GuardOptions {
  /** Facts about the action that policies may look at (at most 8 KiB as JSON), e.g. `{ records: 120 }`. */
  context?: Record<string, unknown>;
  /** The agent's own view of the risk: it can raise the catalog's level, never lower it. */
  risk?: RiskLevel;
  /**
   * How long to wait for a person to approve a pending decision, in milliseconds. Default 300,000
   * (5 minutes); never longer than AIM keeps the decision open (its `expiresAt`).
   */
  approvalTimeoutMs?: number;
  /**
   * When AIM cannot be reached (network error, timeout, 5xx) when asked, run the action anyway, without
   * a decision (and report nothing). Default false: fail closed with `aim_unreachable`. AIM's own answers
   * (a deny, a pending approval, any 4xx) are never overridden.
   */
  failOpen?: boolean;
  /** How long each request may take (beyond a long-poll's wait), in milliseconds. Default 10,000. */
  requestTimeoutMs?: number;
  /** Stops asking or waiting (`aborted`). Does not stop a function already running, nor its report. */
  signal?: AbortSignal;
  /** Called with AIM's answer before anything else happens. If it throws, `guard` throws that error and does not run the action. */
  onDecision?: (decision: Decision) => void | Promise<void>;
  /**
   * Called with the `aim_unreachable` error before the action runs without a decision (`failOpen`). If it
   * throws, `guard` throws that error and does not run the action. Without it, a process warning is emitted.
   */
  onFailOpen?: (error: AimError) => void | Promise<void>;
  /**
   * Called when the outcome could not be reported to AIM; `guard` still returns the action's result (or
   * throws its error). Without it, a process warning is emitted.
   */
  onReportError?: (error: unknown, decisionId: string) => void | Promise<void>;
  /**
   * The `detail` reported when the action throws. Default: the error's name and code, e.g.
   * `TypeError` or `Error (ECONNRESET)`: never its message, which may carry the data the action handled.
   */
  describeFailure?: (error: unknown) => string | undefined;
}

/** Sends a request signed with the agent's current key. */
export type SignedFetch = (input: string, init: AimRequestInit) => Promise<Response>;

/** What the decision calls need from an agent. */
export interface DecisionClient {
  agentId: string;
  send: SignedFetch;
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
export const DEFAULT_APPROVAL_TIMEOUT_MS = 300_000;
/** AIM answers a long-poll after at most this many seconds. */
export const MAX_WAIT_SECONDS = 60;
/** Between two polls that AIM answered early while the decision was still pending. */
const MIN_POLL_INTERVAL_MS = 1_000;
/** Backoff after a failed poll: doubled from here, at most the maximum. */
const RETRY_BASE_MS = 250;
const RETRY_MAX_MS = 5_000;
/** Past a pending decision's expiry, the time AIM has to answer the long-poll with `expired`. */
const EXPIRY_GRACE_MS = 2_000;
const MAX_DETAIL_LENGTH = 1_000;
const MAX_DURATION_MS = 86_400_000;
const MAX_TIMER_MS = 2_147_483_647;
/** Decision ids are `dec_…`; anything that is not one path segment is refused before sending. */
const DECISION_ID = /^[A-Za-z0-9_-]{1,100}$/;
/** Statuses an ActionDeniedError names as they are; any other deny is `denied`. */
const DENIED_STATUSES: readonly DecisionStatus[] = ['pending', 'rejected', 'expired', 'withdrawn', 'invalidated'];
/** Every value of the contract's enum, exactly: a value added or removed there fails to compile here. */
const ANSWERS: readonly string[] = Object.keys({ allow: true, deny: true, pending: true } satisfies Record<DecisionAnswer, true>);
const RESULT_STATUSES: readonly string[] = Object.keys({ success: true, failure: true, error: true } satisfies Record<ResultStatus, true>);

/** `POST /api/v1/agents/{agentId}/verify-action`, signed. */
export async function verifyAction(
  client: DecisionClient,
  action: string,
  resource: string | undefined,
  context: Record<string, unknown> | undefined,
  options: VerifyActionOptions = {},
): Promise<Decision> {
  if (typeof action !== 'string' || action === '') throw new AimError('invalid_argument', 'verifyAction needs an action, e.g. payments:refund.');
  if (resource !== undefined && typeof resource !== 'string') throw new AimError('invalid_argument', 'resource must be a string.');
  if (context !== undefined && (typeof context !== 'object' || context === null || Array.isArray(context))) {
    throw new AimError('invalid_argument', 'context must be an object, e.g. { records: 120 }.');
  }
  const body: VerifyActionRequest = { action };
  if (resource !== undefined) body.resource = resource;
  if (context !== undefined) body.context = context;
  if (options.risk !== undefined) body.risk = options.risk;
  const timeoutMs = milliseconds(options.timeoutMs, DEFAULT_REQUEST_TIMEOUT_MS, 'timeoutMs');
  const answer = await call<Record<string, unknown> | undefined>(
    client,
    `/api/v1/agents/${encodeURIComponent(client.agentId)}/verify-action`,
    { method: 'POST', body },
    options.signal,
    timeoutMs,
  );
  const { decisionId, decision, reasons, evaluatedAt } = answer ?? {};
  if (typeof decisionId !== 'string' || !DECISION_ID.test(decisionId) || !ANSWERS.includes(decision as string) || !Array.isArray(reasons) || typeof evaluatedAt !== 'string') {
    throw new AimError('invalid_response', 'AIM answered verify-action without a decision id, a decision and its reasons.');
  }
  return answer as unknown as Decision;
}

/** `GET /api/v1/decisions/{id}?wait=N`, signed. */
export async function readDecision(client: DecisionClient, decisionId: string, waitSeconds: number, signal: AbortSignal | undefined, timeoutMs: number): Promise<DecisionRecord> {
  checkDecisionId(decisionId);
  const query = waitSeconds > 0 ? `?wait=${waitSeconds}` : '';
  return unwrapDecision(await call(client, `/api/v1/decisions/${decisionId}${query}`, { method: 'GET' }, signal, timeoutMs));
}

/**
 * Long-poll a decision until it is no longer pending or `timeoutMs` has passed; answers the last record
 * read (still `pending` after a timeout). Each request waits at most 60 s on AIM's side and never past
 * the overall deadline. Failures that may pass (network errors, timeouts, 5xx) are retried with backoff
 * until the deadline, then thrown; AIM's 4xx answers are thrown at once.
 */
export async function waitForDecision(client: DecisionClient, decisionId: string, options: WaitForDecisionOptions = {}): Promise<DecisionRecord> {
  checkDecisionId(decisionId);
  const timeoutMs = milliseconds(options.timeoutMs, DEFAULT_APPROVAL_TIMEOUT_MS, 'timeoutMs', true);
  const requestTimeoutMs = milliseconds(options.requestTimeoutMs, DEFAULT_REQUEST_TIMEOUT_MS, 'requestTimeoutMs');
  const { signal } = options;
  const deadline = Date.now() + timeoutMs;
  let failures = 0;
  for (;;) {
    const startedAt = Date.now();
    const waitSeconds = Math.max(0, Math.min(MAX_WAIT_SECONDS, Math.floor((deadline - startedAt) / 1000)));
    let pause: number;
    try {
      const record = await readDecision(client, decisionId, waitSeconds, signal, waitSeconds * 1000 + requestTimeoutMs);
      if (record.decision !== 'pending' || Date.now() >= deadline) return record;
      failures = 0;
      // AIM answered before the wait was over (a wait of 0, a restart): do not poll in a tight loop.
      pause = startedAt + MIN_POLL_INTERVAL_MS - Date.now();
    } catch (error) {
      if (!isTransient(error) || Date.now() >= deadline) throw error;
      failures += 1;
      pause = Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** (failures - 1));
    }
    await sleep(Math.min(pause, deadline - Date.now()), signal);
  }
}

/**
 * `POST /api/v1/decisions/{id}/withdraw`, signed: the agent stops waiting for a pending decision, which
 * becomes a deny that no later approval can change. AIM answers 409 `decision_not_pending` when a person
 * answered first.
 */
export async function withdrawDecision(client: DecisionClient, decisionId: string, options: ReportResultOptions = {}): Promise<DecisionRecord> {
  checkDecisionId(decisionId);
  const timeoutMs = milliseconds(options.timeoutMs, DEFAULT_REQUEST_TIMEOUT_MS, 'timeoutMs');
  return unwrapDecision(await call(client, `/api/v1/decisions/${decisionId}/withdraw`, { method: 'POST' }, options.signal, timeoutMs));
}

/** `POST /api/v1/decisions/{id}/result`, signed: once per allowed decision. */
export async function reportResult(client: DecisionClient, decisionId: string, outcome: ActionOutcome, options: ReportResultOptions = {}): Promise<DecisionRecord> {
  checkDecisionId(decisionId);
  if (typeof outcome !== 'object' || outcome === null || !RESULT_STATUSES.includes(outcome.status)) {
    throw new AimError('invalid_argument', "An outcome's status is success, failure or error.");
  }
  const body: ActionOutcome = { status: outcome.status };
  if (outcome.durationMs !== undefined) body.durationMs = outcome.durationMs;
  if (outcome.detail !== undefined) body.detail = outcome.detail;
  const timeoutMs = milliseconds(options.timeoutMs, DEFAULT_REQUEST_TIMEOUT_MS, 'timeoutMs');
  return unwrapDecision(await call(client, `/api/v1/decisions/${decisionId}/result`, { method: 'POST', body }, options.signal, timeoutMs));
}

/**
 * Ask, wait for a person if need be, act, report: see {@link AimAgent.guard}. Fails closed: the action
 * runs only on an allow (or an approval), or, with `failOpen`, when AIM could not be asked at all.
 */
export async function guard<T>(
  client: DecisionClient,
  action: string,
  resource: string | undefined,
  fn: (run: GuardedRun) => T | Promise<T>,
  options: GuardOptions = {},
): Promise<T> {
  if (typeof fn !== 'function') throw new AimError('invalid_argument', 'guard needs the function to run when AIM allows the action.');
  const approvalTimeoutMs = milliseconds(options.approvalTimeoutMs, DEFAULT_APPROVAL_TIMEOUT_MS, 'approvalTimeoutMs', true);
  const requestTimeoutMs = milliseconds(options.requestTimeoutMs, DEFAULT_REQUEST_TIMEOUT_MS, 'requestTimeoutMs');
  const { signal } = options;

  const askedAt = Date.now();
  let decision: Decision;
  try {
    decision = await verifyAction(client, action, resource, options.context, {
      timeoutMs: requestTimeoutMs,
      ...(options.risk === undefined ? {} : { risk: options.risk }),
      ...(signal === undefined ? {} : { signal }),
    });
  } catch (error) {
    if (!isTransient(error)) throw error;
    const unreachable = unreachableError(error, `Could not get AIM's decision on ${action}`);
    if (!options.failOpen || !isUnreachable(error)) throw unreachable;
    if (options.onFailOpen) await options.onFailOpen(unreachable);
    else warn(`${unreachable.message} It runs anyway (failOpen), without a decision.`, 'AIM_FAIL_OPEN');
    return fn({ decisionId: null });
  }
  await options.onDecision?.(decision);

  const denied = (record: { decision: DecisionAnswer; status: DecisionStatus; reasons: DecisionReason[]; approvalReasons?: DecisionReason[] | null; note: string | null }) =>
    new ActionDeniedError({
      action,
      resource: resource ?? null,
      decisionId: decision.decisionId,
      decision: record.decision === 'pending' ? 'pending' : 'deny',
      decisionStatus: DENIED_STATUSES.includes(record.status) ? (record.status as ActionDeniedInit['decisionStatus']) : 'denied',
      // An approval AIM refused on re-evaluation: its reasons are the ones that denied.
      reasons: record.status === 'invalidated' && Array.isArray(record.approvalReasons) ? record.approvalReasons : record.reasons,
      note: record.note,
    });

  if (decision.decision === 'deny') throw denied({ ...decision, status: 'denied', note: null });
  if (decision.decision === 'pending') {
    // AIM's own clock gives how long the decision stays open; counted here from when it was asked.
    const openMs = decision.expiresAt === null ? Number.NaN : Date.parse(decision.expiresAt) - Date.parse(decision.evaluatedAt);
    const untilExpiry = Number.isFinite(openMs) ? askedAt + openMs + EXPIRY_GRACE_MS - Date.now() : Number.POSITIVE_INFINITY;
    let record: DecisionRecord;
    try {
      record = await waitForDecision(client, decision.decisionId, {
        timeoutMs: Math.max(0, Math.min(approvalTimeoutMs, untilExpiry)),
        requestTimeoutMs,
        ...(signal === undefined ? {} : { signal }),
      });
    } catch (error) {
      // AIM answered (pending): whatever happens now, failOpen does not apply.
      if (isTransient(error)) throw unreachableError(error, `Could not learn whether ${action} was approved (decision ${decision.decisionId})`);
      throw error;
    }
    if (record.decision === 'pending') record = await giveUp(client, decision.decisionId, record, requestTimeoutMs);
    if (record.decision !== 'allow') throw denied(record);
  }

  const decisionId = decision.decisionId;
  const report = async (outcome: ActionOutcome) => {
    try {
      await reportResult(client, decisionId, outcome, { timeoutMs: requestTimeoutMs });
    } catch (error) {
      try {
        if (options.onReportError) await options.onReportError(error, decisionId);
        else warn(`Could not report the outcome of decision ${decisionId} to AIM (${codeOf(error)}).`, 'AIM_RESULT_NOT_REPORTED');
      } catch (hookError) {
        warn(`onReportError threw for decision ${decisionId} (${codeOf(hookError)}).`, 'AIM_RESULT_NOT_REPORTED');
      }
    }
  };
  const startedAt = performance.now();
  const elapsed = () => Math.min(MAX_DURATION_MS, Math.round(performance.now() - startedAt));
  let value: T;
  try {
    value = await fn({ decisionId });
  } catch (error) {
    const durationMs = elapsed();
    const detail = failureDetail(error, options.describeFailure);
    await report({ status: 'failure', durationMs, ...(detail === undefined ? {} : { detail }) });
    throw error;
  }
  await report({ status: 'success', durationMs: elapsed() });
  return value;
}

/**
 * The wait ended with the decision still pending: withdraw it, so that a late approval cannot allow an
 * action nobody runs. When a person answered in the meantime (409), their answer stands. When AIM cannot
 * be reached, the decision stays pending until it expires as a deny; the caller learns it is not allowed.
 */
async function giveUp(client: DecisionClient, decisionId: string, pending: DecisionRecord, timeoutMs: number): Promise<DecisionRecord> {
  try {
    return await withdrawDecision(client, decisionId, { timeoutMs });
  } catch (error) {
    if (error instanceof AimError && error.code === 'decision_not_pending') return readDecision(client, decisionId, 0, undefined, timeoutMs);
    return pending;
  }
}

/**
 * AIM could not be asked at all: no answer (`network_error`, a timeout) or a gateway's 502/503/504.
 * Only then may `failOpen` run the action. A 500 is AIM's own answer (it could not store the
 * decision, say): the action must not run unrecorded.
 */
export function isUnreachable(error: unknown): error is AimError {
  return error instanceof AimError && (error.code === 'network_error' || error.status === 502 || error.status === 503 || error.status === 504);
}

/**
 * A failure that may pass: AIM could not be reached or did not answer in time (`network_error`), or
 * answered 5xx (its own error, or a gateway's). Not AIM's 4xx answers, a malformed answer, or an abort.
 */
export function isTransient(error: unknown): error is AimError {
  return error instanceof AimError && (error.code === 'network_error' || (error.status !== undefined && error.status >= 500));
}

function unreachableError(cause: AimError, what: string): AimError {
  const why = cause.status === undefined ? cause.code : `${cause.code}, HTTP ${cause.status}`;
  return new AimError('aim_unreachable', `${what} (${why}); the action was not run.`, {
    cause,
    ...(cause.status === undefined ? {} : { status: cause.status }),
    ...(cause.requestId === undefined ? {} : { requestId: cause.requestId }),
  });
}

/** One signed request with a timeout and the caller's signal; the JSON answer or an AimError. */
async function call<T>(client: DecisionClient, path: string, init: AimRequestInit, signal: AbortSignal | undefined, timeoutMs: number): Promise<T> {
  if (signal?.aborted) throw aborted(signal);
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, Math.min(timeoutMs, MAX_TIMER_MS));
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

async function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (signal?.aborted) throw aborted(signal);
  if (ms <= 0) return;
  try {
    await sleepFor(Math.min(ms, MAX_TIMER_MS), undefined, signal === undefined ? undefined : { signal });
  } catch (error) {
    if (signal?.aborted) throw aborted(signal, error);
    throw error;
  }
}

function aborted(signal: AbortSignal, error?: unknown): AimError {
  return new AimError('aborted', 'The call was aborted by its signal.', { cause: signal.reason ?? error });
}

function unwrapDecision(body: unknown): DecisionRecord {
  const record = (body as { decision?: unknown } | null | undefined)?.decision as Partial<DecisionRecord> | null | undefined;
  if (
    typeof record !== 'object' ||
    record === null ||
    typeof record.id !== 'string' ||
    !ANSWERS.includes(record.decision as string) ||
    typeof record.status !== 'string' ||
    !Array.isArray(record.reasons)
  ) {
    throw new AimError('invalid_response', 'AIM answered without the decision it should describe.');
  }
  return record as DecisionRecord;
}

function checkDecisionId(decisionId: string): void {
  if (typeof decisionId !== 'string' || !DECISION_ID.test(decisionId)) {
    throw new AimError('invalid_argument', 'A decision id is the decisionId AIM answered (dec_…).');
  }
}

function milliseconds(value: number | undefined, fallback: number, name: string, zeroAllowed = false): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (value === 0 && !zeroAllowed) || value > MAX_TIMER_MS) {
    throw new AimError('invalid_argument', `${name} must be a number of milliseconds${zeroAllowed ? '' : ' above 0'}, at most ${MAX_TIMER_MS}.`);
  }
  return value;
}

function failureDetail(error: unknown, describe: GuardOptions['describeFailure']): string | undefined {
  let detail: string | undefined;
  try {
    detail = describe ? describe(error) : defaultFailureDetail(error);
  } catch {
    detail = defaultFailureDetail(error);
  }
  if (typeof detail !== 'string') return undefined;
  const trimmed = detail.trim().slice(0, MAX_DETAIL_LENGTH);
  return trimmed === '' ? undefined : trimmed;
}

/** `TypeError`, `Error (ECONNRESET)`, `AimError (agent_suspended)`: never the message. */
function defaultFailureDetail(error: unknown): string {
  const name = error instanceof Error ? error.name : typeof error;
  const code = (error as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' || typeof code === 'number' ? `${name} (${String(code)})` : name;
}

function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' ? code : error instanceof Error ? error.name : 'unknown error';
}

function warn(message: string, code: string): void {
  process.emitWarning(message, { type: 'AimWarning', code });
}
