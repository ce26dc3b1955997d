import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { forEachTarget } from '../../../testing/targets.js';
import { createTestApp, type TestApp } from '../../../testing/test-app.js';
import { seedOrganization, type SeededOrganization } from '../../../testing/people-fixtures.js';
import { registerAgent } from '../../../testing/agent-fixtures.js';
import { insertAlert, insertLearningFinding } from '../../../testing/alert-fixtures.js';
import { newId } from '../../../platform/ids.js';

type Headers = Record<string, string>;
/** Newest first, as the API orders them: by id descending (ids made in the same millisecond sort by their random part). */
const desc = (...ids: string[]) => ids.sort().reverse();

forEachTarget('alerts: list, bulk actions, learning findings', (target) => {
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
  const ids = async (query: string, headers: Headers = a.as.viewer.apiKey) => {
    const res = await send('GET', `/api/v1/alerts?${query}`, headers);
    assert.equal(res.statusCode, 200, `${query}: ${res.body}`);
    return (res.json().alerts as { id: string }[]).map((x) => x.id);
  };
  const bulk = (body: Record<string, unknown>, headers: Headers = a.as.manager.apiKey) => send('POST', '/api/v1/alerts/bulk', headers, body);
  const statusOf = async (id: string) => (await (await t.owner()).query('select status from alerts where id = $1', [id])).rows[0]?.status as string;

  it('filters by status, severity and type (each repeatable), subject, assignee, unassigned and last seen, newest first', async () => {
    const subject = newId('agt');
    const hourAgo = new Date(Date.now() - 3_600_000);
    const dayAgo = new Date(Date.now() - 86_400_000);
    // A fresh organization, so the expected lists are exact.
    const c = await seedOrganization(t, 'C');
    const open = await insertAlert(t, c.organizationId, { severity: 'high', type: 'rate_anomaly', subjectId: subject, lastSeenAt: dayAgo });
    const acked = await insertAlert(t, c.organizationId, { status: 'acknowledged', severity: 'critical', type: 'key_misuse', assigneeId: c.as.manager.userId, lastSeenAt: hourAgo });
    const resolved = await insertAlert(t, c.organizationId, { status: 'resolved', severity: 'low', type: 'key_age', subjectId: subject });
    const server = await insertAlert(t, c.organizationId, { status: 'snoozed', severity: 'medium', type: 'heartbeat_lost', subjectType: 'mcp_server', subjectId: newId('mcp') });
    await insertAlert(t, a.organizationId, { severity: 'high', subjectId: subject });
    const h = c.as.viewer.session;
    assert.deepEqual(await ids('', h), desc(server, resolved, acked, open), 'every alert of the organization, newest first');
    assert.deepEqual(await ids('status=open&status=acknowledged', h), desc(acked, open));
    assert.deepEqual(await ids('status=resolved', h), desc(resolved));
    assert.deepEqual(await ids('severity=high&severity=critical', h), desc(acked, open));
    assert.deepEqual(await ids('type=key_misuse&type=key_age', h), desc(resolved, acked));
    assert.deepEqual(await ids(`subjectId=${subject}`, h), desc(resolved, open));
    assert.deepEqual(await ids('subjectType=mcp_server', h), desc(server));
    assert.deepEqual(await ids(`assigneeId=${c.as.manager.userId}`, h), desc(acked));
    assert.deepEqual(await ids('unassigned=true', h), desc(server, resolved, open));
    assert.deepEqual(await ids('unassigned=false', h), desc(acked));
    assert.deepEqual(await ids(`since=${encodeURIComponent(new Date(Date.now() - 2 * 3_600_000).toISOString())}`, h), desc(server, resolved, acked));
    assert.deepEqual(await ids(`until=${encodeURIComponent(new Date(Date.now() - 2 * 3_600_000).toISOString())}`, h), desc(open));
    assert.deepEqual(await ids(`status=open&severity=low`, h), desc());
    for (const bad of ['status=closed', 'severity=urgent', 'type=nope', 'subjectType=robot', 'assigneeId=x', 'unassigned=yes', 'since=yesterday', 'limit=0', 'limit=201', 'cursor=abc']) {
      const res = await send('GET', `/api/v1/alerts?${bad}`, h);
      assert.equal(res.statusCode, 400, bad);
      assert.equal(res.json().error.code, 'validation_failed', bad);
      assert.match(res.json().error.message, new RegExp(`querystring\\.${bad.split('=')[0]}`), bad);
    }
  });

  it('pages by id descending with nextCursor, to the end, without repeats', async () => {
    const c = await seedOrganization(t, 'Pages');
    const made: string[] = [];
    for (let i = 0; i < 5; i++) made.push(await insertAlert(t, c.organizationId));
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await send('GET', `/api/v1/alerts?limit=2${cursor ? `&cursor=${cursor}` : ''}`, c.as.member.apiKey);
      const page = res.json() as { alerts: { id: string }[]; nextCursor: string | null };
      seen.push(...page.alerts.map((x) => x.id));
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor);
    assert.equal(pages, 3);
    assert.deepEqual(seen, desc(...made));
  });

  it('applies one action to many alerts, answering each alert as it would alone, and commits the successes with their audit events', async () => {
    const open1 = await insertAlert(t, a.organizationId);
    const open2 = await insertAlert(t, a.organizationId, { status: 'snoozed' });
    const resolved = await insertAlert(t, a.organizationId, { status: 'resolved' });
    const theirs = await insertAlert(t, b.organizationId);
    const unknown = newId('alr');
    const heard: string[] = [];
    const stop = await t.platform.domainEvents.listen((e) => {
      if (e.type === 'alert.status_changed' && [open1, open2, resolved, theirs].includes(e.data.alertId)) heard.push(e.data.alertId);
    });
    const res = await bulk({ alertIds: [open1, resolved, theirs, open2, unknown], action: 'acknowledge', note: 'Bulk triage' });
    assert.equal(res.statusCode, 200, res.body);
    const results = res.json().results as { alertId: string; ok: boolean; alert: { status: string } | null; error: { code: string; message: string } | null }[];
    assert.deepEqual(results.map((r) => [r.alertId, r.ok, r.alert?.status ?? null, r.error?.code ?? null]), [
      [open1, true, 'acknowledged', null],
      [resolved, false, null, 'alert_transition_not_allowed'],
      [theirs, false, null, 'alert_not_found'],
      [open2, true, 'acknowledged', null],
      [unknown, false, null, 'alert_not_found'],
    ]);
    // The refusal is the one the single action gives, word for word.
    const single = await send('POST', `/api/v1/alerts/${resolved}/acknowledge`, a.as.manager.apiKey, {});
    assert.equal(results[1]!.error!.message, single.json().error.message);
    assert.equal(await statusOf(theirs), 'open', 'another organization’s alert is untouched');
    assert.equal(await statusOf(resolved), 'resolved');

    await t.platform.auditSequencer.drain(a.organizationId);
    const { rows } = await (await t.owner()).query(
      `select target_id, action, request_id from audit_events where organization_id = $1 and target_id = any($2) order by target_id`,
      [a.organizationId, [open1, open2, resolved, unknown]],
    );
    assert.deepEqual(rows.map((r) => r.target_id).sort(), [open1, open2].sort(), 'only the successes are audited');
    for (const r of rows) {
      assert.equal(r.action, 'alert.acknowledged');
      assert.equal(r.request_id, res.headers['x-request-id']);
    }
    const notes = await (await t.owner()).query('select alert_id from alert_notes where body = $1 and alert_id = any($2)', ['Bulk triage', [open1, open2, resolved]]);
    assert.deepEqual(notes.rows.map((n) => n.alert_id).sort(), [open1, open2].sort(), 'the note goes to each alert that changed');
    await t.platform.domainEvents.drain();
    for (let i = 0; i < 100 && heard.length < 2; i++) await new Promise((r) => setTimeout(r, 20));
    stop();
    assert.deepEqual(heard.sort(), [open1, open2].sort(), 'alert.status_changed for each change that committed, none for the refused');
  });

  it('takes every bulk action, with what each needs', async () => {
    const make = () => insertAlert(t, a.organizationId);
    const [x, y] = [await make(), await make()];
    const until = new Date(Date.now() + 3_600_000).toISOString();
    const snoozed = (await bulk({ alertIds: [x, y], action: 'snooze', until })).json().results;
    assert.deepEqual(snoozed.map((r: { alert: { snoozedUntil: string } }) => r.alert.snoozedUntil), [until, until]);
    const assigned = (await bulk({ alertIds: [x, y], action: 'assign', assigneeId: a.as.member.userId })).json().results;
    assert.ok(assigned.every((r: { alert: { assigneeId: string; status: string } }) => r.alert.assigneeId === a.as.member.userId && r.alert.status === 'snoozed'));
    const outsider = (await bulk({ alertIds: [x, y], action: 'assign', assigneeId: b.as.admin.userId })).json().results;
    assert.deepEqual(outsider.map((r: { error: { code: string } }) => r.error.code), ['alert_assignee_not_member', 'alert_assignee_not_member']);
    const fp = (await bulk({ alertIds: [x], action: 'false_positive' })).json().results[0];
    assert.equal(fp.alert.status, 'false_positive');
    const resolved = (await bulk({ alertIds: [y], action: 'resolve' })).json().results[0];
    assert.equal(resolved.alert.status, 'resolved');
    const reopened = (await bulk({ alertIds: [x, y], action: 'reopen' })).json().results;
    assert.deepEqual(reopened.map((r: { alert: { status: string } }) => r.alert.status), ['open', 'open']);
    const badSnooze = (await bulk({ alertIds: [x], action: 'snooze', until: new Date(Date.now() - 1000).toISOString() })).json().results[0];
    assert.equal(badSnooze.error.code, 'alert_snooze_invalid');
  });

  it('serializes two bulk actions over the same alerts, named in opposite orders: no deadlock, each alert changed once', async () => {
    const alertIds: string[] = [];
    for (let i = 0; i < 6; i++) alertIds.push(await insertAlert(t, a.organizationId));
    const [one, two] = await Promise.all([bulk({ alertIds, action: 'acknowledge' }), bulk({ alertIds: [...alertIds].reverse(), action: 'acknowledge' }, a.as.admin.apiKey)]);
    assert.equal(one.statusCode, 200, one.body);
    assert.equal(two.statusCode, 200, two.body);
    const okBy = (res: typeof one) => new Map((res.json().results as { alertId: string; ok: boolean }[]).map((r) => [r.alertId, r.ok]));
    const [first, second] = [okBy(one), okBy(two)];
    for (const id of alertIds) {
      assert.equal(Number(first.get(id)) + Number(second.get(id)), 1, `${id} acknowledged by exactly one of the two`);
      assert.equal(await statusOf(id), 'acknowledged');
    }
  });

  it('refuses a bulk request that is malformed as a whole', async () => {
    const id = await insertAlert(t, a.organizationId);
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ alertIds: [id], action: 'snooze' }, /^until: required/],
      [{ alertIds: [id], action: 'assign' }, /^assigneeId: required/],
      [{ alertIds: [], action: 'acknowledge' }, /alertIds/],
      [{ alertIds: [id, id], action: 'acknowledge' }, /name each alert once/],
      [{ alertIds: Array.from({ length: 101 }, () => newId('alr')), action: 'acknowledge' }, /alertIds/],
      [{ alertIds: [id], action: 'delete' }, /action/],
      [{ alertIds: ['alr_x'], action: 'acknowledge' }, /alertIds/],
    ];
    for (const [body, message] of cases) {
      const res = await bulk(body);
      assert.equal(res.statusCode, 400, JSON.stringify(body));
      assert.equal(res.json().error.code, 'validation_failed');
      assert.match(res.json().error.message, message);
    }
    assert.equal(await statusOf(id), 'open');
    const hundred = Array.from({ length: 99 }, () => newId('alr'));
    const full = await bulk({ alertIds: [id, ...hundred], action: 'acknowledge' });
    assert.equal(full.statusCode, 200, 'a hundred is allowed');
    assert.equal(full.json().results.length, 100);
    assert.equal(full.json().results.filter((r: { ok: boolean }) => r.ok).length, 1);
  });

  it('lists learning findings latest first, by agent, in keyset pages, within the organization', async () => {
    const { agent: one } = await registerAgent(t, a.as.admin.apiKey);
    const { agent: two } = await registerAgent(t, a.as.admin.apiKey);
    const { agent: theirs } = await registerAgent(t, b.as.admin.apiKey);
    const at = (minutesAgo: number) => new Date(Date.now() - minutesAgo * 60_000);
    const same = at(30);
    const keys = [
      await insertLearningFinding(t, a.organizationId, one.id, { lastSeenAt: at(5), type: 'off_hours' }),
      await insertLearningFinding(t, a.organizationId, two.id, { lastSeenAt: same, dedupKey: `tie:a:${two.id}` }),
      await insertLearningFinding(t, a.organizationId, one.id, { lastSeenAt: same, dedupKey: `tie:b:${one.id}` }),
      await insertLearningFinding(t, a.organizationId, two.id, { lastSeenAt: at(90), type: 'rate_anomaly' }),
    ];
    await insertLearningFinding(t, b.organizationId, theirs.id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await send('GET', `/api/v1/monitoring/learning-findings?limit=1${cursor ? `&cursor=${cursor}` : ''}`, a.as.viewer.session);
      assert.equal(res.statusCode, 200, res.body);
      const page = res.json() as { findings: { dedupKey: string }[]; nextCursor: string | null };
      seen.push(...page.findings.map((f) => f.dedupKey));
      cursor = page.nextCursor;
    } while (cursor);
    // Ties on last seen go by key, so pages never skip or repeat one.
    assert.deepEqual(seen, [keys[0], keys[1], keys[2], keys[3]]);

    const byAgent = (await send('GET', `/api/v1/monitoring/learning-findings?agentId=${two.id}`, a.as.member.apiKey)).json();
    assert.deepEqual(byAgent.findings.map((f: { dedupKey: string }) => f.dedupKey), [keys[1], keys[3]]);
    const finding = byAgent.findings[1];
    assert.equal(finding.agentId, two.id);
    assert.equal(finding.type, 'rate_anomaly');
    assert.equal(finding.occurrences, 2);
    assert.equal(finding.evidence.unit, 'requests per hour');
    assert.equal((await send('GET', `/api/v1/monitoring/learning-findings?agentId=${theirs.id}`, a.as.admin.apiKey)).json().findings.length, 0);
    for (const bad of ['cursor=nope', `cursor=${Buffer.from('["x","y"]').toString('base64url')}`, 'agentId=agt_x', 'limit=0']) {
      const res = await send('GET', `/api/v1/monitoring/learning-findings?${bad}`, a.as.admin.apiKey);
      assert.equal(res.statusCode, 400, bad);
      assert.equal(res.json().error.code, 'validation_failed');
      assert.match(res.json().error.message, new RegExp(bad.split('=')[0]!));
    }
  });
});
