import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { ALERT_STATUSES, type AlertStatus } from '@aim/contracts';
import { forEachTarget } from '../../../testing/targets.js';
import { createTestApp, type TestApp } from '../../../testing/test-app.js';
import { seedOrganization, type SeededOrganization } from '../../../testing/people-fixtures.js';
import { insertAlert } from '../../../testing/alert-fixtures.js';
import { SYSTEM_CONTEXT } from '../../../platform/http/request-context.js';
import { newId } from '../../../platform/ids.js';
import { TRANSITIONS } from './alert-lifecycle.js';
import { alertJobs } from './alert-operations.js';

type Headers = Record<string, string>;
const ACTIONS = ['acknowledge', 'snooze', 'resolve', 'false_positive', 'reopen'] as const;
const TARGET: Record<(typeof ACTIONS)[number], AlertStatus> = {
  acknowledge: 'acknowledged',
  snooze: 'snoozed',
  resolve: 'resolved',
  false_positive: 'false_positive',
  reopen: 'open',
};
const AUDIT: Record<AlertStatus, string> = {
  acknowledged: 'alert.acknowledged',
  snoozed: 'alert.snoozed',
  resolved: 'alert.resolved',
  false_positive: 'alert.false_positive',
  open: 'alert.reopened',
};
const inHours = (h: number) => new Date(Date.now() + h * 3_600_000).toISOString();

forEachTarget('alerts: lifecycle', (target) => {
  let t: TestApp;
  let a: SeededOrganization;
  let b: SeededOrganization;
  before(async () => {
    t = await createTestApp(target, { env: { RATE_LIMIT_IP_MAX: '100000', RATE_LIMIT_PRINCIPAL_MAX: '100000' } });
    a = await seedOrganization(t, 'A');
    b = await seedOrganization(t, 'B');
  });
  after(() => t?.close());

  const send = (method: 'GET' | 'POST', url: string, headers: Headers, payload?: unknown) =>
    t.app.inject({
      method,
      url,
      headers: { ...headers, ...(payload === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }),
    });
  /** The single action's route and body. */
  const act = (id: string, action: (typeof ACTIONS)[number], headers: Headers = a.as.manager.apiKey, extra: Record<string, unknown> = {}) => {
    if (action === 'resolve' || action === 'false_positive') return send('POST', `/api/v1/alerts/${id}/resolve`, headers, { resolution: action === 'resolve' ? 'resolved' : 'false_positive', ...extra });
    if (action === 'snooze') return send('POST', `/api/v1/alerts/${id}/snooze`, headers, { until: inHours(2), ...extra });
    return send('POST', `/api/v1/alerts/${id}/${action}`, headers, extra);
  };
  const auditOf = async (targetId: string) => {
    await t.platform.auditSequencer.drain(a.organizationId);
    const { rows } = await (await t.owner()).query(
      'select action, actor_type, actor_id, request_id, details from audit_events where organization_id = $1 and target_id = $2 order by occurred_at, id',
      [a.organizationId, targetId],
    );
    return rows as { action: string; actor_type: string; actor_id: string | null; request_id: string; details: Record<string, unknown> }[];
  };
  const row = async (id: string) => (await (await t.owner()).query('select * from alerts where id = $1', [id])).rows[0] as Record<string, unknown>;

  it('takes every transition the table allows and refuses every other with alert_transition_not_allowed, changing nothing', async () => {
    let allowed = 0;
    let refused = 0;
    for (const from of ALERT_STATUSES) {
      for (const action of ACTIONS) {
        const id = await insertAlert(t, a.organizationId, { status: from });
        const before = await row(id);
        const res = await act(id, action);
        const to = TARGET[action];
        if (TRANSITIONS[from].includes(to)) {
          assert.equal(res.statusCode, 200, `${from} → ${action}: ${res.body}`);
          assert.equal(res.json().alert.status, to, `${from} → ${action}`);
          allowed += 1;
        } else {
          assert.equal(res.statusCode, 409, `${from} → ${action} must be refused: ${res.body}`);
          const error = res.json().error;
          assert.equal(error.code, 'alert_transition_not_allowed');
          assert.match(error.message, new RegExp(`is ${from.replace('_', ' ')} and cannot`), error.message);
          assert.match(error.message, /it can be: /);
          assert.equal(error.details.status, from);
          assert.equal(error.details.allowed, TRANSITIONS[from].join(','));
          assert.deepEqual(await row(id), before, 'a refused action changes nothing');
          assert.deepEqual(await auditOf(id), [], 'and audits nothing');
          refused += 1;
        }
      }
    }
    // open 4, acknowledged 4, snoozed 4, resolved 1, false_positive 1 of 25.
    assert.deepEqual([allowed, refused], [14, 11]);
  });

  it('records who acknowledged and resolved, the snooze end, and clears them when reopened; each change audited with its request id and announced', async () => {
    const id = await insertAlert(t, a.organizationId, { status: 'open', type: 'key_misuse', severity: 'critical' });
    const heard: { data: Record<string, unknown> }[] = [];
    const stop = await t.platform.domainEvents.listen((e) => {
      if (e.type === 'alert.status_changed' && e.data.alertId === id) heard.push(e as never);
    });
    try {
      const acknowledged = await act(id, 'acknowledge', a.as.manager.session);
      const ack = acknowledged.json().alert;
      assert.equal(ack.status, 'acknowledged');
      assert.deepEqual(ack.acknowledgedBy, { type: 'user', id: a.as.manager.userId });
      assert.ok(Date.parse(ack.acknowledgedAt) > Date.now() - 60_000);
      assert.ok(Date.parse(ack.updatedAt) >= Date.parse(ack.createdAt));

      const until = inHours(5);
      const snoozeRes = await act(id, 'snooze', a.as.admin.apiKey, { until });
      const snoozed = snoozeRes.json().alert;
      assert.equal(snoozed.status, 'snoozed');
      assert.equal(snoozed.snoozedUntil, until);
      assert.deepEqual(snoozed.acknowledgedBy, ack.acknowledgedBy, 'snoozing keeps who acknowledged');

      const resolved = await act(id, 'resolve', a.as.manager.apiKey);
      const res = resolved.json().alert;
      assert.equal(res.status, 'resolved');
      assert.equal(res.snoozedUntil, null);
      assert.deepEqual(res.resolvedBy, { type: 'api_key', id: a.as.manager.apiKeyId });
      assert.ok(res.resolvedAt);

      const reopened = await act(id, 'reopen', a.as.manager.apiKey);
      const open = reopened.json().alert;
      assert.equal(open.status, 'open');
      for (const field of ['acknowledgedAt', 'acknowledgedBy', 'resolvedAt', 'resolvedBy', 'snoozedUntil']) assert.equal(open[field], null, field);

      const events = await auditOf(id);
      assert.deepEqual(
        events.map((e) => [e.action, e.actor_type, e.details]),
        [
          ['alert.acknowledged', 'user', { from: 'open' }],
          ['alert.snoozed', 'api_key', { from: 'acknowledged', until }],
          ['alert.resolved', 'api_key', { from: 'snoozed' }],
          ['alert.reopened', 'api_key', { from: 'resolved' }],
        ],
      );
      assert.deepEqual(
        events.map((e) => e.request_id),
        [acknowledged, snoozeRes, resolved, reopened].map((r) => String(r.headers['x-request-id'])),
        'each event carries the request id of its change',
      );

      await t.platform.domainEvents.drain();
      for (let i = 0; i < 100 && heard.length < 4; i++) await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual(
        heard.map((e) => [e.data.previousStatus, e.data.status]),
        [
          ['open', 'acknowledged'],
          ['acknowledged', 'snoozed'],
          ['snoozed', 'resolved'],
          ['resolved', 'open'],
        ],
      );
      assert.deepEqual(heard[0]!.data, {
        alertId: id,
        type: 'key_misuse',
        severity: 'critical',
        subject: open.subject,
        status: 'acknowledged',
        previousStatus: 'open',
        changedBy: { type: 'user', id: a.as.manager.userId },
      });
    } finally {
      stop();
    }
  });

  it('marks a false positive, and keeps a note given with an action in the same change', async () => {
    const id = await insertAlert(t, a.organizationId);
    const res = await act(id, 'false_positive', a.as.admin.session, { note: '  A load test we scheduled.  ' });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().alert.status, 'false_positive');
    const detail = (await send('GET', `/api/v1/alerts/${id}`, a.as.viewer.apiKey)).json();
    assert.equal(detail.notes.length, 1);
    assert.deepEqual(
      { body: detail.notes[0].body, author: detail.notes[0].author, alertId: detail.notes[0].alertId },
      { body: 'A load test we scheduled.', author: { type: 'user', id: a.as.admin.userId }, alertId: id },
    );
    assert.match(detail.notes[0].id, /^aln_[0-9a-z]{26}$/);
    const [event] = await auditOf(id);
    assert.deepEqual(event!.details, { from: 'open', noteId: detail.notes[0].id }, 'the audit names the note, not its text');

    // A refused action keeps no note either.
    const refused = await act(id, 'acknowledge', a.as.admin.apiKey, { note: 'never stored' });
    assert.equal(refused.statusCode, 409);
    assert.equal((await send('GET', `/api/v1/alerts/${id}`, a.as.admin.apiKey)).json().notes.length, 1);
  });

  it('adds notes in any status, oldest first in the detail, each audited as alert.note_added', async () => {
    const id = await insertAlert(t, a.organizationId, { status: 'resolved' });
    const first = await send('POST', `/api/v1/alerts/${id}/notes`, a.as.manager.apiKey, { body: 'Checked the decisions: all from the batch job.' });
    assert.equal(first.statusCode, 201, first.body);
    const second = await send('POST', `/api/v1/alerts/${id}/notes`, a.as.admin.session, { body: 'Closing.' });
    const detail = (await send('GET', `/api/v1/alerts/${id}`, a.as.member.session)).json();
    assert.deepEqual(detail.notes.map((n: { body: string }) => n.body), ['Checked the decisions: all from the batch job.', 'Closing.']);
    assert.deepEqual(detail.notes[0], first.json().note);
    assert.equal(detail.alert.status, 'resolved', 'a note changes no status');
    const events = await auditOf(id);
    assert.deepEqual(events.map((e) => [e.action, e.details, e.request_id]), [
      ['alert.note_added', { noteId: first.json().note.id }, first.headers['x-request-id']],
      ['alert.note_added', { noteId: second.json().note.id }, second.headers['x-request-id']],
    ]);
    for (const body of [{ body: '' }, { body: '   ' }, { body: 'x'.repeat(4001) }, {}]) {
      const bad = await send('POST', `/api/v1/alerts/${id}/notes`, a.as.manager.apiKey, body);
      assert.equal(bad.statusCode, 400, JSON.stringify(body));
      assert.equal(bad.json().error.code, 'validation_failed');
      assert.match(bad.json().error.message, /body/);
    }
  });

  it('reopens a resolved alert only while no other active alert has its deduplication key', async () => {
    const dedupKey = `rate_anomaly:${newId('agt')}`;
    const old = await insertAlert(t, a.organizationId, { status: 'resolved', dedupKey });
    const current = await insertAlert(t, a.organizationId, { status: 'acknowledged', dedupKey });
    const refused = await act(old, 'reopen');
    assert.equal(refused.statusCode, 409, refused.body);
    assert.equal(refused.json().error.code, 'alert_reopen_conflict');
    assert.equal(refused.json().error.details.activeAlertId, current);
    assert.match(refused.json().error.message, new RegExp(current));
    assert.equal((await row(old)).status, 'resolved');

    assert.equal((await act(current, 'resolve')).statusCode, 200);
    const reopened = await act(old, 'reopen');
    assert.equal(reopened.statusCode, 200, reopened.body);
    assert.equal(reopened.json().alert.status, 'open');
    // Now the other one cannot come back while this one is active.
    assert.equal((await act(current, 'reopen')).json().error.code, 'alert_reopen_conflict');
  });

  it('refuses a snooze that does not end in the future or ends more than 90 days ahead', async () => {
    const id = await insertAlert(t, a.organizationId);
    for (const until of [new Date(Date.now() - 60_000).toISOString(), new Date(Date.now() + 91 * 86_400_000).toISOString()]) {
      const res = await act(id, 'snooze', a.as.manager.apiKey, { until });
      assert.equal(res.statusCode, 400, res.body);
      assert.equal(res.json().error.code, 'alert_snooze_invalid');
      assert.match(res.json().error.message, /^until: /);
    }
    const malformed = await act(id, 'snooze', a.as.manager.apiKey, { until: 'tomorrow' });
    assert.equal(malformed.json().error.code, 'validation_failed');
    assert.equal((await row(id)).status, 'open');
    const ok = await act(id, 'snooze', a.as.manager.apiKey, { until: new Date(Date.now() + 89 * 86_400_000).toISOString() });
    assert.equal(ok.statusCode, 200, ok.body);
  });

  it('assigns to members only, in any status, without changing the status; unassigns with null', async () => {
    const id = await insertAlert(t, a.organizationId, { status: 'snoozed' });
    const assign = (assigneeId: string | null, headers: Headers = a.as.manager.apiKey) => send('POST', `/api/v1/alerts/${id}/assign`, headers, { assigneeId });
    const res = await assign(a.as.member.userId);
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().alert.assigneeId, a.as.member.userId);
    assert.equal(res.json().alert.status, 'snoozed');
    const outsider = await assign(b.as.admin.userId);
    assert.equal(outsider.statusCode, 400);
    assert.equal(outsider.json().error.code, 'alert_assignee_not_member');
    assert.match(outsider.json().error.message, /^assigneeId: /);
    assert.equal((await assign(newId('usr'))).json().error.code, 'alert_assignee_not_member');
    assert.equal((await assign('someone')).json().error.code, 'validation_failed');
    // The same assignee again changes nothing and audits nothing.
    assert.equal((await assign(a.as.member.userId)).statusCode, 200);
    const cleared = await assign(null, a.as.admin.session);
    assert.equal(cleared.json().alert.assigneeId, null);
    assert.deepEqual((await auditOf(id)).map((e) => [e.action, e.details]), [
      ['alert.assigned', { from: null, to: a.as.member.userId }],
      ['alert.assigned', { from: a.as.member.userId, to: null }],
    ]);
  });

  it('answers alert_not_found for an unknown id and for another organization’s alert, in every operation, and changes nothing', async () => {
    const theirs = await insertAlert(t, b.organizationId);
    const before = await row(theirs);
    for (const id of [theirs, newId('alr')]) {
      const calls = [
        send('GET', `/api/v1/alerts/${id}`, a.as.admin.apiKey),
        ...ACTIONS.map((action) => act(id, action, a.as.admin.apiKey)),
        send('POST', `/api/v1/alerts/${id}/assign`, a.as.admin.apiKey, { assigneeId: a.as.admin.userId }),
        send('POST', `/api/v1/alerts/${id}/notes`, a.as.admin.apiKey, { body: 'hello' }),
      ];
      for (const res of await Promise.all(calls)) {
        assert.equal(res.statusCode, 404, res.body);
        assert.equal(res.json().error.code, 'alert_not_found');
      }
      const bulk = await send('POST', '/api/v1/alerts/bulk', a.as.admin.apiKey, { alertIds: [id], action: 'acknowledge' });
      assert.equal(bulk.json().results[0].error.code, 'alert_not_found');
    }
    assert.deepEqual(await row(theirs), before);
    const list = (await send('GET', '/api/v1/alerts?limit=200', a.as.admin.apiKey)).json();
    assert.ok(!list.alerts.some((x: { id: string }) => x.id === theirs));
    assert.equal((await send('GET', '/api/v1/alerts/not-an-id', a.as.admin.apiKey)).json().error.code, 'validation_failed');
  });

  it('lets every role read, and only managers and admins act', async () => {
    const id = await insertAlert(t, a.organizationId);
    for (const role of ['viewer', 'member'] as const) {
      for (const via of ['session', 'apiKey'] as const) {
        const headers = a.as[role][via];
        assert.equal((await send('GET', `/api/v1/alerts/${id}`, headers)).statusCode, 200);
        assert.equal((await send('GET', '/api/v1/alerts', headers)).statusCode, 200);
        for (const res of [
          await act(id, 'acknowledge', headers),
          await send('POST', `/api/v1/alerts/${id}/notes`, headers, { body: 'hi' }),
          await send('POST', '/api/v1/alerts/bulk', headers, { alertIds: [id], action: 'acknowledge' }),
        ]) {
          assert.equal(res.statusCode, 403, `${role} ${via}: ${res.body}`);
          assert.equal(res.json().error.code, 'forbidden');
        }
      }
    }
    assert.equal((await row(id)).status, 'open');
    assert.equal((await act(id, 'acknowledge', a.as.manager.session)).statusCode, 200);
    assert.equal((await act(id, 'resolve', a.as.admin.session)).statusCode, 200);
  });

  it('opens snoozed alerts again when their time has come: the monitoring sweep, as the system, audited and announced', async () => {
    const due = await insertAlert(t, a.organizationId, { status: 'snoozed', snoozedUntil: new Date(Date.now() - 1000) });
    const later = await insertAlert(t, a.organizationId, { status: 'snoozed', snoozedUntil: new Date(Date.now() + 2 * 3_600_000) });
    const theirs = await insertAlert(t, b.organizationId, { status: 'snoozed', snoozedUntil: new Date(Date.now() - 1000) });
    const owner = await t.owner();
    const listed = (await owner.query('select organization_id from aim_alerts_snooze_ended_organizations()')).rows.map((r) => r.organization_id as string);
    assert.ok(listed.includes(a.organizationId) && listed.includes(b.organizationId));

    const heard: { data: Record<string, unknown> }[] = [];
    const stop = await t.platform.domainEvents.listen((e) => {
      if (e.type === 'alert.status_changed' && e.data.alertId === due) heard.push(e as never);
    });
    try {
      const [part] = alertJobs({ alerts: t.app.services.alerts });
      assert.equal(part!.name, 'aim.monitoring-sweep');
      assert.equal(part!.cron, '* * * * *');
      assert.equal(part!.perOrganization!.organizations, 'aim_alerts_snooze_ended_organizations');
      await part!.perOrganization!.run({ ...SYSTEM_CONTEXT, requestId: 'job:aim.monitoring-sweep' }, a.organizationId);
      assert.equal((await row(due)).status, 'open');
      assert.equal((await row(due)).snoozed_until, null);
      assert.equal((await row(later)).status, 'snoozed', 'a snooze that has not ended stays');
      assert.equal((await row(theirs)).status, 'snoozed', 'only the organization the sweep ran for');
      const [event] = await auditOf(due);
      assert.deepEqual([event!.action, event!.actor_type, event!.actor_id, event!.request_id, event!.details], [
        'alert.reopened',
        'system',
        null,
        'job:aim.monitoring-sweep',
        { from: 'snoozed', reason: 'snooze_ended' },
      ]);
      await t.platform.domainEvents.drain();
      for (let i = 0; i < 100 && heard.length < 1; i++) await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual(heard[0]?.data.changedBy, { type: 'system', id: null });
      assert.equal(heard[0]?.data.previousStatus, 'snoozed');

      // With a later time the other snooze ends too (the time is injectable for tests).
      const reopened = await t.app.services.alerts.reopenEndedSnoozes(SYSTEM_CONTEXT, a.organizationId, new Date(Date.now() + 3 * 3_600_000));
      assert.ok(reopened >= 1);
      assert.equal((await row(later)).status, 'open');
    } finally {
      stop();
    }
  });
});
