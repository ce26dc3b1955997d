import { after, afterEach, before, beforeEach, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { z } from 'zod';
import type { DECISION_STATUSES, DecisionJson, RESULT_STATUSES, verifyActionResultSchema } from '@aim/contracts';
import {
  ActionDeniedError,
  AimError,
  secure,
  type AimAgent,
  type Credentials,
  type Decision,
  type DecisionRecord,
  type DecisionStatus,
  type ResultStatus,
} from '@aim/sdk';
import { forEachTarget } from '../../testing/targets.js';
import { createTestApp, listenPublic, type TestApp } from '../../testing/test-app.js';
import { seedOrganization, type SeededOrganization } from '../../testing/people-fixtures.js';

/**
 * The SDK's decision calls (`verifyAction`, `waitForDecision`, `reportResult`, `guard`) against the real
 * AIM server listening on a real port: deny without a grant, allow and the reported outcome, approval
 * and rejection by a person, and failing closed (or open, when asked) when AIM cannot be reached.
 * What only a stub can show (5xx, hanging answers, retries) is in packages/sdk/src/decisions.test.ts.
 */

// The SDK restates the wire format (it has no runtime dependencies): the contract's types must fit it.
type Fits<A extends B, B> = A;
export type ContractFitsSdk = [
  Fits<z.infer<typeof verifyActionResultSchema>, Decision>,
  Fits<DecisionJson, DecisionRecord>,
  Fits<(typeof DECISION_STATUSES)[number], DecisionStatus>,
  Fits<DecisionStatus, (typeof DECISION_STATUSES)[number]>,
  Fits<(typeof RESULT_STATUSES)[number], ResultStatus>,
  Fits<ResultStatus, (typeof RESULT_STATUSES)[number]>,
];

const uniqueName = (prefix: string) => `${prefix}-${randomBytes(5).toString('hex')}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function rejection<T extends Error = AimError>(promise: Promise<unknown>): Promise<T> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof AimError, `expected an AimError, got ${String(error)}`);
    return error as unknown as T;
  }
  assert.fail('expected a rejection');
}

/** An address on this machine where nothing listens (a port just released). */
async function closedPort(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  await new Promise((resolve) => server.close(resolve));
  return address;
}

forEachTarget('@aim/sdk decisions against the real server', (target) => {
  let t: TestApp;
  let org: SeededOrganization;
  let baseUrl: string;
  let dir: string;

  before(async () => {
    t = await createTestApp(target);
    org = await seedOrganization(t);
    baseUrl = await listenPublic(t);
    for (const [name, riskLevel] of [
      ['reports:read', 'low'],
      ['email:send', 'medium'],
      ['payments:refund', 'high'],
    ] as const) {
      await manage('POST', '/api/v1/capabilities', { name, riskLevel, description: `${name} for SDK tests` });
    }
    // High-risk actions wait for a person (email:send and reports:read are below the threshold).
    await manage('POST', '/api/v1/policies', { name: 'High risk needs a person', type: 'require_approval', config: { minRisk: 'high' } });
  });
  after(async () => {
    await t?.close();
  });
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'aim-sdk-decisions-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  // The management API, as an admin's API key uses it.
  async function manage(method: 'GET' | 'POST', url: string, payload?: Record<string, unknown>) {
    const res = await t.app.inject({
      method,
      url,
      headers: { ...org.as.admin.apiKey, ...(payload ? { 'content-type': 'application/json' } : {}) },
      ...(payload ? { payload } : {}),
    });
    assert.ok(res.statusCode < 300, `${method} ${url}: ${res.statusCode} ${res.body}`);
    return res.json();
  }
  const decisionInAim = async (id: string): Promise<DecisionJson> => (await manage('GET', `/api/v1/decisions/${id}`)).decision;
  const decisionsOf = async (agentId: string, query = ''): Promise<DecisionJson[]> => (await manage('GET', `/api/v1/decisions?agentId=${agentId}${query}`)).decisions;
  const grant = async (agentId: string, capability: string, resourcePattern?: string): Promise<string> =>
    (await manage('POST', `/api/v1/agents/${agentId}/grants`, { capability, ...(resourcePattern ? { resourcePattern } : {}) })).grant.id;

  /** A freshly enrolled agent (secure() with an enrollment token), its credentials in this test's directory. */
  async function enrolled(): Promise<{ agent: AimAgent; path: string }> {
    const { token } = await manage('POST', '/api/v1/enrollment-tokens', { expiresInSeconds: 3600 });
    const name = uniqueName('decision-bot');
    const path = join(dir, `${name}.json`);
    return { agent: await secure(name, { baseUrl, enrollmentToken: token, credentialsPath: path }), path };
  }

  /** The pending decision of an agent, once AIM lists it. */
  async function pendingDecisionOf(agentId: string): Promise<DecisionJson> {
    for (let i = 0; i < 100; i++) {
      const [pending] = await decisionsOf(agentId, '&status=pending');
      if (pending) return pending;
      await sleep(50);
    }
    assert.fail(`no pending decision for ${agentId}`);
  }

  it('verifyAction without a grant: deny (capability_required), stored, readable by the agent; guard throws ActionDeniedError and runs nothing', async () => {
    const { agent } = await enrolled();
    const decision = await agent.verifyAction('email:send', 'customers/42', { recipients: 1 });
    assert.equal(decision.decision, 'deny');
    assert.match(decision.decisionId, /^dec_/);
    assert.equal(decision.risk, 'medium');
    assert.equal(decision.expiresAt, null);
    const [required] = decision.reasons;
    assert.deepEqual([required?.rule, required?.effect, required?.policyId], ['capability_required', 'deny', null]);

    const stored = await decisionInAim(decision.decisionId);
    assert.deepEqual([stored.agentId, stored.action, stored.resource, stored.status, stored.result], [agent.id, 'email:send', 'customers/42', 'denied', null]);
    assert.deepEqual(stored.context, { recipients: 1 });
    const read = await agent.waitForDecision(decision.decisionId, { timeoutMs: 0 });
    assert.deepEqual([read.id, read.decision, read.status], [decision.decisionId, 'deny', 'denied']);

    let ran = false;
    const denied = await rejection<ActionDeniedError>(agent.guard('email:send', 'customers/42', () => (ran = true)));
    assert.ok(denied instanceof ActionDeniedError);
    assert.equal(denied.code, 'action_denied');
    assert.deepEqual([denied.decision, denied.decisionStatus], ['deny', 'denied']);
    assert.equal(denied.reasons[0]?.rule, 'capability_required');
    assert.equal(ran, false);
    const inAim = await decisionInAim(denied.decisionId);
    assert.deepEqual([inAim.status, inAim.result], ['denied', null], 'asked, denied, nothing reported');

    const unknown = await agent.verifyAction('rockets:launch');
    assert.deepEqual([unknown.decision, unknown.risk, unknown.reasons[0]?.rule], ['deny', null, 'unknown_capability']);
    // An outcome is expected only for an allow.
    const notExpected = await rejection(agent.reportResult(decision.decisionId, { status: 'success' }));
    assert.deepEqual([notExpected.code, notExpected.status], ['result_not_expected', 409]);
  });

  it('with a grant: guard runs fn on allow and the decision shows the reported success; a second report is refused', async () => {
    const { agent } = await enrolled();
    const grantId = await grant(agent.id, 'email:send', 'customers/*');
    const asked = await agent.verifyAction('email:send', 'customers/42');
    assert.equal(asked.decision, 'allow');
    assert.equal(asked.reasons.find((r) => r.rule === 'capability_required')?.grantId, grantId);
    // Outside the grant's pattern: denied.
    assert.equal((await agent.verifyAction('email:send', 'suppliers/7')).decision, 'deny');

    const seen: Decision[] = [];
    const runs: (string | null)[] = [];
    const sent = await agent.guard(
      'email:send',
      'customers/42',
      async ({ decisionId }) => {
        runs.push(decisionId);
        await sleep(30);
        return { messageId: 'm-1' };
      },
      { context: { recipients: 1 }, onDecision: (d) => void seen.push(d) },
    );
    assert.deepEqual(sent, { messageId: 'm-1' });
    assert.equal(seen.length, 1);
    assert.deepEqual(runs, [seen[0]!.decisionId]);
    const stored = await decisionInAim(seen[0]!.decisionId);
    assert.deepEqual([stored.decision, stored.status, stored.result?.status], ['allow', 'allowed', 'success']);
    assert.ok(stored.result!.durationMs! >= 25, `durationMs ${stored.result!.durationMs}`);

    const again = await rejection(agent.reportResult(seen[0]!.decisionId, { status: 'failure' }));
    assert.deepEqual([again.code, again.status], ['result_not_expected', 409]);
    assert.equal((await decisionInAim(seen[0]!.decisionId)).result?.status, 'success', 'the first report stands');

    // reportResult on its own, with a duration and a detail.
    const manual = await agent.verifyAction('email:send', 'customers/43');
    const reported = await agent.reportResult(manual.decisionId, { status: 'error', durationMs: 12.5, detail: 'smtp refused' });
    assert.deepEqual([reported.result?.status, reported.result?.durationMs, reported.result?.detail], ['error', 12.5, 'smtp refused']);
  });

  it('when fn throws, guard reports a failure and rethrows the original error', async () => {
    const { agent } = await enrolled();
    await grant(agent.id, 'reports:read');
    const boom = new RangeError('report 2024-Q4 is too large');
    let decisionId: string | null = null;
    await assert.rejects(
      agent.guard('reports:read', 'reports/2024-q4', (run) => {
        decisionId = run.decisionId;
        throw boom;
      }),
      (error: unknown) => error === boom,
    );
    assert.ok(decisionId);
    const stored = await decisionInAim(decisionId);
    assert.equal(stored.result?.status, 'failure');
    assert.equal(stored.result?.detail, 'RangeError', 'the error name, not its message');
  });

  it('pending: guard waits for a person, runs fn once approved, and reports', async () => {
    const { agent } = await enrolled();
    await grant(agent.id, 'payments:refund');
    let runs = 0;
    const guarded = agent.guard('payments:refund', 'orders/8812', () => {
      runs += 1;
      return 'refunded';
    }, { context: { amount: 120 } });
    const settled = guarded.then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    );

    const pending = await pendingDecisionOf(agent.id);
    assert.deepEqual([pending.action, pending.resource, pending.risk, pending.decision], ['payments:refund', 'orders/8812', 'high', 'pending']);
    assert.ok(pending.reasons.some((r) => r.rule === 'require_approval' && r.effect === 'approval'));
    await sleep(200);
    assert.equal(runs, 0, 'nothing runs before a person approves');

    const approved = await manage('POST', `/api/v1/decisions/${pending.id}/approve`, {});
    assert.equal(approved.decision.status, 'approved');
    const outcome = await settled;
    assert.deepEqual(outcome, { value: 'refunded' });
    assert.equal(runs, 1);
    const stored = await decisionInAim(pending.id);
    assert.deepEqual([stored.decision, stored.status, stored.resolvedBy?.type, stored.result?.status], ['allow', 'approved', 'api_key', 'success']);
  });

  it('pending: a rejection throws ActionDeniedError (rejected, with the note); fn never runs', async () => {
    const { agent } = await enrolled();
    await grant(agent.id, 'payments:refund');
    let ran = false;
    const denied = rejection<ActionDeniedError>(agent.guard('payments:refund', 'orders/9001', () => (ran = true)));
    const pending = await pendingDecisionOf(agent.id);
    await manage('POST', `/api/v1/decisions/${pending.id}/reject`, { note: 'refund the card instead' });
    const error = await denied;
    assert.ok(error instanceof ActionDeniedError);
    assert.deepEqual([error.decisionId, error.decision, error.decisionStatus, error.note], [pending.id, 'deny', 'rejected', 'refund the card instead']);
    assert.match(error.message, /refund the card instead/);
    assert.equal(ran, false);
    assert.deepEqual([(await decisionInAim(pending.id)).status, (await decisionInAim(pending.id)).result], ['rejected', null]);
  });

  it('pending: an approval AIM refuses on re-evaluation (grant revoked meanwhile) throws ActionDeniedError (invalidated, with the reasons that denied)', async () => {
    const { agent } = await enrolled();
    const grantId = await grant(agent.id, 'payments:refund');
    let ran = false;
    const denied = rejection<ActionDeniedError>(agent.guard('payments:refund', 'orders/9100', () => (ran = true)));
    const pending = await pendingDecisionOf(agent.id);
    const revoked = await t.app.inject({ method: 'DELETE', url: `/api/v1/agents/${agent.id}/grants/${grantId}`, headers: org.as.admin.apiKey });
    assert.equal(revoked.statusCode, 200, revoked.body);
    const approve = await t.app.inject({ method: 'POST', url: `/api/v1/decisions/${pending.id}/approve`, headers: org.as.admin.apiKey });
    assert.equal(approve.json().error.code, 'decision_no_longer_allowed', approve.body);
    const error = await denied;
    assert.ok(error instanceof ActionDeniedError);
    assert.deepEqual([error.decisionId, error.decision, error.decisionStatus], [pending.id, 'deny', 'invalidated']);
    assert.deepEqual(error.reasons.filter((r) => r.effect === 'deny').map((r) => r.rule), ['capability_required']);
    assert.match(error.message, /approved .* but AIM denied it when checking again/);
    assert.equal(ran, false);
    assert.deepEqual([(await decisionInAim(pending.id)).status, (await decisionInAim(pending.id)).result], ['invalidated', null]);
  });

  it('pending: when no one answers within approvalTimeoutMs, guard withdraws the decision and throws ActionDeniedError (withdrawn)', async () => {
    const { agent } = await enrolled();
    await grant(agent.id, 'payments:refund');
    const started = Date.now();
    const error = await rejection<ActionDeniedError>(agent.guard('payments:refund', 'orders/1', () => assert.fail('must not run'), { approvalTimeoutMs: 1_500 }));
    const took = Date.now() - started;
    assert.ok(error instanceof ActionDeniedError);
    assert.deepEqual([error.decision, error.decisionStatus], ['deny', 'withdrawn']);
    assert.ok(took >= 1_400 && took < 5_000, `took ${took} ms`);
    const stored = await decisionInAim(error.decisionId);
    assert.deepEqual([stored.decision, stored.status], ['deny', 'withdrawn']);
    // A late approval cannot turn it into an allow nobody acts on.
    const late = await t.app.inject({ method: 'POST', url: `/api/v1/decisions/${error.decisionId}/approve`, headers: org.as.admin.apiKey });
    assert.equal(late.json().error?.code, 'decision_not_pending');

    // On its own, waitForDecision answers a pending decision once a person approves it.
    const asked = await agent.verifyAction('payments:refund', 'orders/2');
    assert.equal(asked.decision, 'pending');
    const waiting = agent.waitForDecision(asked.decisionId, { timeoutMs: 20_000 });
    await sleep(200);
    await manage('POST', `/api/v1/decisions/${asked.decisionId}/approve`, { note: 'ok' });
    const answered = await waiting;
    assert.deepEqual([answered.decision, answered.status, answered.note], ['allow', 'approved', 'ok']);
  });

  it('fails closed when AIM cannot be reached; with failOpen runs fn and calls onFailOpen; never fails open on a 4xx', async () => {
    const { agent, path } = await enrolled();
    await grant(agent.id, 'reports:read');
    // The same agent, configured with an address where nothing listens.
    const closed = await closedPort();
    const elsewhere = join(dir, 'unreachable.json');
    const credentials = JSON.parse(await readFile(path, 'utf8')) as Credentials;
    await writeFile(elsewhere, JSON.stringify({ ...credentials, baseUrl: closed }), { mode: 0o600 });
    const cut = await secure('unreachable', { baseUrl: closed, credentialsPath: elsewhere });
    assert.equal(cut.id, agent.id);

    let runs = 0;
    const fn = () => {
      runs += 1;
      return 'done';
    };
    const unreachable = await rejection(cut.guard('reports:read', 'reports/1', fn));
    assert.equal(unreachable.code, 'aim_unreachable');
    assert.equal((unreachable.cause as AimError).code, 'network_error');
    assert.equal(runs, 0);

    const failOpen: AimError[] = [];
    const value = await cut.guard('reports:read', 'reports/1', fn, { failOpen: true, onFailOpen: (error) => void failOpen.push(error) });
    assert.equal(value, 'done');
    assert.equal(runs, 1);
    assert.deepEqual(failOpen.map((e) => e.code), ['aim_unreachable']);
    assert.deepEqual(await decisionsOf(agent.id), [], 'AIM never heard of these attempts');

    // AIM reachable and answering 403: that is an answer, never a reason to fail open.
    await manage('POST', `/api/v1/agents/${agent.id}/suspend`, { reason: 'sdk decisions test' });
    const suspended = await rejection(agent.guard('reports:read', 'reports/1', fn, { failOpen: true, onFailOpen: () => assert.fail('AIM answered') }));
    assert.deepEqual([suspended.code, suspended.status], ['agent_suspended', 403]);
    assert.equal(runs, 1);
    await manage('POST', `/api/v1/agents/${agent.id}/reactivate`, { reason: 'sdk decisions test' });
    assert.equal(await agent.guard('reports:read', 'reports/1', fn, { failOpen: true, onFailOpen: () => assert.fail('AIM answered') }), 'done');
    assert.equal(runs, 2);
    const [latest] = await decisionsOf(agent.id);
    assert.deepEqual([latest?.status, latest?.result?.status], ['allowed', 'success']);
  });

  it("an agent cannot read or report another agent's decisions", async () => {
    const { agent } = await enrolled();
    const { agent: other } = await enrolled();
    await grant(agent.id, 'reports:read');
    const mine = await agent.verifyAction('reports:read', 'reports/1');
    assert.equal(mine.decision, 'allow');
    assert.equal((await rejection(other.waitForDecision(mine.decisionId, { timeoutMs: 0 }))).code, 'not_found');
    assert.equal((await rejection(other.reportResult(mine.decisionId, { status: 'success' }))).code, 'not_found');
    assert.equal((await decisionInAim(mine.decisionId)).result, null);
  });
});
