import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { forEachTarget } from '../../testing/targets.js';
import { createTestApp, type TestApp } from '../../testing/test-app.js';
import { seedOrganization, seededEmail, type SeededOrganization } from '../../testing/people-fixtures.js';
import { agentToken, registerAgent } from '../../testing/agent-fixtures.js';
import { startSmtpCapture, mailHtml, type SmtpCapture } from '../../testing/smtp-capture.js';
import { SYSTEM_CONTEXT } from '../../platform/http/request-context.js';

/**
 * The hourly `aim.access-reviews` work (review-jobs.ts) on the real app, with mail through a real SMTP
 * server: reminders to each reviewer with pending items, once per campaign and UTC day; at the deadline
 * the campaign completes, revoking what nobody reviewed when auto_revoke is set (the agent's token is
 * refused), else leaving it pending and reported as not reviewed.
 */
forEachTarget('access review deadlines and reminders', (target) => {
  let t: TestApp;
  let smtp: SmtpCapture;
  let a: SeededOrganization;

  const json = (headers: Record<string, string>) => ({ ...headers, 'content-type': 'application/json' });
  const create = async (name: string, scope: unknown, autoRevoke: boolean) => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/access-reviews',
      headers: json(a.as.admin.apiKey),
      payload: JSON.stringify({ name, scope, deadline: new Date(Date.now() + 7 * 86_400_000).toISOString(), autoRevoke }),
    });
    assert.equal(res.statusCode, 201, res.body);
    return res.json().accessReview as { id: string };
  };
  const deadlines = () => t.app.services.accessReviewDeadlines;
  const expire = async (reviewId: string) => (await t.owner()).query(`update access_reviews set deadline = now() - interval '1 minute' where id = $1`, [reviewId]);
  const report = async (reviewId: string) => (await t.app.inject({ method: 'GET', url: `/api/v1/access-reviews/${reviewId}/report`, headers: a.as.admin.apiKey })).json();

  before(async () => {
    smtp = await startSmtpCapture();
    t = await createTestApp(target, { env: { SMTP_URL: smtp.url, MAIL_FROM: 'AIM <aim@reviews.example>' } });
    a = await seedOrganization(t, 'A');
  });
  after(async () => {
    await t?.close();
    await smtp?.stop();
  });

  it('reminds each reviewer with pending items once per campaign and day, and again the next day', async () => {
    await registerAgent(t, a.as.member.apiKey);
    await registerAgent(t, a.as.member.apiKey);
    const review = await create('Reminder check', { kind: 'owner_agents', ownerUserId: a.as.member.userId }, false);
    const memberEmail = seededEmail('member', a.organizationId);
    const day = new Date();
    assert.equal(await deadlines().sendReminders(a.organizationId, day), 1);
    await smtp.waitFor('the reminder', (m) => m.some((x) => x.envelopeTo.includes(memberEmail)));
    assert.equal(await deadlines().sendReminders(a.organizationId, new Date(day.getTime() + 60_000)), 0, 'not twice the same day');
    const mails = smtp.to(memberEmail, /Access review "Reminder check"/);
    assert.equal(mails.length, 1);
    assert.match(mails[0]!.parsed.subject ?? '', /2 items waiting for you/);
    assert.match(mails[0]!.parsed.text ?? '', /\/access-reviews\/\?tab=inbox/);
    assert.match(mailHtml(mails[0]!), /Open your review inbox/);
    assert.equal(smtp.messages.filter((m) => m.envelopeTo.includes(seededEmail('admin', a.organizationId))).length, 0, 'only reviewers with pending items');
    assert.equal(await deadlines().sendReminders(a.organizationId, new Date(day.getTime() + 86_400_000)), 1, 'the next day, again');
    const { rows } = await (await t.owner()).query('select count(*)::int as n from access_review_reminders where review_id = $1', [review.id]);
    assert.equal(rows[0].n, 2);
    // Once decided, nothing more to remind.
    const items = (await t.app.inject({ method: 'GET', url: `/api/v1/access-reviews/${review.id}/items`, headers: a.as.member.apiKey })).json().items as { id: string }[];
    for (const item of items) {
      const res = await t.app.inject({ method: 'POST', url: `/api/v1/access-reviews/${review.id}/items/${item.id}/decision`, headers: json(a.as.member.apiKey), payload: '{"decision":"certify"}' });
      assert.equal(res.statusCode, 200, res.body);
    }
    assert.equal(await deadlines().sendReminders(a.organizationId, new Date(day.getTime() + 2 * 86_400_000)), 0);
  });

  it('at the deadline with auto_revoke: pending items are revoked for real, the decided ones stay', async () => {
    const kept = await registerAgent(t, a.as.manager.apiKey);
    const dropped = await registerAgent(t, a.as.manager.apiKey);
    const review = await create('Auto', { kind: 'owner_agents', ownerUserId: a.as.manager.userId }, true);
    const items = (await t.app.inject({ method: 'GET', url: `/api/v1/access-reviews/${review.id}/items`, headers: a.as.manager.apiKey })).json().items as { id: string; subjectId: string }[];
    const keptItem = items.find((i) => i.subjectId === kept.agent.id)!;
    await t.app.inject({ method: 'POST', url: `/api/v1/access-reviews/${review.id}/items/${keptItem.id}/decision`, headers: json(a.as.manager.apiKey), payload: '{"decision":"certify","note":"in use"}' });
    const token = await agentToken(t, dropped.key);
    const identity = () => t.app.inject({ method: 'GET', url: '/api/v1/agents/me/identity', headers: { authorization: `Bearer ${token}` } });
    assert.equal((await identity()).statusCode, 200);

    assert.deepEqual(await deadlines().completeDue(SYSTEM_CONTEXT, a.organizationId), [], 'not before the deadline');
    await expire(review.id);
    assert.deepEqual(await deadlines().completeDue(SYSTEM_CONTEXT, a.organizationId), [review.id]);
    const refused = await identity();
    assert.equal(refused.statusCode, 403, "the revoked agent's token is refused");
    assert.equal(refused.json().error.code, 'agent_revoked');
    const done = await report(review.id);
    assert.equal(done.accessReview.status, 'completed');
    assert.equal(done.accessReview.completedHow, 'deadline');
    assert.deepEqual({ ...done.accessReview.summary }, { total: 2, pending: 0, certified: 1, revoked: 1, changed: 0, revokedAutomatically: 1, notReviewed: 0 });
    const auto = done.items.find((i: { subjectId: string }) => i.subjectId === dropped.agent.id);
    assert.equal(auto.decision, 'revoked');
    assert.equal(auto.decidedAutomatically, true);
    assert.equal(auto.decidedBy, null);
    const { rows } = await (await t.owner()).query(`select status from agents where id = any($1)`, [[kept.agent.id, dropped.agent.id]]);
    assert.deepEqual(rows.map((r) => r.status).sort(), ['active', 'revoked']);
    const audit = await (await t.owner()).query(`select actor_type from audit_events where target_id = $1 and action = 'agent.revoke'`, [dropped.agent.id]);
    assert.deepEqual(audit.rows.map((r) => r.actor_type), ['system']);
    assert.deepEqual(await deadlines().completeDue(SYSTEM_CONTEXT, a.organizationId), [], 'completed once');
  });

  it('at the deadline without auto_revoke: pending items stay pending and are reported as not reviewed', async () => {
    const agent = await registerAgent(t, a.as.admin.apiKey);
    const review = await create('Manual', { kind: 'owner_agents', ownerUserId: a.as.admin.userId }, false);
    await expire(review.id);
    // Through the scheduled job's own code path (pg-boss's run of aim.access-reviews).
    const job = t.app.jobs.find((j) => j.name === 'aim.access-reviews')!;
    await job.run();
    const done = await report(review.id);
    assert.equal(done.accessReview.status, 'completed');
    assert.equal(done.accessReview.summary.notReviewed, done.accessReview.summary.total);
    assert.ok(done.items.every((i: { decision: string }) => i.decision === 'pending'));
    const { rows } = await (await t.owner()).query('select status from agents where id = $1', [agent.agent.id]);
    assert.equal(rows[0].status, 'active', 'nothing revoked');
    const csv = await t.app.inject({ method: 'GET', url: `/api/v1/access-reviews/${review.id}/report?format=csv`, headers: a.as.admin.apiKey });
    assert.match(csv.body, /,pending,.*,true\r\n/);
  });

  it('a reminder that cannot be sent is not recorded, and goes out on the next run', async () => {
    const review = await create('Mail down', { kind: 'owner_agents', ownerUserId: a.as.manager.userId }, false);
    await smtp.stop();
    await assert.rejects(deadlines().sendReminders(a.organizationId), /1 access review reminder\(s\) failed/);
    const count = async () => (await (await t.owner()).query('select count(*)::int as n from access_review_reminders where review_id = $1', [review.id])).rows[0].n as number;
    assert.equal(await count(), 0, 'nothing recorded for a mail that did not go out');
    await smtp.start();
    assert.equal(await deadlines().sendReminders(a.organizationId), 1);
    assert.equal(await count(), 1);
    await smtp.waitFor('the reminder after the outage', (m) => m.some((x) => x.envelopeTo.includes(seededEmail('manager', a.organizationId)) && /"Mail down"/.test(x.parsed.subject ?? '')));
  });
});
