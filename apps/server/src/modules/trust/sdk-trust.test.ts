import { after, afterEach, before, beforeEach, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { z } from 'zod';
import type { attestationSchema, heartbeatSchema } from '@aim/contracts';
import { AimError, secure, type AimAgent, type Attestation, type AttestationVerdict, type Heartbeat, type Heartbeats } from '@aim/sdk';
import { newId } from '../../platform/ids.js';
import { forEachTarget } from '../../testing/targets.js';
import { createTestApp, listenPublic, type TestApp } from '../../testing/test-app.js';
import { seedOrganization, type SeededOrganization } from '../../testing/people-fixtures.js';

/**
 * The SDK's trust calls (`heartbeat`, `startHeartbeats`, `attest`, `withdrawAttestation`) against the
 * real AIM server listening on a real port: heartbeats set the minute's bit of the agent's uptime hour,
 * attestations are listed on the attested agent and refused for the agent itself or an agent AIM does
 * not show the attester, and a revoked agent's heartbeats are refused and stop by themselves. What only
 * a stub can show (the timer, 5xx, hanging answers) is in packages/sdk/src/trust.test.ts.
 */

// The SDK restates the wire format (it has no runtime dependencies): the contract's types must fit it.
type Fits<A extends B, B> = A;
type AttestationJson = z.infer<typeof attestationSchema>;
export type ContractFitsSdk = [
  Fits<AttestationJson, Attestation>,
  Fits<AttestationJson['verdict'], AttestationVerdict>,
  Fits<AttestationVerdict, AttestationJson['verdict']>,
  Fits<z.infer<typeof heartbeatSchema>, Heartbeat>,
  Fits<Heartbeat, z.infer<typeof heartbeatSchema>>,
];

const uniqueName = (prefix: string) => `${prefix}-${randomBytes(5).toString('hex')}`;

async function rejection(promise: Promise<unknown>): Promise<AimError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof AimError, `expected an AimError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a rejection');
}

/**
 * What the heartbeat hooks of `startHeartbeats` hear, in order: `beat` for each answer, the error code
 * for each failure. `until` waits for an event (the test's timeout guards one that never comes).
 */
function listener() {
  const events: string[] = [];
  const beats: Heartbeat[] = [];
  let wake: (() => void) | undefined;
  const push = (event: string) => {
    events.push(event);
    wake?.();
  };
  return {
    events,
    beats,
    onHeartbeat: (beat: Heartbeat) => {
      beats.push(beat);
      push('beat');
    },
    onError: (error: AimError) => push(error.code),
    /** Resolves with the index of the first event at or after `from` that is `event`. */
    async until(event: string, from = 0): Promise<number> {
      for (;;) {
        const at = events.indexOf(event, from);
        if (at >= 0) return at;
        await new Promise<void>((resolve) => (wake = resolve));
      }
    },
  };
}

/** The hour a minute belongs to, and the minute's bit in that hour's row. */
function slot(minute: string): { hour: number; bit: bigint } {
  const at = Date.parse(minute);
  assert.ok(Number.isFinite(at) && at % 60_000 === 0, `a whole minute: ${minute}`);
  const hour = Math.floor(at / 3_600_000) * 3_600_000;
  return { hour, bit: 1n << BigInt((at - hour) / 60_000) };
}

forEachTarget('@aim/sdk heartbeats and attestations against the real server', (target) => {
  let t: TestApp;
  let org: SeededOrganization;
  let otherOrg: SeededOrganization;
  let baseUrl: string;
  let dir: string;
  const started: Heartbeats[] = [];

  before(async () => {
    t = await createTestApp(target);
    org = await seedOrganization(t);
    otherOrg = await seedOrganization(t, 'Other');
    baseUrl = await listenPublic(t);
  });
  after(async () => {
    await t?.close();
  });
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'aim-sdk-trust-'));
  });
  afterEach(async () => {
    for (const heartbeats of started.splice(0)) heartbeats.stop();
    await rm(dir, { recursive: true, force: true });
  });

  // The management API, as an admin's API key uses it.
  async function manage(method: 'GET' | 'POST', url: string, payload?: Record<string, unknown>, as = org) {
    const res = await t.app.inject({
      method,
      url,
      headers: { ...as.as.admin.apiKey, ...(payload ? { 'content-type': 'application/json' } : {}) },
      ...(payload ? { payload } : {}),
    });
    assert.ok(res.statusCode < 300, `${method} ${url}: ${res.statusCode} ${res.body}`);
    return res.json();
  }
  const attestationsOf = async (agentId: string): Promise<AttestationJson[]> => (await manage('GET', `/api/v1/agents/${agentId}/attestations`)).attestations;

  /** A freshly enrolled agent (secure() with an enrollment token) of `as`, its credentials in this test's directory. */
  async function enrolled(as = org): Promise<AimAgent> {
    const { token } = await manage('POST', '/api/v1/enrollment-tokens', { expiresInSeconds: 3600 }, as);
    const name = uniqueName('trust-bot');
    return secure(name, { baseUrl, enrollmentToken: token, credentialsPath: join(dir, `${name}.json`) });
  }

  /** The agent's uptime rows, by hour (epoch ms): the minutes bitmask and the heartbeat count. */
  async function uptimeOf(agentId: string): Promise<Map<number, { minutes: bigint; heartbeats: number }>> {
    const owner = await t.owner();
    const { rows } = await owner.query<{ hour: Date; minutes: string; heartbeats: number }>(
      'select hour, minutes::text as minutes, heartbeats from agent_uptime_hours where agent_id = $1',
      [agentId],
    );
    return new Map(rows.map((r) => [r.hour.getTime(), { minutes: BigInt(r.minutes), heartbeats: r.heartbeats }]));
  }

  it("heartbeats through the SDK set the minute's bit in the agent's uptime row for the hour", { timeout: 60_000 }, async () => {
    const agent = await enrolled();
    assert.equal((await uptimeOf(agent.id)).size, 0, 'no heartbeat yet');

    const one = await agent.heartbeat();
    assert.equal(Math.floor(Date.parse(one.receivedAt) / 60_000) * 60_000, Date.parse(one.minute), 'the minute it was received in');
    const first = slot(one.minute);
    const row = (await uptimeOf(agent.id)).get(first.hour);
    assert.ok(row, `a row for the hour ${new Date(first.hour).toISOString()}`);
    assert.equal(row.minutes, first.bit, "exactly this minute's bit");
    assert.equal(row.heartbeats, 1);

    // In the background: two more, then stop.
    const heard = listener();
    const heartbeats = agent.startHeartbeats({ intervalMs: 1_000, onHeartbeat: heard.onHeartbeat, onError: heard.onError });
    started.push(heartbeats);
    await heard.until('beat');
    await heard.until('beat', 1);
    heartbeats.stop();
    assert.deepEqual(heard.events, ['beat', 'beat']);
    assert.equal(heartbeats.running, false);

    // Every minute answered has its bit set in its hour's row, and nothing else is; every heartbeat counted.
    const expected = new Map<number, bigint>();
    for (const beat of [one, ...heard.beats]) {
      const { hour, bit } = slot(beat.minute);
      expected.set(hour, (expected.get(hour) ?? 0n) | bit);
    }
    const rows = await uptimeOf(agent.id);
    assert.deepEqual(new Map([...rows].map(([hour, r]) => [hour, r.minutes])), expected);
    assert.equal([...rows.values()].reduce((sum, r) => sum + r.heartbeats, 0), 3);
  });

  it('a second agent attests the first: listed on the first agent, replaced by a new verdict, withdrawn', async () => {
    const attested = await enrolled();
    const attester = await enrolled();
    assert.deepEqual(await attestationsOf(attested.id), []);

    const trusted = await attester.attest(attested.id, 'trusted', '  Its summaries matched the source  ');
    assert.match(trusted.id, /^att_/);
    assert.deepEqual(
      [trusted.agentId, trusted.attesterId, trusted.verdict, trusted.statement],
      [attested.id, attester.id, 'trusted', 'Its summaries matched the source'],
    );
    const [listed, ...more] = await attestationsOf(attested.id);
    assert.deepEqual(more, []);
    assert.deepEqual(listed, trusted);
    assert.deepEqual(await attestationsOf(attester.id), [], 'attesting says nothing of the attester');

    // A new verdict replaces the earlier one.
    const distrusted = await attester.attest(attested.id, 'distrusted');
    assert.deepEqual([distrusted.id, distrusted.verdict, distrusted.statement], [trusted.id, 'distrusted', null]);
    assert.deepEqual(
      (await attestationsOf(attested.id)).map((a) => [a.attesterId, a.verdict]),
      [[attester.id, 'distrusted']],
    );

    const withdrawn = await attester.withdrawAttestation(attested.id);
    assert.deepEqual([withdrawn.id, withdrawn.verdict], [trusted.id, 'distrusted']);
    assert.deepEqual(await attestationsOf(attested.id), []);
    const again = await rejection(attester.withdrawAttestation(attested.id));
    assert.deepEqual([again.code, again.status], ['not_found', 404]);
  });

  it("self-attestation is self_attestation; an unknown agent or another organization's is not_found", async () => {
    const agent = await enrolled();
    const self = await rejection(agent.attest(agent.id, 'trusted', 'I am great'));
    assert.deepEqual([self.code, self.status], ['self_attestation', 400]);
    assert.equal(typeof self.requestId, 'string');

    const unknown = await rejection(agent.attest(newId('agt'), 'trusted'));
    assert.deepEqual([unknown.code, unknown.status], ['not_found', 404]);

    const stranger = await enrolled(otherOrg);
    assert.notEqual(stranger.organizationId, agent.organizationId);
    for (const [from, to] of [
      [agent, stranger],
      [stranger, agent],
    ] as const) {
      const refused = await rejection(from.attest(to.id, 'distrusted'));
      assert.deepEqual([refused.code, refused.status], ['not_found', 404]);
    }
    assert.deepEqual(await attestationsOf(agent.id), [], 'nothing was recorded');
  });

  it('heartbeats go on through a suspension; once the agent is revoked, heartbeat() rejects with agent_revoked and startHeartbeats stops itself', { timeout: 60_000 }, async () => {
    const agent = await enrolled();
    const peer = await enrolled();
    const heard = listener();
    const heartbeats = agent.startHeartbeats({ intervalMs: 1_000, onHeartbeat: heard.onHeartbeat, onError: heard.onError });
    started.push(heartbeats);
    await heard.until('beat');

    // Suspended: refused, but not final, so the heartbeats go on and count again once reactivated.
    await manage('POST', `/api/v1/agents/${agent.id}/suspend`, { reason: 'sdk trust test' });
    const suspendedAt = await heard.until('agent_suspended');
    assert.equal(heartbeats.running, true);
    const suspended = await rejection(agent.heartbeat());
    assert.deepEqual([suspended.code, suspended.status], ['agent_suspended', 403]);
    await manage('POST', `/api/v1/agents/${agent.id}/reactivate`, { reason: 'sdk trust test' });
    await heard.until('beat', suspendedAt);

    await manage('POST', `/api/v1/agents/${agent.id}/revoke`, { reason: 'sdk trust test' });
    const revoked = await rejection(agent.heartbeat());
    assert.deepEqual([revoked.code, revoked.status], ['agent_revoked', 403]);
    const revokedAt = await heard.until('agent_revoked');
    assert.equal(heartbeats.running, false, 'stopped by itself');
    assert.deepEqual(heard.events.slice(revokedAt), ['agent_revoked'], 'told once');
    assert.deepEqual(heard.events.slice(0, revokedAt).filter((e) => e !== 'beat' && e !== 'agent_suspended'), []);

    // Attesting is refused as well.
    const attest = await rejection(agent.attest(peer.id, 'trusted'));
    assert.deepEqual([attest.code, attest.status], ['agent_revoked', 403]);
    assert.deepEqual(await attestationsOf(peer.id), []);
  });
});
