import type { DecisionAnswer, DecisionReason, DecisionStatus } from './decisions.js';
import { SERVER_ERROR_CODES } from './wire.generated.js';
import type { WireErrorEnvelope } from './wire.js';

export { SERVER_ERROR_CODES };

/**
 * One of the codes of AIM's error envelope (docs/errors.md), known to this version of the SDK. The list
 * ({@link SERVER_ERROR_CODES}) is generated from the contract, like the SDK's other wire types.
 *
 * @example
 * ```ts
 * const retryLater: ServerErrorCode[] = ['rate_limited', 'service_unavailable'];
 * ```
 */
export type ServerErrorCode = (typeof SERVER_ERROR_CODES)[number];

/** The generated list and the envelope's schema name the same codes: checked when compiling. */
type Holds<T extends true> = T;
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type ServerErrorCodesAreTheEnvelopes = Holds<Same<ServerErrorCode, WireErrorEnvelope['error']['code']>>;

/**
 * Codes the SDK raises itself. Codes of AIM's error envelope ({@link SERVER_ERROR_CODES}: `invalid_signature`,
 * `unknown_key`, `stale_signature`, …; see docs/errors.md) are passed through unchanged; a code this
 * version of the SDK does not know (sent by a newer AIM) becomes `unknown_error`, with AIM's code in
 * {@link AimError.serverCode}.
 *
 * @example
 * ```ts
 * if (error instanceof AimError && error.code === 'enrollment_required') console.error('set AIM_ENROLLMENT_TOKEN');
 * ```
 */
export const SDK_ERROR_CODES = [
  /** AIM could not be reached (DNS, connection refused, TLS, aborted). */
  'network_error',
  /** AIM answered, but not with the JSON it documents. */
  'invalid_response',
  /** AIM (or a proxy in front of it) answered an error without AIM's error envelope. */
  'http_error',
  /** The credentials file is not a valid AIM credentials file. */
  'invalid_credentials',
  /** The credentials file can be read by other users (POSIX mode allows group or others). */
  'insecure_credentials',
  /** The credentials file belongs to another AIM (its `baseUrl` differs). */
  'credentials_mismatch',
  /** Another process created the credentials file while this one was enrolling. */
  'credentials_exist',
  /** No credentials file, and no enrollment token to create one. */
  'enrollment_required',
  /** A key rotation of this agent is already running. */
  'rotation_in_progress',
  /** A request body the SDK cannot sign (a stream or FormData, whose bytes are not known up front). */
  'unsupported_body',
  /** An argument is malformed (a URL, a key id, a nonce…). */
  'invalid_argument',
  /** The caller's AbortSignal ended a call (`verifyAction`, `waitForDecision`, `reportResult`, `guard`, `heartbeat`, `attest`, `withdrawAttestation`). */
  'aborted',
  /** `guard()`: AIM decided against the action, a person rejected it, or no one approved it in time ({@link ActionDeniedError}). */
  'action_denied',
  /** `guard()`: AIM's decision could not be had (network error, timeout, 5xx), so the action was not run. */
  'aim_unreachable',
  /** AIM answered an error code this version of the SDK does not know (a newer AIM): `serverCode` is AIM's code. */
  'unknown_error',
] as const;
/**
 * One of the SDK's own error codes.
 *
 * @example
 * ```ts
 * const isLocal = (SDK_ERROR_CODES as readonly string[]).includes(error.code); // else AIM's code
 * ```
 */
export type SdkErrorCode = (typeof SDK_ERROR_CODES)[number];

/**
 * Every code an {@link AimError} can have: AIM's ({@link ServerErrorCode}) or the SDK's own
 * ({@link SdkErrorCode}). A closed union: a `switch` over it can be exhaustive, and comparing `code` with
 * a string that is neither fails to compile.
 *
 * @example
 * ```ts
 * function advice(code: AimErrorCode): string {
 *   switch (code) {
 *     case 'stale_signature': return 'fix the clock';
 *     case 'network_error': return 'check the network';
 *     default: return 'see docs/errors.md';
 *   }
 * }
 * ```
 */
export type AimErrorCode = ServerErrorCode | SdkErrorCode;

const SERVER_CODES: ReadonlySet<string> = new Set(SERVER_ERROR_CODES);

/** Whether AIM's error envelope may carry `code` (as this version of the SDK knows it). */
export function isServerErrorCode(code: string): code is ServerErrorCode {
  return SERVER_CODES.has(code);
}

export interface AimErrorOptions {
  status?: number;
  /** AIM's code as sent in its error envelope. */
  serverCode?: string;
  requestId?: string;
  details?: unknown;
  cause?: unknown;
}

/**
 * The one error type the SDK throws. Branch on `code`, never on `message`.
 *
 * @example
 * ```ts
 * try {
 *   await agent.request('GET', '/api/v1/agents/me');
 * } catch (error) {
 *   if (error instanceof AimError && error.code === 'stale_signature') {
 *     console.error('clock skew', (error.details as { skewSeconds?: number })?.skewSeconds);
 *   }
 *   throw error;
 * }
 * ```
 */
export class AimError extends Error {
  override readonly name: string = 'AimError';
  /** Stable machine-readable code: one of AIM's ({@link SERVER_ERROR_CODES}) or the SDK's own ({@link SDK_ERROR_CODES}). */
  readonly code: AimErrorCode;
  /**
   * When AIM answered with its error envelope: AIM's code exactly as sent. Equal to `code`, except when
   * this version of the SDK does not know it (a newer AIM), where `code` is `unknown_error`.
   */
  readonly serverCode?: string;
  /** HTTP status of AIM's answer, when there was one. */
  readonly status?: number;
  /** AIM's request id, to quote when asking for help. */
  readonly requestId?: string;
  /** AIM's `details` (for `stale_signature`: `created`, `serverTime`, `skewSeconds`). */
  readonly details?: unknown;

  constructor(code: AimErrorCode, message: string, options: AimErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    if (options.serverCode !== undefined) this.serverCode = options.serverCode;
    if (options.status !== undefined) this.status = options.status;
    if (options.requestId !== undefined) this.requestId = options.requestId;
    if (options.details !== undefined) this.details = options.details;
  }
}

/**
 * What {@link ActionDeniedError} carries about the decision.
 *
 * @example
 * ```ts
 * const init: ActionDeniedInit = {
 *   action: 'payments:refund', resource: 'orders/8812', decisionId: 'dec_…',
 *   decision: 'deny', decisionStatus: 'denied', reasons: [], note: null,
 * };
 * ```
 */
export interface ActionDeniedInit {
  /** The action that was asked for, e.g. `payments:refund`. */
  action: string;
  resource: string | null;
  decisionId: string;
  /** `deny`, or `pending` when no one answered before the wait ended. */
  decision: Extract<DecisionAnswer, 'deny' | 'pending'>;
  /**
   * `denied` (by AIM's rules), `rejected` (by a person), `expired` (unanswered in AIM), `withdrawn`,
   * `invalidated` (a person approved, but AIM's re-evaluation at approval time denied), or `pending`
   * (the wait ran out first).
   */
  decisionStatus: Extract<DecisionStatus, 'denied' | 'rejected' | 'expired' | 'withdrawn' | 'invalidated' | 'pending'>;
  /** Why: for `invalidated`, the re-evaluation's reasons (what denied at approval time). */
  reasons: DecisionReason[];
  /** A person's note on a rejection. */
  note: string | null;
}

/**
 * `guard()` did not run the action: AIM denied it, a person rejected it, the approval expired, AIM
 * refused an approval because the decision no longer held (`invalidated`), or no one approved it before
 * the wait ended (`decisionStatus === 'pending'`). Its `code` is `action_denied`.
 *
 * @example
 * ```ts
 * try {
 *   await agent.guard('payments:refund', 'orders/8812', () => refund('8812'));
 * } catch (error) {
 *   if (error instanceof ActionDeniedError) {
 *     console.warn(error.decisionId, error.decisionStatus, error.reasons.map((r) => r.message));
 *   } else throw error;
 * }
 * ```
 */
export class ActionDeniedError extends AimError {
  override readonly name: string = 'ActionDeniedError';
  readonly action: string;
  readonly resource: string | null;
  readonly decisionId: string;
  readonly decision: ActionDeniedInit['decision'];
  readonly decisionStatus: ActionDeniedInit['decisionStatus'];
  readonly reasons: DecisionReason[];
  readonly note: string | null;

  constructor(init: ActionDeniedInit, message = deniedMessage(init)) {
    super('action_denied', message);
    this.action = init.action;
    this.resource = init.resource;
    this.decisionId = init.decisionId;
    this.decision = init.decision;
    this.decisionStatus = init.decisionStatus;
    this.reasons = init.reasons;
    this.note = init.note;
  }
}

function deniedMessage(init: ActionDeniedInit): string {
  const what = init.resource === null ? init.action : `${init.action} on ${init.resource}`;
  const decision = `decision ${init.decisionId}`;
  switch (init.decisionStatus) {
    case 'rejected':
      return `A person rejected ${what}${init.note ? `: ${init.note}` : ''} (${decision}).`;
    case 'expired':
      return `No one approved ${what} before the approval request expired (${decision}).`;
    case 'pending':
      return `${what} was still waiting for approval when the wait ended; it was not run (${decision}).`;
    case 'invalidated': {
      const deciding = init.reasons.find((reason) => reason.effect === 'deny');
      return `A person approved ${what}, but AIM denied it when checking again at approval${deciding ? `: ${deciding.message}` : ''} (${decision}).`;
    }
    default: {
      const deciding = init.reasons.find((reason) => reason.effect === 'deny');
      return `AIM denied ${what}${deciding ? `: ${deciding.message}` : ''} (${decision}).`;
    }
  }
}

/** Errors built from AIM's own 4xx envelope. */
const refusals = new WeakSet<AimError>();

/**
 * True when AIM itself refused the request (a 4xx answer in its error envelope). AIM documents that a
 * refused request changes nothing, so what was prepared for it (a new key) may safely be discarded.
 * A network error, a 5xx or a proxy's answer leaves the outcome unknown.
 */
export function isRefusalByAim(error: unknown): boolean {
  return error instanceof AimError && refusals.has(error);
}

/**
 * Build the error for a non-2xx answer: AIM's envelope `{ error: { code, message, requestId, details? } }`
 * when present (a code this SDK does not know becomes `unknown_error`), otherwise `http_error`. Reads the body.
 */
export async function errorFromResponse(response: Response): Promise<AimError> {
  const text = await response.text().catch(() => '');
  const envelope = parseEnvelope(text);
  if (envelope) {
    const error = new AimError(isServerErrorCode(envelope.code) ? envelope.code : 'unknown_error', envelope.message, {
      serverCode: envelope.code,
      status: response.status,
      requestId: envelope.requestId,
      details: envelope.details,
    });
    if (response.status >= 400 && response.status < 500) refusals.add(error);
    return error;
  }
  return new AimError('http_error', `AIM answered HTTP ${response.status} without an error envelope.`, { status: response.status });
}

/** The envelope as read: its code not yet checked against the known ones. */
interface Envelope {
  code: string;
  message: string;
  requestId?: string;
  details?: unknown;
}

function parseEnvelope(text: string): Envelope | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const error = (value as { error?: unknown } | null)?.error as Record<string, unknown> | undefined;
  if (typeof error !== 'object' || error === null || typeof error.code !== 'string') return undefined;
  return {
    code: error.code,
    message: typeof error.message === 'string' ? error.message : error.code,
    requestId: typeof error.requestId === 'string' ? error.requestId : undefined,
    details: error.details,
  };
}
