import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import type { DomainEvent } from '../../platform/events/domain-events.js';
import { registerAgent, signedInject, type TestAgentKey } from '../../testing/agent-fixtures.js';
import { seededEmail, seedOrganization, type SeededOrganization } from '../../testing/people-fixtures.js';
import { mailHtml, startSmtpCapture, type SmtpCapture } from '../../testing/smtp-capture.js';
import { forEachTarget } from '../../testing/targets.js';
import { createTestApp, type TestApp } from '../../testing/test-app.js';
import { until } from '../../testing/until.js';

const PUBLIC_URL = 'http://aim.test:8080';
/** A name that would be markup if it were not escaped. */
const HOSTILE = `<img src=x onerror="alert(1)"> & 'Bob'`;


forEachTarget('email notifications', (target) => {
  let t: TestApp;
  let smtp: SmtpCapture;
  let a: SeededOrganization;
  let b: SeededOrganization;
  before(async () => {
    smtp = await startSmtpCapture();
    t = await createTestApp(target, { env: { PUBLIC_URL, SMTP_URL: smtp.url, MAIL_FROM: 'AIM <aim@aim.test>' } });
    a = await seedOrganization(t, 'Acme');
    b = await seedOrganization(t, 'Globex');
    for (const org of [a, b]) {
      for (const [name, riskLevel] of [['payments:refund', 'high'], ['reports:read', 'low']] as const) {
        assert.equal((await send('POST', '/api/v1/capabilities', org.as.admin.apiKey, { name, riskLevel })).statusCode, 201);
      }
    }
  });
  after(async () => {
    await t?.close();
    await smtp?.stop();
  });

  function send(method: string, url: string, headers: Record<string, string>, payload?: unknown) {
    return t.app.inject({
      method: method as 'POST',
      url,
      headers: payload === undefined ? headers : { ...headers, 'content-type': 'application/json' },
      ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }),
    });
  }
  /** A signed-in person's headers, their browser at AIM's public address. */
  const session = (org: SeededOrganization, role: 'admin' | 'manager' | 'member' | 'viewer') => ({ ...org.as[role].session, origin: PUBLIC_URL });
  const setPreferences = async (org: SeededOrganization, role: 'admin' | 'manager' | 'member' | 'viewer', body: unknown) => {
    const res = await send('PUT', '/api/v1/me/notification-preferences', session(org, role), body);
    assert.equal(res.statusCode, 200, res.body);
    return res.json();
  };

  /** An agent whose high-risk action waits for a person (a require_approval policy scoped to it). */
  async function agentNeedingApproval(org: SeededOrganization, name: string): Promise<{ id: string; key: TestAgentKey }> {
    const { agent, key } = await registerAgent(t, org.as.member.apiKey, { name });
    assert.equal((await send('POST', `/api/v1/agents/${agent.id}/grants`, org.as.admin.apiKey, { capability: 'payments:refund' })).statusCode, 201);
    const policy = await send('POST', '/api/v1/policies', org.as.admin.apiKey, {
      name: `ask-${agent.id}`,
      type: 'require_approval',
      scope: { agentIds: [agent.id] },
      config: { minRisk: 'high' },
    });
    assert.equal(policy.statusCode, 201, policy.body);
    return { id: agent.id, key };
  }
  async function pendingDecision(agent: { id: string; key: TestAgentKey }, resource = 'orders/1'): Promise<string> {
    const res = await signedInject(t, agent.key, { method: 'POST', url: `/api/v1/agents/${agent.id}/verify-action`, body: JSON.stringify({ action: 'payments:refund', resource }) });
    assert.equal(res.json().decision, 'pending', res.body);
    return res.json().decisionId as string;
  }
  const mailsAbout = (org: SeededOrganization, role: string, text: string) => smtp.to(seededEmail(role, org.organizationId)).filter((m) => (m.parsed.text ?? '').includes(text));
  const rowsOf = async (eventField: string) =>
    (await (await t.owner()).query<{ status: string; attempts: number; last_error: string | null; mode: string; user_id: string }>(
      `select status, attempts, last_error, mode, user_id from notifications where payload->>'decisionId' = $1 or payload->>'requestId' = $1 order by user_id`,
      [eventField],
    )).rows;

  it('mails an approval to the managers and admins only, text and HTML, escaped, with a link to the decision at the public URL', async () => {
    const agent = await agentNeedingApproval(a, HOSTILE);
    const decisionId = await pendingDecision(agent);
    await smtp.waitFor('the approval emails', () => mailsAbout(a, 'manager', decisionId).length === 1 && mailsAbout(a, 'admin', decisionId).length === 1);
    // The people who cannot approve get nothing, in this organization or another.
    await t.platform.domainEvents.drain();
    assert.deepEqual(mailsAbout(a, 'member', decisionId), []);
    assert.deepEqual(mailsAbout(a, 'viewer', decisionId), []);
    assert.equal(smtp.messages.filter((m) => m.envelopeTo.some((to) => to.endsWith(`${b.organizationId.slice(-8)}@example.com`))).length, 0);

    const [mail] = mailsAbout(a, 'manager', decisionId);
    const link = `${PUBLIC_URL}/decisions/detail/?id=${decisionId}`;
    assert.equal(mail!.parsed.subject, `Approval needed: ${HOSTILE} asks to payments:refund`);
    assert.equal(mail!.parsed.from?.value[0]?.address, 'aim@aim.test');
    assert.ok(mail!.parsed.text!.includes(link), mail!.parsed.text);
    assert.ok(mail!.parsed.text!.includes(HOSTILE), 'the text part says the name as it is');
    const html = mailHtml(mail!);
    assert.ok(html.includes(`href="${link}"`), html);
    assert.ok(!html.includes('<img'), 'no markup from the agent name');
    assert.ok(html.includes('&lt;img src=x onerror=&quot;alert(1)&quot;&gt; &amp; &#39;Bob&#39;'), html);
    // The footer points at the preferences page, and the List-Unsubscribe header too.
    assert.ok(html.includes(`href="${PUBLIC_URL}/account/"`));
    assert.ok(mail!.parsed.text!.includes(`${PUBLIC_URL}/account/`));
    assert.match(mail!.raw, /^List-Unsubscribe: <http:\/\/aim\.test:8080\/account\/>/m);
    // The link works: the dashboard's decision page exists, and the decision is readable by the manager.
    const read = await send('GET', `/api/v1/decisions/${decisionId}`, a.as.manager.apiKey);
    assert.equal(read.statusCode, 200, read.body);
    await until('the notifications marked sent', async () => (await rowsOf(decisionId)).every((r) => r.status === 'sent'));
    assert.deepEqual((await rowsOf(decisionId)).map((r) => [r.status, r.attempts]), [['sent', 1], ['sent', 1]]);
  });

  it('mails a capability request to those who manage capabilities', async () => {
    const { agent } = await registerAgent(t, a.as.member.apiKey, { name: 'refund-helper' });
    const asked = await send('POST', `/api/v1/agents/${agent.id}/capability-requests`, a.as.member.apiKey, { capability: 'payments:refund', reason: 'Refund duplicates' });
    assert.equal(asked.statusCode, 201, asked.body);
    const requestId = asked.json().request.id as string;
    await smtp.waitFor('the capability request emails', () => mailsAbout(a, 'manager', 'refund-helper').length === 1 && mailsAbout(a, 'admin', 'refund-helper').length === 1);
    const [mail] = mailsAbout(a, 'manager', 'refund-helper');
    assert.equal(mail!.parsed.subject, 'Capability request: refund-helper asks for payments:refund');
    assert.ok(mail!.parsed.text!.includes('Refund duplicates'));
    assert.ok(mailHtml(mail!).includes(`href="${PUBLIC_URL}/capability-requests/"`));
    assert.deepEqual(mailsAbout(a, 'member', 'refund-helper'), []);
    assert.equal((await rowsOf(requestId)).length, 2);
  });

  it('tells admins and the endpoint’s creator (while they may manage webhooks) that AIM disabled a webhook endpoint', async () => {
    const owner = await t.owner();
    const endpoint = async (id: string, createdBy: string) =>
      owner.query(
        `insert into webhook_endpoints (id, organization_id, url, event_types, enabled, disabled_reason, secret_ciphertext, created_by_type, created_by_id)
         values ($1, $2, 'https://hooks.example.com/aim', '{*}', false, 'failing', 'not-a-real-ciphertext', 'user', $3)`,
        [id, a.organizationId, createdBy],
      );
    const byManager = 'whk_01m97xdcmya2bbfqs2nf6bw64c';
    const byMember = 'whk_01m97xdcmya2bbfqs2nf6bw64d';
    await endpoint(byManager, a.as.manager.userId);
    await endpoint(byMember, a.as.member.userId);
    for (const endpointId of [byManager, byMember]) {
      await t.platform.db.transaction({ organizationId: a.organizationId }, (tx) =>
        t.platform.domainEvents.record(tx, 'webhook.disabled', {
          endpointId,
          url: 'https://hooks.example.com/aim',
          reason: 'Every delivery failed for 3 days (last: the receiver answered 503).',
          failingSince: '2026-12-04T09:40:12.000Z',
        }),
      );
    }
    await smtp.waitFor('the admin’s two emails', () => mailsAbout(a, 'admin', 'Every delivery failed').length === 2);
    await t.platform.domainEvents.drain();
    await t.app.services.notifications.sendDue();
    const [mail, ...others] = mailsAbout(a, 'manager', 'Every delivery failed');
    assert.equal(others.length, 0, 'the manager created one of the two');
    assert.ok(mail!.parsed.text!.includes(byManager));
    assert.equal(mail!.parsed.subject, 'Webhook endpoint disabled: https://hooks.example.com/aim');
    assert.ok(mailHtml(mail!).includes(`href="${PUBLIC_URL}/webhooks/"`));
    assert.deepEqual(mailsAbout(a, 'member', 'Every delivery failed'), [], 'a creator who may not manage webhooks is not told');
    assert.deepEqual(mailsAbout(a, 'viewer', 'Every delivery failed'), []);
  });

  it('reads and changes preferences per person and organization, audited; off means no email', async () => {
    const defaults = await send('GET', '/api/v1/me/notification-preferences', session(a, 'member'));
    assert.equal(defaults.statusCode, 200, defaults.body);
    assert.deepEqual(defaults.json(), {
      preferences: [
        { kind: 'approval_requested', delivery: 'immediate', minSeverity: null, eligible: false },
        { kind: 'capability_requested', delivery: 'immediate', minSeverity: null, eligible: false },
        { kind: 'webhook_disabled', delivery: 'immediate', minSeverity: null, eligible: false },
        { kind: 'alert', delivery: 'immediate', minSeverity: 'high', eligible: true },
      ],
      digestHourUtc: 8,
    });
    const managerView = (await send('GET', '/api/v1/me/notification-preferences', session(a, 'manager'))).json();
    assert.deepEqual(managerView.preferences.map((p: { eligible: boolean }) => p.eligible), [true, true, true, true]);

    const changed = await setPreferences(a, 'manager', { preferences: [{ kind: 'approval_requested', delivery: 'off' }, { kind: 'alert', delivery: 'digest', minSeverity: 'critical' }] });
    assert.equal(changed.preferences[0].delivery, 'off');
    assert.deepEqual(changed.preferences[3], { kind: 'alert', delivery: 'digest', minSeverity: 'critical', eligible: true });
    assert.equal(changed.preferences[1].delivery, 'immediate', 'kinds not named keep their choice');
    // Per organization: the same person elsewhere keeps the defaults (B's manager is another person; B's admin too).
    assert.equal((await send('GET', '/api/v1/me/notification-preferences', session(b, 'manager'))).json().preferences[0].delivery, 'immediate');
    await t.platform.auditSequencer.drain(a.organizationId);
    const audit = await (await t.owner()).query(`select actor_id, target_id, details from audit_events where organization_id = $1 and action = 'notification_preferences.update'`, [a.organizationId]);
    assert.equal(audit.rows.length, 1);
    assert.equal(audit.rows[0].target_id, a.as.manager.userId);
    assert.deepEqual(audit.rows[0].details.preferences[0], { kind: 'approval_requested', delivery: 'off', minSeverity: null });

    const agent = await agentNeedingApproval(a, 'quiet-bot');
    const decisionId = await pendingDecision(agent);
    await smtp.waitFor('the admin still hears', () => mailsAbout(a, 'admin', decisionId).length === 1);
    await t.platform.domainEvents.drain();
    await t.app.services.notifications.sendDue();
    assert.deepEqual(mailsAbout(a, 'manager', decisionId), [], 'off: nothing for the manager');
    assert.deepEqual((await rowsOf(decisionId)).map((r) => r.user_id), [a.as.admin.userId], 'and nothing scheduled');

    // Refused input: an unknown kind, a kind twice, nothing to change; API keys are not people.
    for (const body of [{ preferences: [{ kind: 'weather', delivery: 'off' }] }, { preferences: [{ kind: 'alert', delivery: 'off' }, { kind: 'alert', delivery: 'digest' }] }, {}, { digestHourUtc: 24 }]) {
      const res = await send('PUT', '/api/v1/me/notification-preferences', session(a, 'manager'), body);
      assert.equal(res.statusCode, 400, JSON.stringify(body));
    }
    assert.equal((await send('GET', '/api/v1/me/notification-preferences', a.as.manager.apiKey)).statusCode, 403);
    assert.equal((await send('GET', '/api/v1/me/notification-preferences', {})).statusCode, 401);
    await setPreferences(a, 'manager', { preferences: [{ kind: 'approval_requested', delivery: 'immediate' }] });
  });

  it('gathers digest items into one email a day at the person’s hour', async () => {
    await setPreferences(b, 'manager', { preferences: [{ kind: 'approval_requested', delivery: 'digest' }, { kind: 'capability_requested', delivery: 'digest' }], digestHourUtc: 9 });
    const agent = await agentNeedingApproval(b, 'digest-bot');
    const first = await pendingDecision(agent, 'orders/1');
    const second = await pendingDecision(agent, 'orders/2');
    const asked = await send('POST', `/api/v1/agents/${agent.id}/capability-requests`, b.as.member.apiKey, { capability: 'reports:read', reason: 'Monthly reports' });
    assert.equal(asked.statusCode, 201, asked.body);
    await smtp.waitFor('the admin’s immediate emails', () => mailsAbout(b, 'admin', 'digest-bot').length === 3);
    await t.platform.domainEvents.drain();
    await t.app.services.notifications.sendDue();
    const manager = seededEmail('manager', b.organizationId);
    assert.deepEqual(smtp.to(manager), [], 'nothing immediate for a digest reader');

    // Before the person's hour: nothing. At it: one email with every item. Again that day: nothing.
    const day = new Date();
    const at = (hour: number) => new Date(Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate(), hour, 5) + 86_400_000);
    assert.equal(await t.app.services.notifications.sendDigests(b.organizationId, at(8)), 0);
    assert.equal(await t.app.services.notifications.sendDigests(b.organizationId, at(9)), 1);
    assert.equal(await t.app.services.notifications.sendDigests(b.organizationId, at(10)), 0);
    await smtp.waitFor('the digest', () => smtp.to(manager).length === 1);
    const [digest] = smtp.to(manager);
    assert.match(digest!.parsed.subject!, /^AIM daily digest for Globex \w+: 3 notifications$/);
    for (const id of [first, second]) {
      assert.ok(digest!.parsed.text!.includes(`${PUBLIC_URL}/decisions/detail/?id=${id}`));
      assert.ok(mailHtml(digest!).includes(`href="${PUBLIC_URL}/decisions/detail/?id=${id}"`));
    }
    assert.ok(digest!.parsed.text!.includes('digest-bot asks for reports:read'));
    assert.ok(mailHtml(digest!).includes('Capability requests'));
    assert.deepEqual((await rowsOf(first)).map((r) => [r.mode, r.status]).sort(), [['digest', 'sent'], ['immediate', 'sent']]);
  });

  it('sends one email for an event delivered twice', async () => {
    const heard: DomainEvent[] = [];
    const stop = await t.platform.domainEvents.listen((e) => void heard.push(e));
    try {
      const agent = await agentNeedingApproval(a, 'twice-bot');
      const decisionId = await pendingDecision(agent);
      await smtp.waitFor('the first email', () => mailsAbout(a, 'manager', decisionId).length === 1);
      await until('the event heard', async () => heard.some((e) => e.type === 'decision.created' && e.data.decisionId === decisionId));
      const event = heard.find((e) => e.type === 'decision.created' && e.data.decisionId === decisionId)!;
      // The dispatcher delivers at least once: the same event again schedules nothing.
      await t.app.services.notifications.schedule(event);
      await t.app.services.notifications.schedule(event);
      await t.app.services.notifications.sendDue();
      assert.equal(mailsAbout(a, 'manager', decisionId).length, 1);
      assert.equal((await rowsOf(decisionId)).length, 2);
    } finally {
      stop();
    }
  });

  it('mails the invitation with a text and an HTML part', async () => {
    const res = await send('POST', '/api/v1/invitations', a.as.admin.apiKey, { email: 'newcomer@example.com', role: 'member' });
    assert.equal(res.statusCode, 201, res.body);
    const link = res.json().link as string;
    await smtp.waitFor('the invitation', () => smtp.to('newcomer@example.com').length === 1);
    const [mail] = smtp.to('newcomer@example.com');
    assert.equal(mail!.parsed.subject, 'You are invited to an organization on AIM');
    assert.ok(link.startsWith(`${PUBLIC_URL}/invite/?token=`));
    assert.ok(mail!.parsed.text!.includes(link));
    assert.ok(mailHtml(mail!).includes(`href="${link}"`));
    assert.doesNotMatch(mail!.raw, /^List-Unsubscribe:/m, 'an invitation is not a notification');
  });

  it('retries while the SMTP server is down, and sends once it is back', async () => {
    await smtp.stop();
    try {
      const agent = await agentNeedingApproval(a, 'down-bot');
      const decisionId = await pendingDecision(agent);
      await until('the failed attempts recorded', async () => {
        const rows = await rowsOf(decisionId);
        return rows.length === 2 && rows.every((r) => r.attempts === 1 && r.status === 'pending' && r.last_error !== null);
      });
      const [row] = await rowsOf(decisionId);
      assert.match(row!.last_error!, /ECONNREFUSED|ESOCKET|ECONNECTION/);
      const due = await (await t.owner()).query(`select next_attempt_at > now() + interval '20 seconds' as later from notifications where payload->>'decisionId' = $1`, [decisionId]);
      assert.ok(due.rows.every((r) => r.later), 'the next attempt waits (30 s after the first failure)');
      assert.ok(t.logs.lines.some((l) => l.msg === 'notification email failed; retrying later'));
      assert.ok(!t.logs.raw.some((l) => l.includes(seededEmail('manager', a.organizationId))), 'no address in the log');
      await smtp.start();
      // Time passes: the retry is due now.
      await (await t.owner()).query(`update notifications set next_attempt_at = now() where payload->>'decisionId' = $1`, [decisionId]);
      await t.app.services.notifications.sendDue();
      await smtp.waitFor('the retried emails', () => mailsAbout(a, 'manager', decisionId).length === 1 && mailsAbout(a, 'admin', decisionId).length === 1);
      assert.deepEqual((await rowsOf(decisionId)).map((r) => [r.status, r.attempts]), [['sent', 2], ['sent', 2]]);
    } finally {
      await smtp.start();
    }
  });

  it('sends nothing to someone who left the organization before the email went out', async () => {
    await smtp.stop();
    let decisionId: string;
    try {
      const agent = await agentNeedingApproval(b, 'leaver-bot');
      decisionId = await pendingDecision(agent);
      await until('the failed attempts recorded', async () => (await rowsOf(decisionId)).filter((r) => r.mode === 'immediate' && r.last_error !== null).length === 1);
      // B's manager reads approvals in the digest (an earlier test): the admin's email waits; the manager leaves.
      assert.equal((await send('DELETE', `/api/v1/members/${b.as.manager.userId}`, b.as.admin.apiKey)).statusCode, 200);
    } finally {
      await smtp.start();
    }
    await (await t.owner()).query(`update notifications set next_attempt_at = now() where payload->>'decisionId' = $1 and status = 'pending' and mode = 'immediate'`, [decisionId]);
    await t.app.services.notifications.sendDue();
    await smtp.waitFor('the admin’s email', () => mailsAbout(b, 'admin', decisionId).length === 1);
    const later = new Date(Date.now() + 2 * 86_400_000);
    later.setUTCHours(23);
    assert.equal(await t.app.services.notifications.sendDigests(b.organizationId, later), 0, 'no digest for someone who left');
    assert.deepEqual(mailsAbout(b, 'manager', decisionId), []);
    assert.deepEqual((await rowsOf(decisionId)).map((r) => [r.mode, r.status]).sort(), [['digest', 'cancelled'], ['immediate', 'sent']]);
  });
});
