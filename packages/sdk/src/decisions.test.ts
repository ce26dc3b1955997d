import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AimAgent } from './agent.js';
import type { Decision, DecisionReason, DecisionRecord } from './decisions.js';
import { ActionDeniedError, AimError, type AimErrorCode } from './errors.js';
import { isCode, noFetch, offlineAgent, unreachableAddress } from './test-support/offline.js';

/**
 * Decisions without an AIM server: the requests the SDK sends, the long-poll loop, and what guard()
 * does when AIM cannot be reached, answers 5xx, hangs or is aborted. AIM's part is played by a stub
 * fetch (and, for a request that never gets an answer, a local server that never answers). The flows
 * against the real server (deny without a grant, allow and report, approval, rejection, fail closed and
 * fail open) are in apps/server/src/modules/decisions/sdk-decisions.test.ts.
 */

const BASE = 'https://aim.example.com';
const AGENT_ID = 'agt_00000000000000000000000001';
const DECISION_ID = 'dec_01jz0000000000000000000001';

interface SeenRequest {
  method: string;
  url: URL;
  body: string;
  headers: Headers;
}

type Responder = (request: SeenRequest, signal: AbortSignal | undefined) => Response | Promise<Response>;

/** A fetch that records every request and lets `respond` answer in AIM's place. */
function stubAim(respond: Responder): { fetch: typeof fetch; seen: SeenRequest[]; calls: () => string[] } {
  const seen: SeenRequest[] = [];
  const stub = (async (input: string | URL | Request, init: RequestInit = {}) => {
    const request: SeenRequest = {
      method: init.method ?? 'GET',
      url: new URL(String(input)),
      body: init.body ? Buffer.from(init.body as Uint8Array).toString('utf8') : '',
      headers: new Headers(init.headers),
    };
    seen.push(request);
    return respond(request, init.signal ?? undefined);
  }) as typeof fetch;
  return { fetch: stub, seen, calls: () => seen.map((r) => `${r.method} ${r.url.pathname}${r.url.search}`) };
}

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
const envelope = (status: number, code: string) => json(status, { error: { code, message: `${code} (stub)`, requestId: 'req-stub' } });
/** What fetch does on a connection refused. */
const networkFailure = () => Promise.reject(new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) }));
/** A request that is never answered; it ends when its signal aborts, as fetch does. */
const never = (signal: AbortSignal | undefined) =>
  new Promise<Response>((_, reject) => {
    const fail = () => reject(signal?.reason ?? new DOMException('This operation was aborted', 'AbortError'));
    if (signal?.aborted) fail();
    signal?.addEventListener('abort', fail, { once: true });
  });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const reason = (rule: DecisionReason['rule'], effect: DecisionReason['effect'], message: string): DecisionReason => ({ rule, effect, message, policyId: null, policyVersion: null, mode: 'enforce' as const });

function answer(decision: Decision['decision'], extra: Partial<Decision> = {}): Decision {
  return {
    decisionId: DECISION_ID,
    decision,
    reasons:
      decision === 'deny'
        ? [reason('capability_required', 'deny', 'payments:refund is not granted to this agent')]
        : [reason('capability_required', 'allow', 'granted')],
    risk: 'high',
    evaluatedAt: new Date().toISOString(),
    expiresAt: decision === 'pending' ? new Date(Date.now() + 900_000).toISOString() : null,
    ...extra,
  };
}

function record(status: DecisionRecord['status'], extra: Partial<DecisionRecord> = {}): { decision: DecisionRecord } {
  const decision = status === 'allowed' || status === 'approved' ? 'allow' : status === 'pending' ? 'pending' : 'deny';
  return {
    decision: {
      id: DECISION_ID,
      agentId: AGENT_ID,
      action: 'payments:refund',
      resource: 'orders/8812',
      context: {},
      risk: 'high',
      declaredRisk: null,
      decision,
      status,
      reasons: [reason('require_approval', 'approval', 'high risk needs a person')],
      approvalReasons: null,
      flagged: false,
      trust: { score: null, confidence: null },
      createdAt: new Date().toISOString(),
      expiresAt: null,
      resolvedAt: null,
      resolvedBy: null,
      note: null,
      result: null,
      ...extra,
    },
  };
}

const isVerify = (r: SeenRequest) => r.method === 'POST' && r.url.pathname.endsWith('/verify-action');
const isResult = (r: SeenRequest) => r.method === 'POST' && r.url.pathname.endsWith('/result');
const isRead = (r: SeenRequest) => r.method === 'GET' && r.url.pathname.startsWith('/api/v1/decisions/');

/** AIM answering `first` to verify-action, `reads()` to each read of the decision, and accepting the result. */
function scripted(first: () => Response | Promise<Response>, reads: (n: number, signal: AbortSignal | undefined) => Response | Promise<Response> = () => json(200, record('allowed'))) {
  let n = 0;
  return stubAim((request, signal) => {
    if (isVerify(request)) return first();
    if (isRead(request)) return reads((n += 1), signal);
    if (isResult(request)) return json(200, record('allowed', { result: { status: 'success', durationMs: 1, detail: null, reportedAt: new Date().toISOString() } }));
    throw new Error(`unexpected request ${request.method} ${request.url}`);
  });
}

/** `fn`'s value, and the process warnings emitted while it ran (and the tick after). */
async function warningsDuring<T>(fn: () => Promise<T>): Promise<{ value: T; warnings: (Error & { code?: string })[] }> {
  const warnings: (Error & { code?: string })[] = [];
  const listener = (warning: Error) => warnings.push(warning);
  process.on('warning', listener);
  try {
    const value = await fn();
    await new Promise((resolve) => setImmediate(resolve));
    return { value, warnings };
  } finally {
    process.off('warning', listener);
  }
}

let root: string;
let unreachable: string;
const agentWith = (fetchImpl: typeof fetch, baseUrl = BASE): Promise<AimAgent> => offlineAgent(root, baseUrl, fetchImpl);

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'aim-sdk-decisions-'));
  unreachable = await unreachableAddress();
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('verifyAction, waitForDecision, reportResult (no server)', () => {
  it('verifyAction sends a signed POST with exactly the fields given, and answers the decision', async () => {
    const aim = stubAim(() => json(200, answer('allow')));
    const agent = await agentWith(aim.fetch);
    const decision = await agent.verifyAction('payments:refund', 'orders/8812', { amount: 120 }, { risk: 'critical' });
    assert.equal(decision.decisionId, DECISION_ID);
    assert.equal(decision.decision, 'allow');
    assert.equal(decision.reasons[0]!.rule, 'capability_required');
    await agent.verifyAction('db:read');

    const [full, minimal] = aim.seen;
    assert.equal(full!.method, 'POST');
    assert.equal(full!.url.href, `${BASE}/api/v1/agents/${AGENT_ID}/verify-action`);
    assert.deepEqual(JSON.parse(full!.body), { action: 'payments:refund', resource: 'orders/8812', context: { amount: 120 }, risk: 'critical' });
    assert.equal(full!.headers.get('content-type'), 'application/json');
    assert.match(full!.headers.get('content-digest') ?? '', /^sha-256=:/);
    assert.match(full!.headers.get('signature-input') ?? '', new RegExp(`keyid="${agent.keyId}"`));
    assert.equal(minimal!.body, '{"action":"db:read"}');
  });

  it("verifyAction passes AIM's refusals through and refuses answers that are not a decision", async () => {
    const answers = [envelope(403, 'agent_suspended'), json(200, {}), json(200, { ...answer('allow'), decision: 'maybe' }), json(200, { ...answer('allow'), decisionId: '../x' })];
    const aim = stubAim(() => answers.shift()!);
    const agent = await agentWith(aim.fetch);
    await assert.rejects(agent.verifyAction('db:read'), (error: unknown) => isCode('agent_suspended')(error) && (error as AimError).status === 403);
    for (let i = 0; i < 3; i++) await assert.rejects(agent.verifyAction('db:read'), isCode('invalid_response'));
  });

  it('checks arguments before sending anything', async () => {
    const agent = await agentWith(noFetch);
    await assert.rejects(agent.verifyAction(''), isCode('invalid_argument'));
    await assert.rejects(agent.verifyAction('db:read', undefined, [] as never), isCode('invalid_argument'));
    await assert.rejects(agent.verifyAction('db:read', 42 as never), isCode('invalid_argument'));
    for (const timeoutMs of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      await assert.rejects(agent.verifyAction('db:read', undefined, undefined, { timeoutMs }), isCode('invalid_argument'), String(timeoutMs));
    }
    for (const id of ['', '../agents/me', 'dec_1/result', 'dec 1', 'x'.repeat(101)]) {
      await assert.rejects(agent.waitForDecision(id), isCode('invalid_argument'), id);
      await assert.rejects(agent.reportResult(id, { status: 'success' }), isCode('invalid_argument'), id);
    }
    await assert.rejects(agent.reportResult(DECISION_ID, { status: 'done' as never }), isCode('invalid_argument'));
    await assert.rejects(agent.waitForDecision(DECISION_ID, { timeoutMs: -5 }), isCode('invalid_argument'));
    await assert.rejects(agent.guard('db:read', undefined, 'not a function' as never), isCode('invalid_argument'));
    await assert.rejects(agent.guard('db:read', undefined, () => 1, { approvalTimeoutMs: Number.NaN }), isCode('invalid_argument'));
  });

  it('waitForDecision long-polls at most 60 s per request, within the overall timeout', async () => {
    const aim = scripted(
      () => json(200, answer('pending')),
      (n) => json(200, record(n < 2 ? 'pending' : 'approved')),
    );
    const agent = await agentWith(aim.fetch);
    const approved = await agent.waitForDecision(DECISION_ID, { timeoutMs: 150_000 });
    assert.deepEqual([approved.decision, approved.status], ['allow', 'approved']);
    assert.deepEqual(aim.calls(), [`GET /api/v1/decisions/${DECISION_ID}?wait=60`, `GET /api/v1/decisions/${DECISION_ID}?wait=60`]);
    assert.match(aim.seen[0]!.headers.get('signature-input') ?? '', new RegExp(`keyid="${agent.keyId}"`));

    aim.seen.length = 0;
    await agent.waitForDecision(DECISION_ID, { timeoutMs: 2_500 });
    assert.deepEqual(aim.calls(), [`GET /api/v1/decisions/${DECISION_ID}?wait=2`]);
    aim.seen.length = 0;
    const once = await agent.waitForDecision(DECISION_ID, { timeoutMs: 0 });
    assert.equal(once.status, 'approved');
    assert.deepEqual(aim.calls(), [`GET /api/v1/decisions/${DECISION_ID}`], 'timeoutMs 0 reads once, without waiting');
  });

  it('waitForDecision answers the still-pending decision when the time is up, without polling in a tight loop', async () => {
    const aim = scripted(
      () => json(200, answer('pending')),
      () => json(200, record('pending')), // AIM answering at once (as if it ignored wait)
    );
    const agent = await agentWith(aim.fetch);
    const started = Date.now();
    const pending = await agent.waitForDecision(DECISION_ID, { timeoutMs: 1_500 });
    const took = Date.now() - started;
    assert.equal(pending.decision, 'pending');
    assert.ok(took >= 1_450 && took < 4_000, `took ${took} ms`);
    assert.ok(aim.seen.length >= 2 && aim.seen.length <= 3, `${aim.seen.length} requests`);
  });

  it('waitForDecision retries network errors and 5xx with backoff, and throws 4xx at once', async () => {
    const failures = [() => networkFailure(), () => envelope(503, 'service_unavailable'), () => new Response('bad gateway', { status: 502 })];
    const aim = scripted(
      () => json(200, answer('pending')),
      (n) => (n <= failures.length ? failures[n - 1]!() : json(200, record('rejected', { note: 'no' }))),
    );
    const agent = await agentWith(aim.fetch);
    const rejected = await agent.waitForDecision(DECISION_ID, { timeoutMs: 30_000 });
    assert.deepEqual([rejected.decision, rejected.status, rejected.note], ['deny', 'rejected', 'no']);
    assert.equal(aim.seen.length, 4);

    const missing = stubAim(() => envelope(404, 'not_found'));
    await assert.rejects((await agentWith(missing.fetch)).waitForDecision(DECISION_ID, { timeoutMs: 30_000 }), isCode('not_found'));
    assert.equal(missing.seen.length, 1);

    const down = stubAim(() => networkFailure());
    const started = Date.now();
    await assert.rejects((await agentWith(down.fetch)).waitForDecision(DECISION_ID, { timeoutMs: 700 }), isCode('network_error'));
    assert.ok(Date.now() - started >= 650, 'tried until the deadline');
    assert.ok(down.seen.length >= 2, `${down.seen.length} attempts`);
  });

  it('waitForDecision gives up a long-poll that AIM does not answer, and stops when aborted', async () => {
    let reads = 0;
    const aim = stubAim((_request, signal) => ((reads += 1) === 1 ? never(signal) : json(200, record('approved'))));
    const agent = await agentWith(aim.fetch);
    const started = Date.now();
    // The first long-poll waits 1 s on AIM's side; after 1.2 s without an answer it is dropped and retried.
    const approved = await agent.waitForDecision(DECISION_ID, { timeoutMs: 1_900, requestTimeoutMs: 200 });
    const took = Date.now() - started;
    assert.equal(approved.status, 'approved');
    assert.equal(reads, 2, 'the hanging long-poll was dropped and retried');
    assert.deepEqual(aim.calls(), [`GET /api/v1/decisions/${DECISION_ID}?wait=1`, `GET /api/v1/decisions/${DECISION_ID}`]);
    assert.ok(took >= 1_150 && took < 1_900, `took ${took} ms`);

    const hanging = stubAim((_request, signal) => never(signal));
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const abortedAt = Date.now();
    await assert.rejects((await agentWith(hanging.fetch)).waitForDecision(DECISION_ID, { signal: controller.signal }), isCode('aborted'));
    assert.ok(Date.now() - abortedAt < 2_000);
  });

  it('reportResult posts the outcome once and passes result_not_expected through', async () => {
    const answers = [json(200, record('allowed', { result: { status: 'failure', durationMs: 12, detail: 'x', reportedAt: new Date().toISOString() } })), envelope(409, 'result_not_expected')];
    const aim = stubAim(() => answers.shift()!);
    const agent = await agentWith(aim.fetch);
    const reported = await agent.reportResult(DECISION_ID, { status: 'failure', durationMs: 12, detail: 'x' });
    assert.equal(reported.result?.status, 'failure');
    assert.deepEqual(aim.calls(), [`POST /api/v1/decisions/${DECISION_ID}/result`]);
    assert.deepEqual(JSON.parse(aim.seen[0]!.body), { status: 'failure', durationMs: 12, detail: 'x' });
    assert.match(aim.seen[0]!.headers.get('content-digest') ?? '', /^sha-256=:/);
    await assert.rejects(agent.reportResult(DECISION_ID, { status: 'success' }), (error: unknown) => isCode('result_not_expected')(error) && (error as AimError).status === 409);
  });
});

describe('guard (no server)', () => {
  it('on allow: runs fn once, answers its value and reports success with the time it took', async () => {
    const aim = scripted(() => json(200, answer('allow')));
    const agent = await agentWith(aim.fetch);
    const runs: unknown[] = [];
    const seenDecisions: Decision[] = [];
    const value = await agent.guard(
      'payments:refund',
      'orders/8812',
      async (run) => {
        runs.push(run);
        await sleep(60);
        return 'refunded';
      },
      { onDecision: (d) => void seenDecisions.push(d) },
    );
    assert.equal(value, 'refunded');
    assert.deepEqual(runs, [{ decisionId: DECISION_ID }]);
    assert.deepEqual(seenDecisions.map((d) => d.decision), ['allow']);
    assert.deepEqual(aim.calls(), [`POST /api/v1/agents/${AGENT_ID}/verify-action`, `POST /api/v1/decisions/${DECISION_ID}/result`]);
    const report = JSON.parse(aim.seen[1]!.body) as { status: string; durationMs: number };
    assert.equal(report.status, 'success');
    assert.ok(Number.isInteger(report.durationMs) && report.durationMs >= 55 && report.durationMs < 5_000, String(report.durationMs));
  });

  it('on deny: throws ActionDeniedError with the decision and its reasons, without running fn or reporting', async () => {
    const aim = scripted(() => json(200, answer('deny')));
    const agent = await agentWith(aim.fetch);
    let ran = false;
    const error = await agent.guard('payments:refund', 'orders/8812', () => (ran = true)).catch((e: unknown) => e);
    assert.ok(error instanceof ActionDeniedError);
    assert.ok(error instanceof AimError);
    assert.equal(error.name, 'ActionDeniedError');
    assert.equal(error.code, 'action_denied');
    assert.deepEqual(
      [error.decisionId, error.decision, error.decisionStatus, error.action, error.resource, error.note],
      [DECISION_ID, 'deny', 'denied', 'payments:refund', 'orders/8812', null],
    );
    assert.deepEqual(error.reasons, answer('deny').reasons);
    assert.match(error.message, /payments:refund is not granted/);
    assert.equal(ran, false);
    assert.equal(aim.seen.filter(isResult).length, 0);
  });

  it('when fn throws: reports failure (name and code, not the message) and rethrows the same error', async () => {
    const aim = scripted(() => json(200, answer('allow')));
    const agent = await agentWith(aim.fetch);
    const boom = Object.assign(new TypeError('card 4111 1111 1111 1111 declined'), { code: 'E_DECLINED' });
    await assert.rejects(
      agent.guard('payments:refund', 'orders/8812', () => {
        throw boom;
      }),
      (error: unknown) => error === boom,
    );
    const report = JSON.parse(aim.seen.find(isResult)!.body) as { status: string; detail: string; durationMs: number };
    assert.deepEqual([report.status, report.detail], ['failure', 'TypeError (E_DECLINED)']);
    assert.equal(typeof report.durationMs, 'number');

    aim.seen.length = 0;
    await assert.rejects(
      agent.guard('payments:refund', undefined, async () => Promise.reject(new Error('x')), { describeFailure: () => `  ${'d'.repeat(1200)}  ` }),
      /^Error: x$/,
    );
    assert.equal((JSON.parse(aim.seen.find(isResult)!.body) as { detail: string }).detail, 'd'.repeat(1000));
  });

  it("a failed report never hides fn's result or error: it goes to onReportError, else to a process warning", async () => {
    const aim = stubAim((request) => (isVerify(request) ? json(200, answer('allow')) : envelope(500, 'internal_error')));
    const agent = await agentWith(aim.fetch);
    const hooked: [string, string][] = [];
    const onReportError = (error: unknown, decisionId: string) => void hooked.push([(error as AimError).code, decisionId]);
    assert.equal(await agent.guard('db:read', 'customers/1', () => 42, { onReportError }), 42);
    const boom = new Error('boom');
    await assert.rejects(agent.guard('db:read', 'customers/1', () => Promise.reject(boom), { onReportError }), (e: unknown) => e === boom);
    assert.deepEqual(hooked, [
      ['internal_error', DECISION_ID],
      ['internal_error', DECISION_ID],
    ]);
    // A hook that throws does not change the outcome either; it becomes a warning.
    const throwing = await warningsDuring(() => agent.guard('db:read', undefined, () => 'still', { onReportError: () => Promise.reject(new Error('hook')) }));
    assert.equal(throwing.value, 'still');
    assert.ok(throwing.warnings.some((w) => w.code === 'AIM_RESULT_NOT_REPORTED' && w.message.includes('onReportError threw')), throwing.warnings.map(String).join());

    const { value, warnings } = await warningsDuring(() => agent.guard('db:read', 'customers/1', () => 'ok'));
    assert.equal(value, 'ok');
    assert.ok(warnings.some((w) => w.code === 'AIM_RESULT_NOT_REPORTED' && w.message.includes(DECISION_ID) && w.message.includes('internal_error')), warnings.map(String).join());
  });

  it('on pending: waits for approval, then runs fn and reports; a rejection throws ActionDeniedError', async () => {
    const approved = scripted(
      () => json(200, answer('pending')),
      (n) => json(200, record(n < 2 ? 'pending' : 'approved')),
    );
    const agent = await agentWith(approved.fetch);
    const decisions: string[] = [];
    let runs = 0;
    const value = await agent.guard('payments:refund', 'orders/8812', () => (runs += 1), { onDecision: (d) => void decisions.push(d.decision) });
    assert.deepEqual([value, runs, decisions], [1, 1, ['pending']]);
    assert.deepEqual(
      approved.seen.map((r) => (isVerify(r) ? 'verify' : isRead(r) ? 'read' : 'result')),
      ['verify', 'read', 'read', 'result'],
    );

    const rejected = scripted(
      () => json(200, answer('pending')),
      () => json(200, record('rejected', { note: 'not this customer' })),
    );
    const error = await (await agentWith(rejected.fetch)).guard('payments:refund', 'orders/8812', () => (runs += 1)).catch((e: unknown) => e);
    assert.ok(error instanceof ActionDeniedError);
    assert.deepEqual([error.decision, error.decisionStatus, error.note], ['deny', 'rejected', 'not this customer']);
    assert.match(error.message, /rejected .*not this customer/);
    assert.equal(runs, 1);
    assert.equal(rejected.seen.filter(isResult).length, 0);
  });

  it("waits no longer than approvalTimeoutMs, nor past the decision's expiry (by AIM's clock)", async () => {
    const stillPending = () => json(200, record('pending'));
    const short = scripted(() => json(200, answer('pending')), stillPending);
    const startedShort = Date.now();
    const timedOut = await (await agentWith(short.fetch)).guard('payments:refund', undefined, () => assert.fail('must not run'), { approvalTimeoutMs: 600 }).catch((e: unknown) => e);
    assert.ok(timedOut instanceof ActionDeniedError);
    assert.deepEqual([timedOut.decision, timedOut.decisionStatus], ['pending', 'pending']);
    assert.ok(Date.now() - startedShort < 3_000);

    // AIM's clock is years off; the decision stays open 500 ms by it.
    const evaluatedAt = '2001-01-01T00:00:00.000Z';
    const expiring = scripted(() => json(200, answer('pending', { evaluatedAt, expiresAt: '2001-01-01T00:00:00.500Z' })), stillPending);
    const started = Date.now();
    const expired = await (await agentWith(expiring.fetch)).guard('payments:refund', undefined, () => assert.fail('must not run')).catch((e: unknown) => e);
    const took = Date.now() - started;
    assert.ok(expired instanceof ActionDeniedError);
    assert.equal(expired.decisionStatus, 'pending');
    assert.ok(took >= 2_000 && took < 6_000, `waited ${took} ms, for an approval timeout of 5 minutes`);
    const waits = expiring.seen.filter(isRead).map((r) => Number(r.url.searchParams.get('wait') ?? 0));
    assert.ok(waits.every((w) => w <= 2), `waits ${waits.join()}`);
  });

  it('a pending decision expired in AIM throws ActionDeniedError (expired)', async () => {
    const aim = scripted(
      () => json(200, answer('pending')),
      () => json(200, record('expired')),
    );
    const error = await (await agentWith(aim.fetch)).guard('payments:refund', 'orders/8812', () => assert.fail('must not run')).catch((e: unknown) => e);
    assert.ok(error instanceof ActionDeniedError);
    assert.deepEqual([error.decision, error.decisionStatus], ['deny', 'expired']);
  });
});

describe('guard when AIM cannot be reached (no server)', () => {
  let silent: Server;
  let silentAddress: string;
  before(async () => {
    // Accepts connections and reads requests, never answers.
    silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    silentAddress = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
  });
  after(async () => {
    silent.closeAllConnections();
    await new Promise((resolve) => silent.close(resolve));
  });

  it('fails closed by default: aim_unreachable, fn not run', async () => {
    const agent = await offlineAgent(root, unreachable);
    let ran = false;
    const error = await agent.guard('payments:refund', 'orders/8812', () => (ran = true)).catch((e: unknown) => e);
    assert.ok(isCode('aim_unreachable')(error), String(error));
    assert.ok(isCode('network_error')((error as AimError).cause));
    assert.equal(ran, false);
  });

  it('with failOpen: runs fn without a decision, calls onFailOpen, reports nothing', async () => {
    const aim = stubAim(() => networkFailure());
    const agent = await agentWith(aim.fetch);
    const hooked: AimError[] = [];
    const runs: unknown[] = [];
    const value = await agent.guard(
      'payments:refund',
      'orders/8812',
      (run) => {
        runs.push(run);
        return 'ran';
      },
      { failOpen: true, onFailOpen: (error) => void hooked.push(error) },
    );
    assert.equal(value, 'ran');
    assert.deepEqual(runs, [{ decisionId: null }]);
    assert.deepEqual(hooked.map((e) => [e.code, (e.cause as AimError).code]), [['aim_unreachable', 'network_error']]);
    assert.deepEqual(aim.calls(), [`POST /api/v1/agents/${AGENT_ID}/verify-action`], 'no report');

    // Without the hook, failing open is not silent; a hook that throws stops the action.
    const { value: unhooked, warnings } = await warningsDuring(() => agent.guard('payments:refund', undefined, () => 'ran', { failOpen: true }));
    assert.equal(unhooked, 'ran');
    assert.ok(warnings.some((w) => w.code === 'AIM_FAIL_OPEN' && w.message.includes('payments:refund')), warnings.map(String).join());
    const veto = new Error('not today');
    await assert.rejects(
      agent.guard('payments:refund', undefined, () => assert.fail('must not run'), { failOpen: true, onFailOpen: () => Promise.reject(veto) }),
      (e: unknown) => e === veto,
    );
  });

  it('treats 5xx (AIM or a gateway) and a request that gets no answer as unreachable; fails open only when AIM could not be asked', async () => {
    const answers: (() => Response | Promise<Response>)[] = [() => envelope(503, 'service_unavailable'), () => new Response('<html>bad gateway</html>', { status: 502 })];
    for (const respond of answers) {
      const aim = stubAim(respond);
      const agent = await agentWith(aim.fetch);
      const closed = await agent.guard('db:read', undefined, () => assert.fail('must not run')).catch((e: unknown) => e as AimError);
      assert.equal(closed.code, 'aim_unreachable');
      assert.ok(closed.status! >= 500, String(closed.status));
      assert.equal(await agent.guard('db:read', undefined, () => 'open', { failOpen: true, onFailOpen: () => undefined }), 'open');
    }
    // A 500 is AIM's own answer (it could not store the decision): even with failOpen nothing runs unrecorded.
    const failing = await agentWith(stubAim(() => envelope(500, 'internal_error')).fetch);
    const refused = await failing
      .guard('db:read', undefined, () => assert.fail('must not run'), { failOpen: true, onFailOpen: () => assert.fail('not unreachable') })
      .catch((e: unknown) => e as AimError);
    assert.deepEqual([refused.code, refused.status], ['aim_unreachable', 500]);

    const agent = await offlineAgent(root, silentAddress);
    const started = Date.now();
    const hung = await agent.guard('db:read', undefined, () => assert.fail('must not run'), { requestTimeoutMs: 300 }).catch((e: unknown) => e as AimError);
    assert.equal(hung.code, 'aim_unreachable');
    assert.match((hung.cause as AimError).message, /did not answer within 300 ms/);
    assert.ok(Date.now() - started < 5_000);
    let opened = 0;
    assert.equal(await agent.guard('db:read', undefined, () => 'open', { requestTimeoutMs: 300, failOpen: true, onFailOpen: () => void (opened += 1) }), 'open');
    assert.equal(opened, 1);
  });

  it("never fails open on AIM's 4xx answers, a malformed answer, or the caller's abort", async () => {
    const refusals: [() => Response | Promise<Response>, AimErrorCode][] = [
      [() => envelope(400, 'validation_failed'), 'validation_failed'],
      [() => envelope(403, 'agent_suspended'), 'agent_suspended'],
      [() => envelope(429, 'rate_limited'), 'rate_limited'],
      [() => new Response('forbidden by proxy', { status: 403 }), 'http_error'],
      [() => new Response('<html>portal</html>', { status: 200 }), 'invalid_response'],
    ];
    for (const [respond, code] of refusals) {
      const agent = await agentWith(stubAim(respond).fetch);
      let hooked = 0;
      await assert.rejects(
        agent.guard('db:read', undefined, () => assert.fail('must not run'), { failOpen: true, onFailOpen: () => void (hooked += 1) }),
        isCode(code),
        code,
      );
      assert.equal(hooked, 0, code);
    }

    const hanging = await agentWith(stubAim((_request, signal) => never(signal)).fetch);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    await assert.rejects(
      hanging.guard('db:read', undefined, () => assert.fail('must not run'), { failOpen: true, signal: controller.signal, onFailOpen: () => assert.fail('not unreachable') }),
      isCode('aborted'),
    );
    await assert.rejects(hanging.guard('db:read', undefined, () => assert.fail('must not run'), { signal: AbortSignal.abort() }), isCode('aborted'));
  });

  it('a pending decision is never failed open: AIM unreachable while waiting fails closed', async () => {
    const aim = scripted(
      () => json(200, answer('pending')),
      () => networkFailure(),
    );
    const agent = await agentWith(aim.fetch);
    let hooked = 0;
    const error = await agent
      .guard('payments:refund', undefined, () => assert.fail('must not run'), { failOpen: true, approvalTimeoutMs: 800, onFailOpen: () => void (hooked += 1) })
      .catch((e: unknown) => e as AimError);
    assert.equal(error.code, 'aim_unreachable');
    assert.match(error.message, new RegExp(DECISION_ID));
    assert.equal(hooked, 0);
    assert.ok(aim.seen.filter(isRead).length >= 2, 'retried while waiting');
  });

  it('onDecision runs before the action; if it throws, the action does not run', async () => {
    const aim = scripted(() => json(200, answer('allow')));
    const agent = await agentWith(aim.fetch);
    const stop = new Error('stop');
    await assert.rejects(
      agent.guard('db:read', undefined, () => assert.fail('must not run'), {
        onDecision: () => {
          throw stop;
        },
      }),
      (e: unknown) => e === stop,
    );
    assert.equal(aim.seen.filter(isResult).length, 0);
  });
});
