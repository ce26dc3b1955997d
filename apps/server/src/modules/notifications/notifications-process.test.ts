import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { secure } from '@aim/sdk';
import { startAim, type AimProcess } from '../../testing/aim-process.js';
import { startSmtpCapture, type SmtpCapture } from '../../testing/smtp-capture.js';

/**
 * As `npm start` runs it, with SMTP_URL pointing at the test's own SMTP server: an agent's action
 * that waits for approval reaches the organization's admin by email, with a link to the decision
 * on the dashboard at AIM's address.
 */
const BOOTSTRAP = 'bootstrap-token-for-the-notifications-test-0123456789';

describe('email notifications in the real process', () => {
  let aim: AimProcess | undefined;
  let smtp: SmtpCapture | undefined;
  let dataDir: string | undefined;
  after(async () => {
    await aim?.stop();
    await smtp?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('mails the approval request of a pending decision to the admin', async () => {
    smtp = await startSmtpCapture();
    dataDir = await mkdtemp(join(tmpdir(), 'aim-notifications-'));
    aim = await startAim(
      { AIM_DATA_DIR: dataDir, PORT: '0', SERVE_DASHBOARD: 'false', AIM_BOOTSTRAP_TOKEN: BOOTSTRAP, SMTP_URL: smtp.url, MAIL_FROM: 'AIM <aim@example.com>' },
      { readyTimeoutMs: 120_000 },
    );
    const base = aim.base;
    const setup = await fetch(`${base}/api/v1/setup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: BOOTSTRAP, organization: { name: 'Approvers' }, admin: { email: 'ops@approvers.example', name: 'Ops' } }),
    });
    assert.equal(setup.status, 201, await setup.clone().text());
    const { apiKey } = (await setup.json()) as { apiKey: { key: string } };
    const call = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${base}${path}`, {
        method,
        headers: { authorization: `Bearer ${apiKey.key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      const text = await res.text();
      assert.ok(res.status < 300, `${method} ${path}: ${res.status} ${text}`);
      return text ? JSON.parse(text) : undefined;
    };

    await call('POST', '/api/v1/capabilities', { name: 'payments:refund', riskLevel: 'high' });
    await call('POST', '/api/v1/policies', { name: 'refunds need a person', type: 'require_approval', config: { minRisk: 'high' } });
    const enrollment = await call('POST', '/api/v1/enrollment-tokens', { expiresInSeconds: 3600 });
    const agent = await secure('refund-bot', { baseUrl: base, enrollmentToken: enrollment.token, credentialsPath: join(dataDir, 'agent.json') });
    await call('POST', `/api/v1/agents/${agent.id}/grants`, { capability: 'payments:refund' });
    const asked = await agent.verifyAction('payments:refund', 'orders/7');
    assert.equal(asked.decision, 'pending');

    await smtp.waitFor('the approval email', (messages) => messages.some((m) => m.envelopeTo.includes('ops@approvers.example') && /^Approval needed/.test(m.parsed.subject ?? '')), 60_000);
    const mail = smtp.to('ops@approvers.example', /^Approval needed/)[0]!;
    assert.equal(mail.parsed.subject, 'Approval needed: refund-bot asks to payments:refund');
    const link = `${base}/decisions/detail/?id=${asked.decisionId}`;
    assert.ok(mail.parsed.text!.includes(link), mail.parsed.text);
    assert.ok(typeof mail.parsed.html === 'string' && mail.parsed.html.includes(`href="${link}"`));
    assert.equal(smtp.to('ops@approvers.example', /^Approval needed/).length, 1);
  });
});
