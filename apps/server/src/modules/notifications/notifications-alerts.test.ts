import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { raiseAlert } from '../../testing/alert-rows.js';
import { registerAgent } from '../../testing/agent-fixtures.js';
import { seededEmail, seedOrganization, type SeededOrganization } from '../../testing/people-fixtures.js';
import { mailHtml, startSmtpCapture, type SmtpCapture } from '../../testing/smtp-capture.js';
import { forEachTarget } from '../../testing/targets.js';
import { createTestApp, type TestApp } from '../../testing/test-app.js';
import { until } from '../../testing/until.js';

const PUBLIC_URL = 'http://aim.test:8080';
/** A name that would be markup if it were not escaped. */
const HOSTILE = `<b onmouseover="x()">bot</b> & 'co'`;
const ROLES = ['admin', 'manager', 'member', 'viewer'] as const;


/**
 * The `alert` email (docs/notifications.md): scheduled from alert.raised for everyone who may read
 * alerts, by each person's delivery and lowest severity, through a real SMTP server.
 */
forEachTarget('email notifications: alerts', (target) => {
  let t: TestApp;
  let smtp: SmtpCapture;
  let a: SeededOrganization;
  let b: SeededOrganization;
  before(async () => {
    smtp = await startSmtpCapture();
    t = await createTestApp(target, { env: { PUBLIC_URL, SMTP_URL: smtp.url, MAIL_FROM: 'AIM <aim@aim.test>' } });
    a = await seedOrganization(t, 'Acme');
    b = await seedOrganization(t, 'Globex');
  });
  after(async () => {
    await t?.close();
    await smtp?.stop();
  });

  const mailsAbout = (org: SeededOrganization, role: string, alertId: string) => smtp.to(seededEmail(role, org.organizationId)).filter((m) => (m.parsed.text ?? '').includes(alertId));
  const setPreferences = async (org: SeededOrganization, role: (typeof ROLES)[number], body: unknown) => {
    const res = await t.app.inject({
      method: 'PUT',
      url: '/api/v1/me/notification-preferences',
      headers: { ...org.as[role].session, origin: PUBLIC_URL, 'content-type': 'application/json' },
      payload: JSON.stringify(body),
    });
    assert.equal(res.statusCode, 200, res.body);
  };
  const rowsOf = async (alertId: string) =>
    (await (await t.owner()).query<{ mode: string; status: string }>(`select mode, status from notifications where payload->>'alertId' = $1 order by user_id`, [alertId])).rows;

  it('mails a critical alert at once to everyone who may read alerts: title, severity, the agent, the numbers, a link; escaped', async () => {
    const { agent } = await registerAgent(t, a.as.member.apiKey, { name: HOSTILE });
    const alertId = await raiseAlert(t, a.organizationId, { severity: 'critical', subject: { type: 'agent', id: agent.id } });
    await smtp.waitFor('the alert emails', () => ROLES.every((role) => mailsAbout(a, role, alertId).length === 1));
    await t.platform.domainEvents.drain();
    assert.equal(smtp.messages.filter((m) => m.envelopeTo.some((to) => to.endsWith(`${b.organizationId.slice(-8)}@example.com`))).length, 0, 'not another organization');

    const [mail] = mailsAbout(a, 'viewer', alertId);
    assert.equal(mail!.parsed.subject, `[critical] Possible key theft: ${HOSTILE}`);
    const text = mail!.parsed.text!;
    const link = `${PUBLIC_URL}/alerts/detail/?id=${alertId}`;
    assert.ok(text.includes(link), text);
    assert.ok(text.includes('12 refused requests named the agent’s key in 10 minutes (threshold 5)'), 'the summary with its numbers');
    assert.ok(text.includes('Observed: 12 failures in 10 minutes'), text);
    assert.ok(text.includes('Threshold: 5 failures in 10 minutes'), text);
    assert.ok(text.includes(`Subject: Agent ${HOSTILE} (${agent.id})`), text);
    assert.ok(text.includes('Severity: critical'), text);
    const html = mailHtml(mail!);
    assert.ok(html.includes(`href="${link}"`), html);
    assert.ok(!html.includes('<b onmouseover'), 'no markup from the agent name');
    assert.ok(html.includes('&lt;b onmouseover=&quot;x()&quot;&gt;bot&lt;/b&gt; &amp; &#39;co&#39;'), html);
    assert.match(mail!.raw, /^List-Unsubscribe: <http:\/\/aim\.test:8080\/account\/>/m);
    // The sender marks a row sent after the SMTP server took the mail, so the capture can see it first.
    await until('the notifications marked sent', async () => (await rowsOf(alertId)).every((r) => r.status === 'sent'));
    assert.deepEqual((await rowsOf(alertId)).map((r) => [r.mode, r.status]), ROLES.map(() => ['immediate', 'sent']));
  });

  it('follows each person’s choice: delivery, lowest severity (default high), and the digest includes alerts', async () => {
    await setPreferences(b, 'manager', { preferences: [{ kind: 'alert', delivery: 'immediate', minSeverity: 'critical' }] });
    await setPreferences(b, 'member', { preferences: [{ kind: 'alert', delivery: 'off' }] });
    await setPreferences(b, 'viewer', { preferences: [{ kind: 'alert', delivery: 'digest', minSeverity: 'low' }], digestHourUtc: 9 });
    const { agent } = await registerAgent(t, b.as.admin.apiKey, { name: 'exporter' });
    const medium = await raiseAlert(t, b.organizationId, { severity: 'medium', type: 'rate_anomaly', title: 'Request rate far above baseline', subject: { type: 'agent', id: agent.id } });
    const high = await raiseAlert(t, b.organizationId, { severity: 'high', type: 'data_volume', title: 'Data volume far above baseline', subject: { type: 'agent', id: agent.id } });
    await smtp.waitFor('the admin’s email about the high alert', () => mailsAbout(b, 'admin', high).length === 1);
    await t.platform.domainEvents.drain();
    await t.app.services.notifications.sendDue();
    assert.deepEqual(mailsAbout(b, 'admin', medium), [], 'medium is below the default (high)');
    assert.deepEqual(mailsAbout(b, 'manager', high), [], 'high is below the manager’s critical');
    assert.deepEqual(mailsAbout(b, 'member', high), [], 'off');
    assert.deepEqual(mailsAbout(b, 'viewer', high), [], 'the viewer reads them in the digest');
    assert.deepEqual((await rowsOf(medium)).map((r) => r.mode), ['digest'], 'only the viewer (from low) keeps the medium alert');

    const day = new Date();
    day.setUTCHours(9, 30, 0, 0);
    assert.equal(await t.app.services.notifications.sendDigests(b.organizationId, new Date(Math.max(day.getTime(), Date.now() + 1000))), 1);
    const viewer = seededEmail('viewer', b.organizationId);
    await smtp.waitFor('the viewer’s digest', () => smtp.to(viewer).length === 1);
    const [digest] = smtp.to(viewer);
    assert.match(digest!.parsed.subject!, /: 2 notifications$/);
    assert.ok(digest!.parsed.text!.includes('[high] Data volume far above baseline: exporter'), digest!.parsed.text);
    assert.ok(digest!.parsed.text!.includes('[medium] Request rate far above baseline: exporter'));
    for (const id of [medium, high]) assert.ok(mailHtml(digest!).includes(`href="${PUBLIC_URL}/alerts/detail/?id=${id}"`), id);
  });
});
