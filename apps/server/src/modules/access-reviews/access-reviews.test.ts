import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { forEachTarget } from '../../testing/targets.js';
import { createTestApp, type TestApp } from '../../testing/test-app.js';
import { createUser, seedOrganization, type SeededOrganization } from '../../testing/people-fixtures.js';
import { agentToken, registerAgent, type TestAgentKey } from '../../testing/agent-fixtures.js';
import { newId } from '../../platform/ids.js';

/**
 * Access reviews through the API on the real app (docs/access-reviews.md): each scope's items and
 * reviewers, decisions and their real effect (a revoked agent's token and a revoked API key refused at
 * once), who may decide, another organization's campaign, the empty campaign, completion and the report.
 */
forEachTarget('access reviews', (target) => {
  let t: TestApp;
  let a: SeededOrganization;
  let b: SeededOrganization;
  let memberAgent: { id: string; key: TestAgentKey };
  let managerAgent: { id: string; key: TestAgentKey };
  let orphanAgent: { id: string };
  let criticalGrant: string;
  let lowGrant: string;
  let highGrant: string;

  const json = (headers: Record<string, string>) => ({ ...headers, 'content-type': 'application/json' });
  const post = (headers: Record<string, string>, url: string, payload: unknown) => t.app.inject({ method: 'POST', url, headers: json(headers), payload: JSON.stringify(payload) });
  const get = (headers: Record<string, string>, url: string) => t.app.inject({ method: 'GET', url, headers });
  const future = (days = 14) => new Date(Date.now() + days * 86_400_000).toISOString();
  const create = (headers: Record<string, string>, scope: unknown, extra: Record<string, unknown> = {}) =>
    post(headers, '/api/v1/access-reviews', { name: 'Quarterly review', scope, deadline: future(), ...extra });
  const itemsOf = async (headers: Record<string, string>, reviewId: string) => {
    const res = await get(headers, `/api/v1/access-reviews/${reviewId}/items`);
    assert.equal(res.statusCode, 200, res.body);
    return res.json().items as { id: string; subjectType: string; subjectId: string; reviewerUserId: string; reviewerReason: string; decision: string; snapshot: { riskLevel: string | null; grants: unknown[]; ownerUserId: string | null; name: string } }[];
  };
  const decide = (headers: Record<string, string>, reviewId: string, itemId: string, body: unknown) =>
    post(headers, `/api/v1/access-reviews/${reviewId}/items/${itemId}/decision`, body);

  before(async () => {
    t = await createTestApp(target);
    a = await seedOrganization(t, 'A');
    b = await seedOrganization(t, 'B');
    const admin = a.as.admin.apiKey;
    for (const [name, riskLevel] of [['payments:refund', 'critical'], ['db:read', 'low'], ['email:send', 'high']]) {
      assert.equal((await post(admin, '/api/v1/capabilities', { name, riskLevel })).statusCode, 201);
    }
    const m = await registerAgent(t, a.as.member.apiKey);
    memberAgent = { id: m.agent.id, key: m.key };
    const g = await registerAgent(t, a.as.manager.apiKey);
    // Another organization's agent, key and grant: never an item of A's campaigns.
    await registerAgent(t, b.as.admin.apiKey);
    managerAgent = { id: g.agent.id, key: g.key };
    // An agent whose owner has left the organization.
    const leaver = await createUser(t, `leaver.${a.organizationId.slice(-8)}@example.com`, 'Leaver');
    await (await t.owner()).query(`insert into memberships (organization_id, user_id, role) values ($1, $2, 'member')`, [a.organizationId, leaver]);
    orphanAgent = { id: (await registerAgent(t, admin, { ownerId: leaver })).agent.id };
    await (await t.owner()).query('delete from memberships where organization_id = $1 and user_id = $2', [a.organizationId, leaver]);
    const grant = async (agentId: string, capability: string) => {
      const res = await post(admin, `/api/v1/agents/${agentId}/grants`, { capability });
      assert.equal(res.statusCode, 201, res.body);
      return res.json().grant.id as string;
    };
    criticalGrant = await grant(memberAgent.id, 'payments:refund');
    lowGrant = await grant(memberAgent.id, 'db:read');
    highGrant = await grant(managerAgent.id, 'email:send');
  });
  after(() => t?.close());

  it('all agents: one item per agent with its snapshot; the owner reviews, a manager when the owner left', async () => {
    const res = await create(a.as.admin.session, { kind: 'all_agents' });
    assert.equal(res.statusCode, 201, res.body);
    const review = res.json().accessReview;
    assert.equal(review.status, 'open');
    assert.equal(review.summary.total, 3);
    assert.equal(review.createdBy, a.as.admin.userId);
    const items = await itemsOf(a.as.admin.session, review.id);
    const byAgent = new Map(items.map((i) => [i.subjectId, i]));
    assert.deepEqual([...byAgent.keys()].sort(), [memberAgent.id, managerAgent.id, orphanAgent.id].sort(), "exactly A's agents, none of B's");
    assert.equal(byAgent.get(memberAgent.id)!.reviewerUserId, a.as.member.userId);
    assert.equal(byAgent.get(memberAgent.id)!.reviewerReason, 'owner');
    assert.equal(byAgent.get(memberAgent.id)!.snapshot.riskLevel, 'critical', 'the highest risk among its grants');
    assert.equal(byAgent.get(memberAgent.id)!.snapshot.grants.length, 2);
    assert.equal(byAgent.get(managerAgent.id)!.reviewerUserId, a.as.manager.userId);
    // The owner is gone: a manager or admin other than the campaign's creator (the admin).
    assert.equal(byAgent.get(orphanAgent.id)!.reviewerUserId, a.as.manager.userId);
    assert.equal(byAgent.get(orphanAgent.id)!.reviewerReason, 'manager');
    // The member sees only the items assigned to them.
    const mine = await itemsOf(a.as.member.session, review.id);
    assert.deepEqual(mine.map((i) => i.subjectId), [memberAgent.id]);
    await post(a.as.admin.session, `/api/v1/access-reviews/${review.id}/cancel`, {});
  });

  it("one owner's agents, high and critical grants, API keys: each scope's items and reviewers", async () => {
    const owner = (await create(a.as.manager.apiKey, { kind: 'owner_agents', ownerUserId: a.as.member.userId })).json().accessReview;
    assert.deepEqual((await itemsOf(a.as.admin.apiKey, owner.id)).map((i) => i.subjectId), [memberAgent.id]);

    const grants = (await create(a.as.admin.apiKey, { kind: 'high_risk_grants' })).json().accessReview;
    const grantItems = await itemsOf(a.as.admin.apiKey, grants.id);
    assert.deepEqual(grantItems.map((i) => i.subjectId).sort(), [criticalGrant, highGrant].sort(), 'not the low-risk grant');
    assert.ok(!grantItems.some((i) => i.subjectId === lowGrant));
    const critical = grantItems.find((i) => i.subjectId === criticalGrant)!;
    assert.equal(critical.subjectType, 'grant');
    assert.equal(critical.reviewerUserId, a.as.member.userId, "the grant's agent's owner");
    assert.equal(critical.snapshot.riskLevel, 'critical');

    const keys = (await create(a.as.admin.apiKey, { kind: 'api_keys' })).json().accessReview;
    const keyItems = await itemsOf(a.as.admin.apiKey, keys.id);
    const byKey = new Map(keyItems.map((i) => [i.subjectId, i]));
    assert.equal(byKey.size, 4, 'the four seeded keys');
    // A key is its creator's own access: never reviewed by its creator while someone else can.
    for (const item of keyItems) assert.notEqual(item.reviewerUserId, item.snapshot.ownerUserId);
    assert.equal(byKey.get(a.as.member.apiKeyId)!.reviewerUserId, a.as.manager.userId, 'a manager other than the creator of the campaign');
    assert.equal(byKey.get(a.as.admin.apiKeyId)!.reviewerUserId, a.as.manager.userId);
    assert.equal(byKey.get(a.as.manager.apiKeyId)!.reviewerUserId, a.as.admin.userId, "the campaign's creator: nobody else may review the manager's key");
    assert.equal(byKey.get(a.as.manager.apiKeyId)!.reviewerReason, 'creator');
    for (const id of [owner.id, grants.id, keys.id]) await post(a.as.admin.apiKey, `/api/v1/access-reviews/${id}/cancel`, {});
  });

  it('refuses a campaign with no items (access_review_empty) and creates nothing', async () => {
    const before_ = (await get(a.as.admin.apiKey, '/api/v1/access-reviews')).json().accessReviews.length;
    const none = await create(a.as.admin.apiKey, { kind: 'owner_agents', ownerUserId: a.as.viewer.userId });
    assert.equal(none.statusCode, 422, none.body);
    assert.equal(none.json().error.code, 'access_review_empty');
    assert.match(none.json().error.message, /no agent/);
    const empty = await create(b.as.admin.apiKey, { kind: 'high_risk_grants' });
    assert.equal(empty.statusCode, 422);
    assert.equal(empty.json().error.code, 'access_review_empty');
    assert.equal((await get(a.as.admin.apiKey, '/api/v1/access-reviews')).json().accessReviews.length, before_);
    assert.equal((await get(b.as.admin.apiKey, '/api/v1/access-reviews')).json().accessReviews.length, 0);
    const past = await create(a.as.admin.apiKey, { kind: 'all_agents' }, { deadline: '2020-01-01T00:00:00Z' });
    assert.equal(past.statusCode, 400);
    assert.equal(past.json().error.code, 'validation_failed');
    assert.equal((await create(a.as.member.apiKey, { kind: 'all_agents' })).statusCode, 403, 'members do not start campaigns');
  });

  it("revokes for real: the agent's token and the API key are refused at once; each decision audited with its effect", async () => {
    const agentCampaign = (await create(a.as.admin.apiKey, { kind: 'owner_agents', ownerUserId: a.as.member.userId })).json().accessReview;
    const [item] = await itemsOf(a.as.member.session, agentCampaign.id);
    const token = await agentToken(t, memberAgent.key);
    const identity = () => get({ authorization: `Bearer ${token}` }, '/api/v1/agents/me/identity');
    assert.equal((await identity()).statusCode, 200);

    const noNote = await decide(a.as.member.session, agentCampaign.id, item!.id, { decision: 'revoke' });
    assert.equal(noNote.statusCode, 400, 'a revocation needs a note');
    const revoked = await decide(a.as.member.session, agentCampaign.id, item!.id, { decision: 'revoke', note: 'No longer used' });
    assert.equal(revoked.statusCode, 200, revoked.body);
    assert.equal(revoked.json().item.decision, 'revoked');
    assert.equal(revoked.json().item.effect, 'applied');
    assert.equal(revoked.json().item.decidedBy, a.as.member.userId);
    const refused = await identity();
    assert.equal(refused.statusCode, 403, "the revoked agent's token is refused");
    assert.equal(refused.json().error.code, 'agent_revoked');
    assert.equal((await get(a.as.admin.apiKey, `/api/v1/agents/${memberAgent.id}`)).json().agent.status, 'revoked');
    const again = await decide(a.as.member.session, agentCampaign.id, item!.id, { decision: 'certify' });
    assert.equal(again.statusCode, 409);
    assert.equal(again.json().error.code, 'access_review_item_decided');
    const { rows } = await (await t.owner()).query(
      `select action, request_id from audit_events where organization_id = $1 and (target_id = $2 or target_id = $3) and action in ('access_review.item_decided', 'agent.revoke')`,
      [a.organizationId, item!.id, memberAgent.id],
    );
    assert.deepEqual(rows.map((r) => r.action).sort(), ['access_review.item_decided', 'agent.revoke']);
    assert.equal(rows[0].request_id, rows[1].request_id, 'one request, one transaction');

    const keyCampaign = (await create(a.as.admin.apiKey, { kind: 'api_keys' })).json().accessReview;
    const keyItem = (await itemsOf(a.as.manager.session, keyCampaign.id)).find((i) => i.subjectId === a.as.member.apiKeyId)!;
    assert.equal((await get(a.as.member.apiKey, '/api/v1/organization')).statusCode, 200);
    const keyRevoked = await decide(a.as.manager.session, keyCampaign.id, keyItem.id, { decision: 'revoke', note: 'Rotate to a scoped key' });
    assert.equal(keyRevoked.statusCode, 200, keyRevoked.body);
    assert.equal((await get(a.as.member.apiKey, '/api/v1/organization')).statusCode, 401, 'the revoked API key is refused');
    await post(a.as.admin.apiKey, `/api/v1/access-reviews/${keyCampaign.id}/cancel`, {});
    await post(a.as.admin.apiKey, `/api/v1/access-reviews/${agentCampaign.id}/cancel`, {});
  });

  it('only the assigned reviewer or a manager decides; another organization gets 404; a person never certifies their own key', async () => {
    const campaign = (await create(a.as.admin.session, { kind: 'api_keys' })).json().accessReview;
    const items = await itemsOf(a.as.admin.session, campaign.id);
    const managersKey = items.find((i) => i.subjectId === a.as.manager.apiKeyId)!;
    const viewersKey = items.find((i) => i.subjectId === a.as.viewer.apiKeyId)!;
    // A member deciding an item that is not theirs: it does not exist for them.
    const byMember = await decide(a.as.member.session, campaign.id, viewersKey.id, { decision: 'certify' });
    assert.equal(byMember.statusCode, 404);
    assert.equal((await decide(a.as.viewer.session, campaign.id, viewersKey.id, { decision: 'certify' })).statusCode, 403, 'viewers review nothing');
    const otherOrg = await decide(b.as.admin.session, campaign.id, viewersKey.id, { decision: 'certify' });
    assert.equal(otherOrg.statusCode, 404);
    assert.equal((await get(b.as.admin.session, `/api/v1/access-reviews/${campaign.id}`)).statusCode, 404);
    assert.equal((await get(b.as.admin.session, `/api/v1/access-reviews/${campaign.id}/report`)).statusCode, 404);
    assert.equal((await decide(a.as.admin.session, campaign.id, newId('ari'), { decision: 'certify' })).statusCode, 404);
    // The manager holds access_review.manage, yet cannot certify their own key (assigned to the admin).
    const self = await decide(a.as.manager.session, campaign.id, managersKey.id, { decision: 'certify' });
    assert.equal(self.statusCode, 403);
    assert.equal(self.json().error.code, 'access_review_self_certification');
    const byAdmin = await decide(a.as.admin.session, campaign.id, managersKey.id, { decision: 'certify', note: 'Deploy key, in use' });
    assert.equal(byAdmin.statusCode, 200, byAdmin.body);
    assert.equal(byAdmin.json().item.decision, 'certified');
    // A manager may decide another reviewer's item.
    assert.equal((await decide(a.as.manager.session, campaign.id, viewersKey.id, { decision: 'certify' })).statusCode, 200);
    await post(a.as.admin.session, `/api/v1/access-reviews/${campaign.id}/cancel`, {});
  });

  it('two simultaneous decisions on one item: one wins, the other is told it was decided', async () => {
    const campaign = (await create(a.as.admin.apiKey, { kind: 'owner_agents', ownerUserId: a.as.manager.userId })).json().accessReview;
    const [item] = await itemsOf(a.as.admin.apiKey, campaign.id);
    const answers = await Promise.all([
      decide(a.as.manager.apiKey, campaign.id, item!.id, { decision: 'certify', note: 'manager' }),
      decide(a.as.admin.apiKey, campaign.id, item!.id, { decision: 'certify', note: 'admin' }),
    ]);
    assert.deepEqual(answers.map((r) => r.statusCode).sort(), [200, 409]);
    assert.equal(answers.find((r) => r.statusCode === 409)!.json().error.code, 'access_review_item_decided');
    const { rows } = await (await t.owner()).query(`select count(*)::int as n from audit_events where target_id = $1 and action = 'access_review.item_decided'`, [item!.id]);
    assert.equal(rows[0].n, 1, 'one decision, recorded once');
    await post(a.as.admin.apiKey, `/api/v1/access-reviews/${campaign.id}/cancel`, {});
  });

  it("changes: a grant's expiry brought forward, a later one refused, an agent's change recorded with its note", async () => {
    const campaign = (await create(a.as.admin.apiKey, { kind: 'high_risk_grants' })).json().accessReview;
    const item = (await itemsOf(a.as.admin.apiKey, campaign.id)).find((i) => i.subjectId === highGrant)!;
    const soon = new Date(Date.now() + 3 * 86_400_000).toISOString();
    const noNote = await decide(a.as.manager.apiKey, campaign.id, item.id, { decision: 'change', expiresAt: soon });
    assert.equal(noNote.statusCode, 400);
    const changed = await decide(a.as.manager.apiKey, campaign.id, item.id, { decision: 'change', note: 'Only for the migration', expiresAt: soon });
    assert.equal(changed.statusCode, 200, changed.body);
    assert.equal(changed.json().item.decision, 'changed');
    assert.deepEqual(changed.json().item.change, { expiresAt: soon });
    const { rows } = await (await t.owner()).query('select expires_at from capability_grants where id = $1', [highGrant]);
    assert.equal(rows[0].expires_at.toISOString(), soon);

    const agents = (await create(a.as.admin.apiKey, { kind: 'owner_agents', ownerUserId: a.as.manager.userId })).json().accessReview;
    const [agentItem] = await itemsOf(a.as.admin.apiKey, agents.id);
    const refused = await decide(a.as.manager.apiKey, agents.id, agentItem!.id, { decision: 'change', note: 'x', expiresAt: soon });
    assert.equal(refused.statusCode, 422);
    assert.equal(refused.json().error.code, 'access_review_change_invalid');
    const recorded = await decide(a.as.manager.apiKey, agents.id, agentItem!.id, { decision: 'change', note: 'Drop email:send after Q1' });
    assert.equal(recorded.json().item.effect, 'recorded');
    assert.equal(recorded.json().item.note, 'Drop email:send after Q1');
    for (const id of [campaign.id, agents.id]) await post(a.as.admin.apiKey, `/api/v1/access-reviews/${id}/cancel`, {});
  });

  it('completion closes the campaign to decisions; the report lists every item, with JSON summary and CSV; the inbox holds open items only', async () => {
    const open = (await create(a.as.admin.apiKey, { kind: 'all_agents' })).json().accessReview;
    const closing = (await create(a.as.admin.apiKey, { kind: 'all_agents' }, { name: 'Closing' })).json().accessReview;
    const inbox = async () => (await get(a.as.manager.session, '/api/v1/me/access-review-items')).json().items as { reviewId: string; decision: string }[];
    assert.ok((await inbox()).some((i) => i.reviewId === closing.id));
    const [first] = await itemsOf(a.as.manager.session, closing.id);
    assert.equal((await decide(a.as.manager.session, closing.id, first!.id, { decision: 'certify' })).statusCode, 200);
    const completed = await post(a.as.admin.apiKey, `/api/v1/access-reviews/${closing.id}/complete`, {});
    assert.equal(completed.statusCode, 200, completed.body);
    assert.equal(completed.json().accessReview.status, 'completed');
    assert.equal(completed.json().accessReview.completedHow, 'manual');
    const pending = completed.json().accessReview.summary.pending as number;
    assert.ok(pending >= 1);
    assert.equal(completed.json().accessReview.summary.notReviewed, pending);
    const items = await itemsOf(a.as.admin.apiKey, closing.id);
    const late = items.find((i) => i.decision === 'pending')!;
    const refused = await decide(a.as.admin.apiKey, closing.id, late.id, { decision: 'certify' });
    assert.equal(refused.statusCode, 409);
    assert.equal(refused.json().error.code, 'access_review_closed');
    assert.equal((await post(a.as.admin.apiKey, `/api/v1/access-reviews/${closing.id}/cancel`, {})).json().error.code, 'access_review_closed');
    assert.ok(!(await inbox()).some((i) => i.reviewId === closing.id), 'closed campaigns leave the inbox');
    assert.ok((await inbox()).every((i) => i.decision === 'pending'));

    const report = (await get(a.as.admin.apiKey, `/api/v1/access-reviews/${closing.id}/report`)).json();
    assert.equal(report.items.length, items.length);
    assert.equal(report.accessReview.summary.certified, 1);
    const certified = report.items.find((i: { decision: string }) => i.decision === 'certified');
    assert.equal(certified.decidedBy, a.as.manager.userId);
    assert.ok(certified.decidedAt);
    const csv = await get(a.as.admin.apiKey, `/api/v1/access-reviews/${closing.id}/report?format=csv`);
    assert.equal(csv.statusCode, 200);
    assert.match(csv.headers['content-type'] as string, /^text\/csv/);
    const lines = csv.body.trim().split('\r\n');
    assert.equal(lines.length, items.length + 1);
    assert.match(lines[0]!, /^review_id,review_name,review_status,item_id/);
    assert.equal(lines.filter((l) => l.includes(',pending,')).length, pending);
    assert.equal((await get(a.as.member.session, `/api/v1/access-reviews/${closing.id}/report`)).statusCode, 403, 'reports are for managers');
    await post(a.as.admin.apiKey, `/api/v1/access-reviews/${open.id}/cancel`, {});
  });
});
