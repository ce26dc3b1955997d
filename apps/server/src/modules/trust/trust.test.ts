import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import type { DomainEvent } from '../../platform/events/domain-events.js';
import { SYSTEM_CONTEXT } from '../../platform/http/request-context.js';
import { registerAgent, signedInject } from '../../testing/agent-fixtures.js';
import { seedOrganization, type SeededOrganization } from '../../testing/people-fixtures.js';
import { forEachTarget } from '../../testing/targets.js';
import { acrossInstances, createTestApp, type TestApp } from '../../testing/test-app.js';
import { gatherEvidence } from './trust-evidence.js';
import { computeTrust, FACTORS, type TrustEvidence } from './trust-method.js';

interface Factor {
  key: string;
  value: number | null;
  weight: number;
  contribution: number;
  evidence: Record<string, unknown>;
  windowDays: number | null;
}
interface Trust {
  id: string;
  agentId: string;
  score: number | null;
  tier: string;
  confidence: number;
  factors: Factor[];
  algorithmVersion: string;
  trigger: string;
  computedAt: string;
}

forEachTarget('trust scoring', (target) => {
  let t: TestApp;
  let a: SeededOrganization;
  let b: SeededOrganization;
  before(async () => {
    t = await createTestApp(target, { env: { TRUST_RECALCULATION_DEBOUNCE_MS: '200' } });
    a = await seedOrganization(t, 'A');
    b = await seedOrganization(t, 'B');
  });
  after(() => t?.close());

  function send(method: string, url: string, headers: Record<string, string>, payload?: unknown) {
    return t.app.inject({
      method: method as 'POST',
      url,
      headers: payload === undefined ? headers : { ...headers, 'content-type': 'application/json' },
      ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }),
    });
  }
  /** A fresh agent of organization A, registered (and so owned) by the admin. */
  const fresh = async (extra: Record<string, unknown> = {}) => {
    const { agent, key } = await registerAgent(t, a.as.admin.apiKey, extra);
    return { id: agent.id as string, key, registered: agent as unknown as { trustScore: number; trustTier: string; trustConfidence: number } };
  };
  const recalc = async (agentId: string, headers = a.as.admin.apiKey): Promise<Trust> => {
    const res = await send('POST', `/api/v1/agents/${agentId}/recalculate-trust`, headers);
    assert.equal(res.statusCode, 200, res.body);
    return res.json().trust as Trust;
  };
  const factor = (trust: Trust, key: string) => trust.factors.find((f) => f.key === key)!;
  const changedFactors = (before: Trust, after: Trust) => after.factors.filter((f) => f.value !== factor(before, f.key).value).map((f) => f.key);

  it('answers registration with the first score, and explains it factor by factor', async () => {
    const { id, registered } = await fresh({ purpose: 'Reconciles invoices', dataClassification: 'confidential' });
    assert.equal(typeof registered.trustScore, 'number');
    const res = await send('GET', `/api/v1/agents/${id}/trust`, a.as.viewer.apiKey);
    assert.equal(res.statusCode, 200, res.body);
    const trust = res.json().trust as Trust;
    assert.equal(trust.trigger, 'registration');
    assert.equal(trust.score, registered.trustScore);
    assert.equal(trust.confidence, registered.trustConfidence);
    assert.equal(trust.tier, registered.trustTier);
    assert.deepEqual(trust.factors.map((f) => [f.key, f.weight]), FACTORS.map((f) => [f.key, f.weight]));
    const sum = trust.factors.reduce((s, f) => s + f.contribution, 0);
    assert.ok(Math.abs(sum - trust.score!) < 0.01, `contributions ${sum} sum to the score ${trust.score}`);
    // A new agent: no ratings, heartbeats, history or activity yet, and it says so.
    for (const key of ['communityTrust', 'uptime', 'incidentHistory', 'activityFrequency']) {
      assert.equal(factor(trust, key).value, null, key);
      assert.equal(factor(trust, key).contribution, 0, key);
    }
    assert.equal(factor(trust, 'compliance').value, 1, 'owner, purpose and data classification are all present');
    const known = trust.factors.filter((f) => f.value !== null).reduce((s, f) => s + f.weight, 0);
    assert.equal(trust.confidence, Math.round(known * 1000) / 1000);
    assert.equal((await send('GET', `/api/v1/agents/${id}/trust`, b.as.admin.apiKey)).statusCode, 404, "another organization's agent");
  });

  it('replays: the stored evidence recomputes the stored score, and gathering again at that instant gives that evidence', async () => {
    const { id } = await fresh();
    await send('POST', `/api/v1/agents/${id}/ratings`, a.as.manager.apiKey, { rating: 3 });
    const trust = await recalc(id);
    const owner = await t.owner();
    const row = (await owner.query('select * from trust_scores where id = $1', [trust.id])).rows[0];
    const replayed = computeTrust(row.evidence as TrustEvidence);
    assert.equal(replayed.score, Number(row.score));
    assert.equal(replayed.tier, row.tier);
    assert.equal(replayed.confidence, Number(row.confidence));
    assert.deepEqual(replayed.factors, row.factors);
    assert.equal(row.algorithm_version, replayed.algorithmVersion);
    const again = await t.platform.db.transaction({ organizationId: a.organizationId }, (tx) => gatherEvidence(tx, [id], row.computed_at));
    assert.deepEqual(again.get(id), row.evidence);
  });

  it('moves exactly the factor each new piece of evidence feeds', async () => {
    const { id, key } = await fresh();
    let before = await recalc(id);

    assert.equal((await send('POST', `/api/v1/agents/${id}/ratings`, a.as.manager.apiKey, { rating: 2, comment: 'slow' })).statusCode, 201);
    let after = await recalc(id);
    assert.deepEqual(changedFactors(before, after), ['communityTrust']);
    assert.equal(factor(after, 'communityTrust').value, 0.25);

    before = after;
    const review = await send('POST', `/api/v1/agents/${id}/security-reviews`, a.as.manager.apiKey, { findings: [{ severity: 'high', title: 'Logs secrets' }] });
    assert.equal(review.statusCode, 201, review.body);
    after = await recalc(id);
    assert.deepEqual(changedFactors(before, after), ['securityAudit']);
    assert.equal(factor(after, 'securityAudit').evidence.highFindings, 1);

    before = after;
    assert.equal((await signedInject(t, key, { method: 'POST', url: '/api/v1/agents/me/heartbeat' })).statusCode, 200);
    after = await recalc(id);
    assert.deepEqual(changedFactors(before, after), ['uptime']);
    assert.equal(factor(after, 'uptime').value, 1);

    before = after;
    const incident = await send('POST', `/api/v1/agents/${id}/incidents`, a.as.admin.apiKey, { severity: 'critical', title: 'Leaked a report' });
    assert.equal(incident.statusCode, 201, incident.body);
    after = await recalc(id);
    assert.deepEqual(changedFactors(before, after), ['incidentHistory']);
    assert.ok(factor(after, 'incidentHistory').value! < 0.5);
    assert.ok(after.score! < before.score!);

    before = after;
    const { agent: otherAgent, key: otherKey } = await registerAgent(t, a.as.member.apiKey);
    const other = { id: otherAgent.id as string, key: otherKey };
    const attested = await signedInject(t, other.key, { method: 'PUT', url: `/api/v1/agents/me/attestations/${id}`, body: JSON.stringify({ verdict: 'trusted' }) });
    assert.equal(attested.statusCode, 200, attested.body);
    after = await recalc(id);
    assert.deepEqual(changedFactors(before, after), ['communityTrust']);
    assert.equal(factor(after, 'communityTrust').evidence.trustedBy, 1);
  });

  it('holds against the agent only refused requests its own retired key signed, never unverifiable ones', async () => {
    const { id, key } = await fresh();
    const before = await recalc(id);
    assert.equal(factor(before, 'lastVerified').value, 1, 'the registration (a proof of possession) is the last verification');
    assert.equal((await signedInject(t, key, { url: '/api/v1/agents/me' })).statusCode, 200);
    // Signed for one URL, sent to another: the signature does not verify. Anyone can send that.
    const forged = await signedInject(t, key, { url: '/api/v1/agents/me', sendUrl: '/api/v1/agents/me/identity' });
    assert.equal(forged.json().error.code, 'invalid_signature');
    await t.platform.agentKeyUsage.flush();
    await t.platform.agentFailedRequests.flush();
    let after = await recalc(id);
    assert.equal(factor(after, 'verificationStatus').evidence.verifiedRequests, 1);
    assert.equal(factor(after, 'verificationStatus').evidence.failedRequests, 0, 'an unverifiable request is not the agent’s');
    assert.equal(factor(after, 'activityFrequency').value, 1, 'active today');
    // The key is revoked, and the agent keeps signing with it: that is the agent's own failure.
    const revoked = await send('POST', `/api/v1/agents/${id}/keys/${key.keyId}/revoke`, a.as.admin.apiKey, { reason: 'test' });
    assert.equal(revoked.statusCode, 200, revoked.body);
    const stale = await signedInject(t, key, { url: '/api/v1/agents/me' });
    assert.equal(stale.json().error.code, 'key_revoked');
    await t.platform.agentFailedRequests.flush();
    after = await recalc(id);
    assert.equal(factor(after, 'verificationStatus').evidence.failedRequests, 1);
    assert.equal(factor(after, 'verificationStatus').value, 0, 'no usable key');
    assert.equal(factor(after, 'lastVerified').evidence.lastVerifiedAt !== null, true, 'the verified request still counts as the last verification');
  });

  it('does not let an owner raise their own agent’s score', async () => {
    const { agent, key } = await registerAgent(t, a.as.member.apiKey);
    const id = agent.id as string;
    const before = await recalc(id);
    // A second agent of the same owner vouches for the first: not counted.
    const { agent: sibling, key: siblingKey } = await registerAgent(t, a.as.member.apiKey);
    assert.ok(sibling.id);
    const vouched = await signedInject(t, siblingKey, { method: 'PUT', url: `/api/v1/agents/me/attestations/${id}`, body: JSON.stringify({ verdict: 'trusted' }) });
    assert.equal(vouched.statusCode, 200, vouched.body);
    let after = await recalc(id);
    assert.equal(factor(after, 'communityTrust').value, null, 'the owner’s own agent does not attest for it');
    // The owner cannot rate it or review it.
    assert.equal((await send('POST', `/api/v1/agents/${id}/ratings`, a.as.member.apiKey, { rating: 5 })).statusCode, 403);
    // A manager rates it, then becomes its owner: the rating stops counting.
    assert.equal((await send('POST', `/api/v1/agents/${id}/ratings`, a.as.manager.apiKey, { rating: 5 })).statusCode, 201);
    assert.equal(factor(await recalc(id), 'communityTrust').evidence.ratings, 1);
    const moved = await send('PATCH', `/api/v1/agents/${id}`, a.as.admin.apiKey, { ownerId: a.as.manager.userId });
    assert.equal(moved.statusCode, 200, moved.body);
    after = await recalc(id);
    assert.equal(factor(after, 'communityTrust').evidence.ratings, 0);
    const review = await send('POST', `/api/v1/agents/${id}/security-reviews`, a.as.manager.apiKey, { findings: [] });
    assert.equal(review.statusCode, 403, 'the owner does not review their own agent');
    // Denials for a low trust score are not held against the agent (they follow from the score).
    await send('POST', '/api/v1/capabilities', a.as.admin.apiKey, { name: 'vault:open', riskLevel: 'critical' });
    assert.equal((await send('POST', `/api/v1/agents/${id}/grants`, a.as.admin.apiKey, { capability: 'vault:open' })).statusCode, 201);
    const policy = await send('POST', '/api/v1/policies', a.as.admin.apiKey, { name: `floor-${id}`, type: 'min_trust', scope: { agentIds: [id] }, config: { minimums: { critical: 100 } } });
    assert.equal(policy.statusCode, 201, policy.body);
    const denied = await signedInject(t, key, { method: 'POST', url: `/api/v1/agents/${id}/verify-action`, body: JSON.stringify({ action: 'vault:open' }) });
    assert.equal(denied.json().decision, 'deny', denied.body);
    const final = await recalc(id);
    assert.equal(factor(final, 'incidentHistory').evidence.violations, 0);
    assert.equal(factor(final, 'compliance').evidence.compliantDecisions, 1);
    assert.equal(factor(before, 'verificationStatus').value, factor(final, 'verificationStatus').value);
  });

  it('refuses bad evidence with its code', async () => {
    const { id, key } = await fresh();
    for (const rating of [0, 6, 3.5, '4']) {
      const res = await send('POST', `/api/v1/agents/${id}/ratings`, a.as.manager.apiKey, { rating });
      assert.equal(res.statusCode, 400, `rating ${rating}`);
      assert.equal(res.json().error.code, 'validation_failed');
    }
    const first = await send('POST', `/api/v1/agents/${id}/ratings`, a.as.manager.apiKey, { rating: 4 });
    assert.equal(first.statusCode, 201);
    const second = await send('POST', `/api/v1/agents/${id}/ratings`, a.as.manager.session, { rating: 5 });
    assert.equal(second.statusCode, 409, 'the same member, by session this time');
    assert.equal(second.json().error.code, 'rating_exists');
    const own = await send('POST', `/api/v1/agents/${id}/ratings`, a.as.admin.apiKey, { rating: 5 });
    assert.equal(own.statusCode, 403, 'the owner does not rate their own agent');
    assert.equal((await send('POST', `/api/v1/agents/${id}/ratings`, b.as.admin.apiKey, { rating: 5 })).statusCode, 404, "another organization's agent");
    const ratingId = first.json().rating.id as string;
    assert.equal((await send('PATCH', `/api/v1/agents/${id}/ratings/${ratingId}`, a.as.member.apiKey, { rating: 1 })).statusCode, 404, "another member's rating");
    const edited = await send('PATCH', `/api/v1/agents/${id}/ratings/${ratingId}`, a.as.manager.apiKey, { rating: 1, comment: null });
    assert.equal(edited.statusCode, 200);
    assert.equal(edited.json().rating.rating, 1);
    assert.equal(edited.json().rating.comment, null);
    const future = new Date(Date.now() + 3_600_000).toISOString();
    const late = await send('POST', `/api/v1/agents/${id}/security-reviews`, a.as.admin.apiKey, { reviewedAt: future, findings: [] });
    assert.equal(late.statusCode, 400);
    assert.match(late.json().error.message, /reviewedAt: must not be in the future/);
    const badFinding = await send('POST', `/api/v1/agents/${id}/security-reviews`, a.as.admin.apiKey, { findings: [{ severity: 'severe', title: 'x' }] });
    assert.equal(badFinding.statusCode, 400);
    const self = await signedInject(t, key, { method: 'PUT', url: `/api/v1/agents/me/attestations/${id}`, body: JSON.stringify({ verdict: 'trusted' }) });
    assert.equal(self.statusCode, 400);
    assert.equal(self.json().error.code, 'self_attestation');
    const { agent: bAgent } = await registerAgent(t, b.as.admin.apiKey);
    const across = await signedInject(t, key, { method: 'PUT', url: `/api/v1/agents/me/attestations/${bAgent.id}`, body: JSON.stringify({ verdict: 'trusted' }) });
    assert.equal(across.statusCode, 404, "another organization's agent");
    const incident = (await send('POST', `/api/v1/agents/${id}/incidents`, a.as.admin.apiKey, { severity: 'low', title: 'once' })).json().incident;
    assert.equal((await send('POST', `/api/v1/agents/${id}/incidents/${incident.id}/resolve`, a.as.admin.apiKey, {})).statusCode, 200);
    const twice = await send('POST', `/api/v1/agents/${id}/incidents/${incident.id}/resolve`, a.as.admin.apiKey, {});
    assert.equal(twice.statusCode, 409);

    assert.equal((await send('POST', `/api/v1/agents/${id}/revoke`, a.as.admin.apiKey, {})).statusCode, 200);
    const beat = await signedInject(t, key, { method: 'POST', url: '/api/v1/agents/me/heartbeat' });
    assert.equal(beat.statusCode, 403);
    assert.equal(beat.json().error.code, 'agent_revoked');
  });

  it('audits score changes and announces a drop of more than 20 points within an hour, never for a suspension', async () => {
    const { id, registered } = await fresh();
    const heard: DomainEvent[] = [];
    const stop = await t.platform.domainEvents.listen((e) => {
      if ((e.data as { agentId?: string }).agentId) heard.push(e);
    });
    const droppedOf = (agentId: string) => heard.find((e) => e.type === 'trust.dropped' && (e.data as { agentId: string }).agentId === agentId);
    try {
      // The agent's only key revoked: still active, and no usable key (verification status 0).
      const keyId = ((await send('GET', `/api/v1/agents/${id}`, a.as.admin.apiKey)).json().agent.keys as { id: string }[])[0]!.id;
      assert.equal((await send('POST', `/api/v1/agents/${id}/keys/${keyId}/revoke`, a.as.admin.apiKey, {})).statusCode, 200);
      for (let i = 0; i < 250 && !droppedOf(id); i++) await new Promise((r) => setTimeout(r, 20));
      const after = (await send('GET', `/api/v1/agents/${id}/trust`, a.as.admin.apiKey)).json().trust as Trust;
      assert.ok(registered.trustScore - after.score! > 20, `${registered.trustScore} → ${after.score}`);
      const dropped = droppedOf(id);
      assert.ok(dropped, `heard ${heard.map((e) => e.type).join(', ')}`);
      assert.equal((dropped.data as { highestInHour: number }).highestInHour, registered.trustScore);
      assert.equal((dropped.data as { score: number }).score, after.score);

      // A suspension's fall follows from the status a person (or the automatic suspension) chose: no drop.
      const other = await fresh();
      const suspended = await send('POST', `/api/v1/agents/${other.id}/suspend`, a.as.admin.apiKey, { reason: 'investigating' });
      assert.ok(other.registered.trustScore - suspended.json().agent.trustScore > 20);
      await t.platform.domainEvents.drain();
      const events = await (await t.owner()).query(`select count(*)::int as n from audit_events where target_id = $1 and action = 'agent.trust_change'`, [other.id]);
      assert.equal(events.rows[0].n, 2, 'the fall is audited as a change');
      assert.ok(heard.some((e) => e.type === 'trust.changed' && (e.data as { agentId: string }).agentId === other.id), 'the change is announced');
      assert.equal(droppedOf(other.id), undefined, 'but not as a drop');
    } finally {
      stop();
    }
    await t.platform.auditSequencer.drain(a.organizationId);
    const owner = await t.owner();
    const changes = (
      await owner.query(`select details from audit_events where target_id = $1 and action = 'agent.trust_change' order by seq`, [id])
    ).rows.map((r) => r.details as { trigger: string; score: { from: number | null; to: number } });
    assert.deepEqual(changes.map((c) => c.trigger), ['registration', 'event']);
    assert.equal(changes[0]!.score.from, null);
    assert.equal(changes[1]!.score.from, registered.trustScore);
  });

  it('recalculates on new evidence by itself, debounced, and in the scheduled pass', async () => {
    const { id } = await fresh();
    const owner = await t.owner();
    const count = async (trigger: string) =>
      Number((await owner.query('select count(*) from trust_scores where agent_id = $1 and trigger = $2', [id, trigger])).rows[0].count);
    // Three ratings within the debounce window: one recalculation covers them all.
    for (const who of [a.as.manager, a.as.member, a.as.viewer]) {
      const res = await send('POST', `/api/v1/agents/${id}/ratings`, who.apiKey, { rating: 5 });
      assert.equal(res.statusCode, who === a.as.viewer ? 403 : 201, res.body);
    }
    for (let i = 0; i < 200 && (await count('event')) === 0; i++) await new Promise((r) => setTimeout(r, 25));
    const latest = (await owner.query(`select factors from trust_scores where agent_id = $1 and trigger = 'event' order by computed_at desc limit 1`, [id])).rows[0];
    assert.ok(latest, 'an event-driven recalculation was stored');
    const community = (latest.factors as Factor[]).find((f) => f.key === 'communityTrust')!;
    assert.equal(community.evidence.ratings, 2, 'it read both ratings');
    assert.equal(await count('event'), 1, 'one recalculation for the burst');

    const pass = await t.app.services.trust.recalculateOrganization({ ...SYSTEM_CONTEXT, requestId: 'job:test' }, a.organizationId);
    const agents = Number((await owner.query(`select count(*) from agents where organization_id = $1 and status <> 'revoked'`, [a.organizationId])).rows[0].count);
    assert.equal(pass.agents, agents);
    assert.equal(await count('schedule'), 1);

    // Counters beyond what the method reads are pruned; recent ones stay.
    await owner.query(
      `insert into agent_uptime_hours (organization_id, agent_id, hour, minutes) values ($1, $2, date_trunc('hour', now() - interval '90 days'), 1), ($1, $2, date_trunc('hour', now() - interval '2 days'), 1)`,
      [a.organizationId, id],
    );
    await owner.query(
      `insert into agent_activity_days (organization_id, agent_id, day, verified) values ($1, $2, current_date - 400, 3), ($1, $2, current_date - 20, 3)`,
      [a.organizationId, id],
    );
    const pruned = await t.app.services.trust.pruneEvidence(a.organizationId);
    assert.ok(pruned.uptimeHours >= 1 && pruned.activityDays >= 1, JSON.stringify(pruned));
    const left = await owner.query(
      `select (select count(*) from agent_uptime_hours where agent_id = $1)::int as hours, (select count(*) from agent_activity_days where agent_id = $1)::int as days`,
      [id],
    );
    assert.deepEqual(left.rows[0], { hours: 1, days: 1 });
  });

  it('keeps the history, newest first with keyset pages, and shows the organization trends', async () => {
    const { id } = await fresh();
    for (let i = 0; i < 4; i++) await recalc(id);
    const page1 = await send('GET', `/api/v1/agents/${id}/trust-history?limit=3`, a.as.viewer.apiKey);
    assert.equal(page1.statusCode, 200, page1.body);
    const p1 = page1.json() as { history: Trust[]; nextCursor: string | null };
    assert.equal(p1.history.length, 3);
    assert.ok(p1.nextCursor);
    const p2 = (await send('GET', `/api/v1/agents/${id}/trust-history?limit=3&cursor=${p1.nextCursor}`, a.as.viewer.apiKey)).json() as typeof p1;
    const all = [...p1.history, ...p2.history];
    assert.equal(all.length, 5, 'registration and four manual recalculations');
    assert.deepEqual(all.map((h) => h.trigger), ['manual', 'manual', 'manual', 'manual', 'registration']);
    assert.deepEqual([...all].sort((x, y) => (x.computedAt < y.computedAt ? 1 : -1)).map((h) => h.id), all.map((h) => h.id));
    assert.equal(p2.nextCursor, null);
    assert.equal((await send('GET', `/api/v1/agents/${id}/trust-history`, b.as.admin.apiKey)).statusCode, 404);
    assert.equal((await send('GET', `/api/v1/agents/${id}/trust-history?cursor=nonsense`, a.as.viewer.apiKey)).statusCode, 400);

    // A drop makes the agent a mover; the series and the tiers count today's scores.
    await send('POST', `/api/v1/agents/${id}/incidents`, a.as.admin.apiKey, { severity: 'critical', title: 'mover' });
    await recalc(id);
    const trends = await send('GET', '/api/v1/trust/trends?days=7&movers=50', a.as.viewer.apiKey);
    assert.equal(trends.statusCode, 200, trends.body);
    const body = trends.json() as {
      daily: { day: string; agents: number; scores: number; average: number | null }[];
      tiers: Record<string, number>;
      movers: { agentId: string; change: number }[];
    };
    assert.equal(body.daily.length, 7);
    const today = body.daily.at(-1)!;
    assert.equal(today.day, new Date().toISOString().slice(0, 10));
    assert.ok(today.agents >= 1 && today.scores >= today.agents && today.average !== null);
    const owner = await t.owner();
    const tiers = (await owner.query(`select trust_tier, count(*)::int as n from agents where organization_id = $1 and status <> 'revoked' group by 1`, [a.organizationId])).rows;
    for (const r of tiers) assert.equal(body.tiers[r.trust_tier], r.n, r.trust_tier);
    const mover = body.movers.find((m) => m.agentId === id);
    assert.ok(mover && mover.change < 0, JSON.stringify(body.movers));
    const bTrends = (await send('GET', '/api/v1/trust/trends', b.as.admin.apiKey)).json() as typeof body;
    assert.ok(!bTrends.movers.some((m) => m.agentId === id), "another organization's trends do not show it");
  });

  it('lets the minimum-trust policy use the real score, and stores the snapshot with each decision', async () => {
    const { id, key, registered } = await fresh();
    await send('POST', '/api/v1/capabilities', a.as.admin.apiKey, { name: 'ledger:read', riskLevel: 'low' });
    assert.equal((await send('POST', `/api/v1/agents/${id}/grants`, a.as.admin.apiKey, { capability: 'ledger:read' })).statusCode, 201);
    const policy = await send('POST', '/api/v1/policies', a.as.admin.apiKey, {
      name: `trust-${id}`,
      type: 'min_trust',
      scope: { agentIds: [id] },
      config: { minimums: { low: Math.floor(registered.trustScore) + 1 } },
    });
    assert.equal(policy.statusCode, 201, policy.body);
    const verify = () => signedInject(t, key, { method: 'POST', url: `/api/v1/agents/${id}/verify-action`, body: JSON.stringify({ action: 'ledger:read' }) });
    const denied = (await verify()).json() as { decision: string; decisionId: string; reasons: { rule: string; effect: string; message: string }[] };
    assert.equal(denied.decision, 'deny');
    const reason = denied.reasons.find((r) => r.rule === 'min_trust')!;
    assert.match(reason.message, new RegExp(`trust score ${registered.trustScore} is below the minimum`));
    const stored = (await send('GET', `/api/v1/decisions/${denied.decisionId}`, a.as.viewer.apiKey)).json().decision;
    assert.deepEqual(stored.trust, { score: registered.trustScore, confidence: registered.trustConfidence });

    const lowered = await send('PATCH', `/api/v1/policies/${policy.json().policy.id}`, a.as.admin.apiKey, { config: { minimums: { low: Math.floor(registered.trustScore) - 1 } } });
    assert.equal(lowered.statusCode, 200, lowered.body);
    assert.equal((await verify()).json().decision, 'allow');
  });
});


acrossInstances(
  'trust scoring across instances',
  (instances, skip) => {
    it('recalculates once for evidence that reaches both instances, on whichever claimed the agent', { skip }, async () => {
      const { a, b } = instances;
      const org = await seedOrganization(a, 'X');
      const { agent } = await registerAgent(a, org.as.admin.apiKey);
      const owner = await a.owner();
      const events = async () => Number((await owner.query(`select count(*) from trust_scores where agent_id = $1 and trigger = 'event'`, [agent.id])).rows[0].count);
      // Evidence through both instances within one debounce window.
      const rate = (t: TestApp, who: SeededOrganization['as']['manager']) =>
        t.app.inject({ method: 'POST', url: `/api/v1/agents/${agent.id}/ratings`, headers: { ...who.apiKey, 'content-type': 'application/json' }, payload: '{"rating":5}' });
      assert.equal((await rate(a, org.as.manager)).statusCode, 201);
      assert.equal((await rate(b, org.as.member)).statusCode, 201);
      for (let i = 0; i < 200 && (await events()) === 0; i++) await new Promise((r) => setTimeout(r, 25));
      // Let any second (wrong) recalculation of the same window land before counting.
      await new Promise((r) => setTimeout(r, 600));
      assert.equal(await events(), 1);
      const row = (await owner.query(`select factors from trust_scores where agent_id = $1 and trigger = 'event'`, [agent.id])).rows[0];
      assert.equal((row.factors as Factor[]).find((f) => f.key === 'communityTrust')!.evidence.ratings, 2, 'both ratings were read');
    });
  },
  { env: { TRUST_RECALCULATION_DEBOUNCE_MS: '300' } },
);
