import { describe, it, before, after, afterEach, mock } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AimAgent } from './agent.js';
import { AimError } from './errors.js';
import type { Attestation, Heartbeat, Heartbeats } from './trust.js';
import { isCode, noFetch, offlineAgent } from './test-support/offline.js';

/**
 * Heartbeats and attestations without an AIM server: the requests the SDK sends, the heartbeat timer
 * (driven by node:test's fake setInterval, so no test waits for real intervals), what happens when a
 * heartbeat fails, and when AIM answers agent_revoked. AIM's part is played by a stub fetch. The flows
 * against the real server (the uptime bit set, attestations listed, revocation) are in
 * apps/server/src/modules/trust/sdk-trust.test.ts.
 */

const BASE = 'https://aim.example.com';
const AGENT_ID = 'agt_00000000000000000000000001';
const OTHER_ID = 'agt_00000000000000000000000002';
const HEARTBEAT_PATH = '/api/v1/agents/me/heartbeat';

interface SeenRequest {
  method: string;
  url: URL;
  body: string;
  headers: Headers;
  signal: AbortSignal | undefined;
}

type Responder = (request: SeenRequest, n: number) => Response | Promise<Response>;

/** A fetch that records every request (synchronously, as it is made) and lets `respond` answer in AIM's place. */
function stubAim(respond: Responder): { fetch: typeof fetch; seen: SeenRequest[] } {
  const seen: SeenRequest[] = [];
  const stub = (async (input: string | URL | Request, init: RequestInit = {}) => {
    const request: SeenRequest = {
      method: init.method ?? 'GET',
      url: new URL(String(input)),
      body: init.body ? Buffer.from(init.body as Uint8Array).toString('utf8') : '',
      headers: new Headers(init.headers),
      signal: init.signal ?? undefined,
    };
    seen.push(request);
    return respond(request, seen.length);
  }) as typeof fetch;
  return { fetch: stub, seen };
}

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
const envelope = (status: number, code: string) => json(status, { error: { code, message: `${code} (stub)`, requestId: 'req-stub' } });
const beatAnswer = (n = 0): Heartbeat => ({ receivedAt: `2025-06-01T12:00:${String(n % 60).padStart(2, '0')}.000Z`, minute: '2025-06-01T12:00:00.000Z' });
/** What fetch does on a connection refused. */
const networkFailure = () => Promise.reject(new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) }));
/** A request that is never answered; it ends when its signal aborts, as fetch does. */
const never = (signal: AbortSignal | undefined) =>
  new Promise<Response>((_, reject) => {
    const fail = () => reject(signal?.reason ?? new DOMException('This operation was aborted', 'AbortError'));
    if (signal?.aborted) fail();
    signal?.addEventListener('abort', fail, { once: true });
  });

function attestation(verdict: Attestation['verdict'], statement: string | null = null): { attestation: Attestation } {
  const now = new Date().toISOString();
  return { attestation: { id: 'att_01jz0000000000000000000001', agentId: OTHER_ID, attesterId: AGENT_ID, verdict, statement, createdAt: now, updatedAt: now } };
}

/**
 * What the heartbeat hooks hear, in order: `beat` for each answer, the error code for each failure.
 * `next(n)` resolves once there are n events (the test's own timeout guards a hook that never runs).
 */
function listener() {
  const events: string[] = [];
  const errors: AimError[] = [];
  let wake: (() => void) | undefined;
  const push = (event: string) => {
    events.push(event);
    wake?.();
  };
  return {
    events,
    errors,
    onHeartbeat: () => push('beat'),
    onError: (error: AimError) => {
      errors.push(error);
      push(error.code);
    },
    async next(n: number): Promise<string[]> {
      while (events.length < n) await new Promise<void>((resolve) => (wake = resolve));
      return events.slice();
    },
  };
}

const immediate = () => new Promise((resolve) => setImmediate(resolve));
/** Wait (a turn of the event loop at a time) until `condition` holds; the test's timeout guards it. */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await immediate();
}
/** Advance the fake clock by `ms` until `n` requests were made (a tick is skipped while a heartbeat is under way). */
async function tickUntil(seen: unknown[], n: number, ms: number): Promise<void> {
  while (seen.length < n) {
    await immediate();
    mock.timers.tick(ms);
  }
}

/** Warnings emitted while `fn` ran, and the tick after. */
async function warningsDuring(fn: () => Promise<void>): Promise<(Error & { code?: string })[]> {
  const warnings: (Error & { code?: string })[] = [];
  const onWarning = (warning: Error) => warnings.push(warning);
  process.on('warning', onWarning);
  try {
    await fn();
    await immediate();
    return warnings;
  } finally {
    process.off('warning', onWarning);
  }
}

let root: string;
const agentWith = (fetchImpl: typeof fetch): Promise<AimAgent> => offlineAgent(root, BASE, fetchImpl);
const running: Heartbeats[] = [];
const track = (heartbeats: Heartbeats) => {
  running.push(heartbeats);
  return heartbeats;
};

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'aim-sdk-trust-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});
afterEach(() => {
  for (const heartbeats of running.splice(0)) heartbeats.stop();
  mock.timers.reset();
});

describe('heartbeat (no server)', () => {
  it('sends one signed POST without a body and answers AIM’s heartbeat', async () => {
    const aim = stubAim(() => json(200, beatAnswer()));
    const agent = await agentWith(aim.fetch);
    assert.deepEqual(await agent.heartbeat(), beatAnswer());
    const [request] = aim.seen;
    assert.equal(aim.seen.length, 1);
    assert.equal(request!.method, 'POST');
    assert.equal(request!.url.href, `${BASE}${HEARTBEAT_PATH}`);
    assert.equal(request!.body, '');
    assert.equal(request!.headers.get('content-digest'), null, 'no body, no digest');
    assert.match(request!.headers.get('signature-input') ?? '', new RegExp(`keyid="${agent.keyId}"`));
  });

  it("passes AIM's refusals through as AimError and refuses answers that are not a heartbeat", async () => {
    const answers = [envelope(403, 'agent_suspended'), envelope(403, 'agent_revoked'), json(200, {}), json(200, { receivedAt: 1, minute: 'x' }), new Response('<html>', { status: 200 })];
    const agent = await agentWith(stubAim(() => answers.shift()!).fetch);
    for (const code of ['agent_suspended', 'agent_revoked']) {
      const error = await agent.heartbeat().catch((e: unknown) => e);
      assert.ok(error instanceof AimError, String(error));
      assert.deepEqual([error.code, error.status, error.requestId], [code, 403, 'req-stub']);
    }
    for (let i = 0; i < 3; i++) await assert.rejects(agent.heartbeat(), isCode('invalid_response'));
  });

  it('gives up a heartbeat AIM does not answer (network_error) and stops when aborted', async () => {
    const agent = await agentWith(stubAim((request) => never(request.signal)).fetch);
    const error = (await agent.heartbeat({ timeoutMs: 50 }).then(
      () => assert.fail('expected a rejection'),
      (e: unknown) => e,
    )) as AimError;
    assert.equal(error.code, 'network_error');
    assert.match(error.message, /did not answer within 50 ms/);
    await assert.rejects(agent.heartbeat({ signal: AbortSignal.abort() }), isCode('aborted'));
    for (const timeoutMs of [0, -1, Number.NaN]) await assert.rejects(agent.heartbeat({ timeoutMs }), isCode('invalid_argument'), String(timeoutMs));
  });
});

describe('startHeartbeats (no server, fake setInterval)', () => {
  it('checks intervalMs: 1 s to 60 s, with a clear error otherwise, before sending anything', async () => {
    const agent = await agentWith(noFetch);
    for (const intervalMs of [0, 999, 60_001, -30_000, Number.NaN, Number.POSITIVE_INFINITY, '30000' as never]) {
      assert.throws(
        () => agent.startHeartbeats({ intervalMs }),
        (error: unknown) => isCode('invalid_argument')(error) && /intervalMs .*1000 to 60000/.test((error as Error).message),
        String(intervalMs),
      );
    }
    assert.throws(() => agent.startHeartbeats({ onError: 'log' as never }), isCode('invalid_argument'));
  });

  it('beats at once, then every intervalMs (default 30 s); stop() ends it for good', { timeout: 10_000 }, async () => {
    mock.timers.enable({ apis: ['setInterval'] });
    const aim = stubAim((_request, n) => json(200, beatAnswer(n)));
    const agent = await agentWith(aim.fetch);
    const heard = listener();
    const heartbeats = track(agent.startHeartbeats({ onHeartbeat: heard.onHeartbeat, onError: heard.onError }));
    assert.equal(heartbeats.running, true);
    assert.equal(aim.seen.length, 1, 'the first heartbeat is sent at once');
    assert.deepEqual(await heard.next(1), ['beat']);

    mock.timers.tick(29_999);
    assert.equal(aim.seen.length, 1, 'not before 30 s');
    mock.timers.tick(1);
    assert.equal(aim.seen.length, 2);
    assert.deepEqual(await heard.next(2), ['beat', 'beat']);
    mock.timers.tick(30_000);
    assert.deepEqual(await heard.next(3), ['beat', 'beat', 'beat']);
    assert.ok(aim.seen.every((r) => r.method === 'POST' && r.url.pathname === HEARTBEAT_PATH));

    heartbeats.stop();
    heartbeats.stop();
    assert.equal(heartbeats.running, false);
    mock.timers.tick(10 * 60_000);
    assert.equal(aim.seen.length, 3, 'nothing after stop()');
  });

  it('uses the given intervalMs', { timeout: 10_000 }, async () => {
    mock.timers.enable({ apis: ['setInterval'] });
    const aim = stubAim(() => json(200, beatAnswer()));
    const agent = await agentWith(aim.fetch);
    const heard = listener();
    track(agent.startHeartbeats({ intervalMs: 1_000, onHeartbeat: heard.onHeartbeat }));
    await heard.next(1);
    for (let n = 2; n <= 4; n++) {
      mock.timers.tick(1_000);
      await heard.next(n);
    }
    assert.equal(aim.seen.length, 4);
  });

  it('never throws from the timer: network errors, 5xx and a throwing onError are caught, and heartbeats go on', { timeout: 10_000 }, async () => {
    mock.timers.enable({ apis: ['setInterval'] });
    const script = [() => networkFailure(), () => envelope(503, 'service_unavailable'), () => new Response('bad gateway', { status: 502 }), () => envelope(403, 'agent_suspended'), () => json(200, beatAnswer())];
    const aim = stubAim((_request, n) => script[n - 1]!());
    const agent = await agentWith(aim.fetch);
    const heard = listener();
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown) => uncaught.push(error);
    process.on('uncaughtException', onUncaught);
    process.on('unhandledRejection', onUncaught);
    try {
      const warnings = await warningsDuring(async () => {
        const heartbeats = track(
          agent.startHeartbeats({
            intervalMs: 5_000,
            onHeartbeat: heard.onHeartbeat,
            onError: (error) => {
              heard.onError(error);
              throw new Error('a hook that throws');
            },
          }),
        );
        await heard.next(1);
        for (let n = 2; n <= script.length; n++) {
          mock.timers.tick(5_000);
          await heard.next(n);
        }
        assert.equal(heartbeats.running, true, 'a suspension is not final: heartbeats go on');
        await immediate();
      });
      assert.deepEqual(heard.events, ['network_error', 'service_unavailable', 'http_error', 'agent_suspended', 'beat']);
      assert.ok(heard.errors.every((e) => e instanceof AimError));
      assert.deepEqual([heard.errors[1]!.status, heard.errors[2]!.status, heard.errors[3]!.status], [503, 502, 403]);
      assert.equal(warnings.filter((w) => w.code === 'AIM_HEARTBEAT_HOOK_FAILED').length, 4, 'each throw of onError became a warning');
      assert.deepEqual(uncaught, []);
    } finally {
      process.off('uncaughtException', onUncaught);
      process.off('unhandledRejection', onUncaught);
    }
  });

  it('without onError, warns once per run of failures', { timeout: 10_000 }, async () => {
    mock.timers.enable({ apis: ['setInterval'] });
    const script = [() => networkFailure(), () => networkFailure(), () => json(200, beatAnswer()), () => envelope(500, 'internal_error')];
    const aim = stubAim((_request, n) => script[n - 1]!());
    const agent = await agentWith(aim.fetch);
    const warnings: (Error & { code?: string })[] = [];
    const failed = () => warnings.filter((w) => w.code === 'AIM_HEARTBEAT_FAILED');
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    try {
      const heard = listener();
      track(agent.startHeartbeats({ intervalMs: 1_000, onHeartbeat: heard.onHeartbeat }));
      await until(() => failed().length === 1);
      // Without onError there is nothing to wait on for the second failure: tick until the third request.
      await tickUntil(aim.seen, 3, 1_000);
      await heard.next(1);
      mock.timers.tick(1_000);
      assert.equal(aim.seen.length, 4);
      await until(() => failed().length === 2);
      for (let i = 0; i < 5; i++) await immediate();
    } finally {
      process.off('warning', onWarning);
    }
    assert.equal(failed().length, 2, failed().map(String).join('; '));
    assert.match(failed()[0]!.message, /network_error/);
    assert.match(failed()[1]!.message, /internal_error, HTTP 500/);
  });

  it('stops by itself when AIM answers agent_revoked, then tells onError', { timeout: 10_000 }, async () => {
    mock.timers.enable({ apis: ['setInterval'] });
    const script = [() => json(200, beatAnswer()), () => envelope(403, 'agent_revoked')];
    const aim = stubAim((_request, n) => (n <= script.length ? script[n - 1]!() : assert.fail('no heartbeat after agent_revoked')));
    const agent = await agentWith(aim.fetch);
    const heard = listener();
    let runningWhenTold: boolean | undefined;
    const heartbeats = track(
      agent.startHeartbeats({
        intervalMs: 2_000,
        onHeartbeat: heard.onHeartbeat,
        onError: (error) => {
          runningWhenTold = heartbeats.running;
          heard.onError(error);
        },
      }),
    );
    await heard.next(1);
    mock.timers.tick(2_000);
    assert.deepEqual(await heard.next(2), ['beat', 'agent_revoked']);
    assert.equal(heard.errors[0]!.status, 403);
    assert.equal(runningWhenTold, false, 'stopped before onError is called');
    assert.equal(heartbeats.running, false);
    mock.timers.tick(10 * 60_000);
    assert.equal(aim.seen.length, 2, 'no heartbeat after agent_revoked');
  });

  it('does not send a heartbeat while the previous one is under way; stop() abandons it silently', async () => {
    mock.timers.enable({ apis: ['setInterval'] });
    const aim = stubAim((request) => never(request.signal));
    const agent = await agentWith(aim.fetch);
    const heard = listener();
    const heartbeats = track(agent.startHeartbeats({ intervalMs: 1_000, onHeartbeat: heard.onHeartbeat, onError: heard.onError }));
    mock.timers.tick(1_000);
    mock.timers.tick(1_000);
    assert.equal(aim.seen.length, 1, 'no second heartbeat while the first is unanswered');
    const [first] = aim.seen;
    assert.equal(first!.signal?.aborted, false);
    heartbeats.stop();
    assert.equal(first!.signal?.aborted, true, 'the heartbeat under way is abandoned');
    for (let i = 0; i < 5; i++) await immediate();
    assert.deepEqual(heard.events, [], 'nothing is reported after stop()');
  });

  it("its timer never keeps the process alive", { timeout: 10_000 }, async () => {
    // Real timers: the process's ref'd timers are the same before and after (the timer is unref'd).
    const refTimers = () => process.getActiveResourcesInfo().filter((resource) => resource === 'Timeout').length;
    const aim = stubAim(() => json(200, beatAnswer()));
    const agent = await agentWith(aim.fetch);
    const heard = listener();
    const before = refTimers();
    const heartbeats = track(agent.startHeartbeats({ intervalMs: 60_000, onHeartbeat: heard.onHeartbeat }));
    await heard.next(1);
    assert.equal(refTimers(), before);
    assert.equal(heartbeats.running, true);
    // The same check sees a ref'd timer: it can fail.
    const ref = setInterval(() => undefined, 60_000);
    try {
      assert.equal(refTimers(), before + 1);
    } finally {
      clearInterval(ref);
    }
  });
});

describe('attest and withdrawAttestation (no server)', () => {
  it('attest sends a signed PUT to /agents/me/attestations/{id} with exactly the verdict and statement', async () => {
    const answers = [json(200, attestation('trusted', 'checked 200 summaries')), json(200, attestation('distrusted'))];
    const aim = stubAim(() => answers.shift()!);
    const agent = await agentWith(aim.fetch);
    const trusted = await agent.attest(OTHER_ID, 'trusted', 'checked 200 summaries');
    assert.deepEqual([trusted.agentId, trusted.attesterId, trusted.verdict, trusted.statement], [OTHER_ID, AGENT_ID, 'trusted', 'checked 200 summaries']);
    const distrusted = await agent.attest(OTHER_ID, 'distrusted');
    assert.equal(distrusted.verdict, 'distrusted');

    const [full, bare] = aim.seen;
    assert.equal(full!.method, 'PUT');
    assert.equal(full!.url.href, `${BASE}/api/v1/agents/me/attestations/${OTHER_ID}`);
    assert.deepEqual(JSON.parse(full!.body), { verdict: 'trusted', statement: 'checked 200 summaries' });
    assert.equal(full!.headers.get('content-type'), 'application/json');
    assert.match(full!.headers.get('content-digest') ?? '', /^sha-256=:/);
    assert.match(full!.headers.get('signature-input') ?? '', new RegExp(`keyid="${agent.keyId}"`));
    assert.equal(bare!.body, '{"verdict":"distrusted"}');
  });

  it('withdrawAttestation sends a signed DELETE without a body and answers the attestation removed', async () => {
    const aim = stubAim(() => json(200, attestation('trusted')));
    const agent = await agentWith(aim.fetch);
    const withdrawn = await agent.withdrawAttestation(OTHER_ID);
    assert.equal(withdrawn.verdict, 'trusted');
    assert.equal(aim.seen.length, 1);
    assert.deepEqual([aim.seen[0]!.method, aim.seen[0]!.url.pathname, aim.seen[0]!.body], ['DELETE', `/api/v1/agents/me/attestations/${OTHER_ID}`, '']);
    assert.match(aim.seen[0]!.headers.get('signature-input') ?? '', new RegExp(`keyid="${agent.keyId}"`));
  });

  it("AIM's refusals surface as AimError with AIM's code and status", async () => {
    const answers = [envelope(400, 'self_attestation'), envelope(404, 'not_found'), envelope(404, 'not_found'), envelope(403, 'agent_revoked'), json(200, { attestation: { id: 'x' } })];
    const agent = await agentWith(stubAim(() => answers.shift()!).fetch);
    const expect = async (promise: Promise<unknown>, code: string, status: number) => {
      const error = await promise.catch((e: unknown) => e);
      assert.ok(error instanceof AimError, String(error));
      assert.deepEqual([error.code, error.status], [code, status]);
    };
    await expect(agent.attest(AGENT_ID, 'trusted'), 'self_attestation', 400);
    await expect(agent.attest(OTHER_ID, 'trusted'), 'not_found', 404);
    await expect(agent.withdrawAttestation(OTHER_ID), 'not_found', 404);
    await expect(agent.attest(OTHER_ID, 'distrusted'), 'agent_revoked', 403);
    await assert.rejects(agent.attest(OTHER_ID, 'trusted'), isCode('invalid_response'));
  });

  it('checks arguments before sending anything', async () => {
    const agent = await agentWith(noFetch);
    for (const id of ['', '../heartbeat', `${OTHER_ID}/x`, 'agt 1', 'x'.repeat(101), 42 as never]) {
      await assert.rejects(agent.attest(id, 'trusted'), isCode('invalid_argument'), String(id));
      await assert.rejects(agent.withdrawAttestation(id), isCode('invalid_argument'), String(id));
    }
    for (const verdict of ['trust', '', 'TRUSTED', undefined]) await assert.rejects(agent.attest(OTHER_ID, verdict as never), isCode('invalid_argument'), String(verdict));
    await assert.rejects(agent.attest(OTHER_ID, 'trusted', 42 as never), isCode('invalid_argument'));
    await assert.rejects(agent.attest(OTHER_ID, 'trusted', 's'.repeat(2001)), isCode('invalid_argument'));
    await assert.rejects(agent.attest(OTHER_ID, 'trusted', undefined, { timeoutMs: -1 }), isCode('invalid_argument'));
  });
});
