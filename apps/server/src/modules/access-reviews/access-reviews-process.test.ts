import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AimError, secure } from '@aim/sdk';
import { setUpOrganization, startAim, type AimProcess } from '../../testing/aim-process.js';
import { startSmtpCapture, type SmtpCapture } from '../../testing/smtp-capture.js';

/**
 * An access review campaign on the real server process (`npm start`: embedded PostgreSQL, SMTP_URL at the
 * test's own SMTP server, the `aim.access-reviews` job scheduled every minute): an agent enrolled with the
 * SDK and granted a critical capability; the reviewer gets the reminder from the scheduled job; revoking
 * the grant turns the agent's next decision into a deny, revoking the agent refuses its next request; the
 * report shows both decisions.
 */
const BOOTSTRAP = 'bootstrap-token-for-access-reviews-0123456789';
const ADMIN = 'owner@reviews.example';

describe('access reviews on the running server', () => {
  let aim: AimProcess | undefined;
  let smtp: SmtpCapture | undefined;
  let dataDir: string | undefined;
  after(async () => {
    if (aim && aim.child.exitCode === null) await aim.stop();
    await smtp?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('reminds the reviewer by email, and a revoked grant and a revoked agent take effect at once', async () => {
    smtp = await startSmtpCapture();
    dataDir = await mkdtemp(join(tmpdir(), 'aim-reviews-'));
    aim = await startAim(
      {
        AIM_DATA_DIR: dataDir,
        PORT: '0',
        SERVE_DASHBOARD: 'false',
        AIM_BOOTSTRAP_TOKEN: BOOTSTRAP,
        SMTP_URL: smtp.url,
        MAIL_FROM: 'AIM <aim@reviews.example>',
        JOB_SCHEDULES: 'aim.access-reviews=* * * * *',
        JOB_CRON_CHECK_SECONDS: '2',
      },
      { readyTimeoutMs: 120_000 },
    );
    const base = aim.base;
    const { call } = await setUpOrganization(aim, { token: BOOTSTRAP, organization: 'Reviewers', adminEmail: ADMIN, adminName: 'Owner' });

    await call('POST', '/api/v1/capabilities', { name: 'payments:refund', riskLevel: 'critical' }, 201);
    const enrollment = await call('POST', '/api/v1/enrollment-tokens', { expiresInSeconds: 3600 }, 201);
    const agent = await secure('refund-bot', { baseUrl: base, enrollmentToken: enrollment.token, credentialsPath: join(dataDir, 'agent.json') });
    await call('POST', `/api/v1/agents/${agent.id}/grants`, { capability: 'payments:refund' }, 201);
    assert.equal((await agent.verifyAction('payments:refund', 'orders/1')).decision, 'allow');

    const deadline = new Date(Date.now() + 7 * 86_400_000).toISOString();
    const grants = (await call('POST', '/api/v1/access-reviews', { name: 'Critical grants', scope: { kind: 'high_risk_grants' }, deadline }, 201)).accessReview;
    const agents = (await call('POST', '/api/v1/access-reviews', { name: 'All agents', scope: { kind: 'all_agents' }, deadline, autoRevoke: true }, 201)).accessReview;
    assert.equal(grants.summary.total, 1);
    assert.equal(agents.summary.total, 1);

    // The scheduled job reminds the reviewer (the agent's owner: the admin) of each campaign, once.
    await smtp.waitFor('two reminders', (m) => m.filter((x) => x.envelopeTo.includes(ADMIN) && /^Access review/.test(x.parsed.subject ?? '')).length >= 2, 150_000);
    const subjects = smtp.to(ADMIN, /^Access review/).map((m) => m.parsed.subject);
    assert.ok(subjects.some((s) => s?.startsWith('Access review "Critical grants": 1 item waiting for you')), JSON.stringify(subjects));
    assert.ok(subjects.some((s) => s?.startsWith('Access review "All agents"')));

    const inbox = (await call('GET', '/api/v1/me/access-review-items')).items as { id: string; reviewId: string; subjectType: string }[];
    assert.deepEqual(inbox.map((i) => i.subjectType).sort(), ['agent', 'grant']);
    const grantItem = inbox.find((i) => i.reviewId === grants.id)!;
    const agentItem = inbox.find((i) => i.reviewId === agents.id)!;

    await call('POST', `/api/v1/access-reviews/${grants.id}/items/${grantItem.id}/decision`, { decision: 'revoke', note: 'Refunds moved to the billing team' }, 200);
    assert.equal((await agent.verifyAction('payments:refund', 'orders/2')).decision, 'deny', 'the revoked grant no longer allows');

    await call('POST', `/api/v1/access-reviews/${agents.id}/items/${agentItem.id}/decision`, { decision: 'revoke', note: 'Retired' }, 200);
    await assert.rejects(agent.identity(), (error: unknown) => error instanceof AimError && error.code === 'agent_revoked');

    const report = await call('GET', `/api/v1/access-reviews/${grants.id}/report`);
    assert.deepEqual(report.items.map((i: { decision: string; note: string }) => [i.decision, i.note]), [['revoked', 'Refunds moved to the billing team']]);
    await call('POST', `/api/v1/access-reviews/${grants.id}/complete`, undefined, 200);
    assert.equal((await call('GET', `/api/v1/access-reviews/${grants.id}`)).accessReview.status, 'completed');
  });
});
