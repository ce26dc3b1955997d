import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { seedOrganization, type SeededOrganization } from '../../testing/people-fixtures.js';
import { forEachTarget } from '../../testing/targets.js';
import { createTestApp, type TestApp } from '../../testing/test-app.js';

forEachTarget('policies', (target) => {
  let t: TestApp;
  let a: SeededOrganization;
  let b: SeededOrganization;
  before(async () => {
    t = await createTestApp(target);
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
  const error = (res: { json(): { error?: { code: string; message: string } } }) => res.json().error;

  it('accepts one valid configuration of every type, with defaults filled in', async () => {
    const valid: Record<string, unknown>[] = [
      { type: 'capability_required', mode: 'monitor', scope: { tags: ['pilot'] }, config: {} },
      { type: 'resource_deny', config: { resources: ['secrets/**', 'hr/*'] } },
      { type: 'time_window', config: { timezone: 'Europe/Berlin', windows: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '08:00', end: '18:00' }] } },
      { type: 'rate_limit', scope: { actions: ['email:*'] }, config: { limit: 100, windowSeconds: 3600 } },
      { type: 'require_approval', config: { minRisk: 'high' } },
      { type: 'data_volume', config: { field: 'records', max: 1000 } },
      { type: 'min_trust', config: { minimums: { high: 70, critical: 90 } } },
    ];
    for (const [i, body] of valid.entries()) {
      const res = await send('POST', '/api/v1/policies', a.as.manager.apiKey, { name: `valid ${i}`, ...body });
      assert.equal(res.statusCode, 201, `${body.type}: ${res.body}`);
      assert.equal(res.json().policy.version, 1);
    }
    const list = (await send('GET', '/api/v1/policies', a.as.viewer.apiKey)).json().policies;
    const volume = list.find((p: { type: string }) => p.type === 'data_volume');
    assert.deepEqual(volume.config, { field: 'records', max: 1000, effect: 'deny', whenMissing: 'ignore' });
    assert.equal(list.find((p: { type: string }) => p.type === 'min_trust').config.whenUnscored, 'require_approval');
    assert.equal(list.find((p: { type: string }) => p.type === 'resource_deny').mode, 'enforce');
  });

  it('refuses malformed policies with invalid_policy naming the field, and members', async () => {
    const bad: [Record<string, unknown>, string, RegExp][] = [
      [{ type: 'resource_deny', config: {} }, 'invalid_policy', /config\.resources/],
      [{ type: 'resource_deny', config: { resources: ['a/***'] } }, 'invalid_policy', /config\.resources\.0/],
      [{ type: 'time_window', config: { timezone: 'Mars/Olympus', windows: [{ days: ['mon'], start: '08:00', end: '18:00' }] } }, 'invalid_policy', /config\.timezone/],
      [{ type: 'time_window', config: { timezone: 'UTC', windows: [{ days: ['mon'], start: '18:00', end: '08:00' }] } }, 'invalid_policy', /start must be before end/],
      [{ type: 'rate_limit', config: { limit: 0, windowSeconds: 60 } }, 'invalid_policy', /config\.limit/],
      [{ type: 'require_approval', config: { minRisk: 'extreme' } }, 'invalid_policy', /config\.minRisk/],
      [{ type: 'data_volume', config: { field: 'a.b', max: 1 } }, 'invalid_policy', /config\.field/],
      [{ type: 'min_trust', config: { minimums: {} } }, 'invalid_policy', /at least one risk level/],
      [{ type: 'min_trust', config: { minimums: { high: 101 } } }, 'invalid_policy', /config\.minimums\.high/],
      [{ type: 'capability_required', config: { extra: true } }, 'invalid_policy', /config/],
      [{ type: 'no_such_type', config: {} }, 'validation_failed', /type/],
      [{ type: 'resource_deny', scope: { agentIds: [] }, config: { resources: ['x'] } }, 'validation_failed', /scope\.agentIds/],
      [{ type: 'resource_deny', scope: { owners: ['x'] }, config: { resources: ['x'] } }, 'validation_failed', /scope/],
    ];
    for (const [body, code, message] of bad) {
      const res = await send('POST', '/api/v1/policies', a.as.admin.apiKey, { name: 'bad', ...body });
      assert.equal(error(res)?.code, code, `${JSON.stringify(body)}: ${res.body}`);
      assert.match(error(res)!.message, message, JSON.stringify(body));
    }
    assert.equal(error(await send('POST', '/api/v1/policies', a.as.member.apiKey, { name: 'm', type: 'require_approval', config: { minRisk: 'high' } }))?.code, 'forbidden');
    assert.equal(error(await send('POST', '/api/v1/policies', a.as.admin.apiKey, { name: 'valid 1', type: 'require_approval', config: { minRisk: 'high' } }))?.code, 'conflict');
  });

  it('makes a new version with every change, keeps the history, and answers 404 across organizations', async () => {
    const created = (await send('POST', '/api/v1/policies', a.as.admin.apiKey, { name: 'refunds', type: 'require_approval', config: { minRisk: 'high' } })).json().policy;
    const v2 = await send('PATCH', `/api/v1/policies/${created.id}`, a.as.admin.apiKey, { config: { minRisk: 'medium' } });
    assert.equal(v2.json().policy.version, 2);
    const same = await send('PATCH', `/api/v1/policies/${created.id}`, a.as.admin.apiKey, { config: { minRisk: 'medium' } });
    assert.equal(same.json().policy.version, 2, 'no change, no version');
    assert.equal(error(await send('PATCH', `/api/v1/policies/${created.id}`, a.as.admin.apiKey, { config: { minRisk: 'huge' } }))?.code, 'invalid_policy');
    const v3 = await send('PATCH', `/api/v1/policies/${created.id}`, a.as.admin.apiKey, { mode: 'monitor', enabled: false });
    assert.deepEqual([v3.json().policy.version, v3.json().policy.mode, v3.json().policy.enabled], [3, 'monitor', false]);
    const deleted = await send('DELETE', `/api/v1/policies/${created.id}`, a.as.admin.apiKey);
    assert.equal(deleted.json().policy.version, 4);
    assert.ok(deleted.json().policy.deletedAt);
    assert.equal(error(await send('PATCH', `/api/v1/policies/${created.id}`, a.as.admin.apiKey, { mode: 'enforce' }))?.code, 'conflict');

    const versionsRes = await send("GET", `/api/v1/policies/${created.id}/versions`, a.as.viewer.apiKey);
    assert.equal(versionsRes.statusCode, 200, versionsRes.body);
    const versions = versionsRes.json().versions;
    assert.deepEqual(
      versions.map((v: { version: number; config: { minRisk: string }; mode: string; deletedAt: string | null }) => [v.version, v.config.minRisk, v.mode, v.deletedAt !== null]),
      [[4, 'medium', 'monitor', true], [3, 'medium', 'monitor', false], [2, 'medium', 'enforce', false], [1, 'high', 'enforce', false]],
    );
    assert.deepEqual(versions[0].changedBy, { type: 'api_key', id: a.as.admin.apiKeyId });
    assert.ok(!(await send('GET', '/api/v1/policies', a.as.viewer.apiKey)).json().policies.some((p: { id: string }) => p.id === created.id));
    assert.ok((await send('GET', '/api/v1/policies?includeDeleted=true', a.as.viewer.apiKey)).json().policies.some((p: { id: string }) => p.id === created.id));
    assert.equal((await send('GET', `/api/v1/policies/${created.id}`, b.as.admin.apiKey)).statusCode, 404);
    assert.equal((await send('GET', `/api/v1/policies/${created.id}/versions`, b.as.admin.apiKey)).statusCode, 404);

    const owner = await t.owner();
    const audited = (await owner.query('select action from audit_events where target_id = $1 order by occurred_at, id', [created.id])).rows.map((r) => r.action);
    assert.deepEqual(audited, ['policy.create', 'policy.update', 'policy.update', 'policy.delete']);
    const revisions = await owner.query('select policy_revision from organizations where id = $1', [a.organizationId]);
    assert.ok(Number(revisions.rows[0].policy_revision) >= 11, 'every change bumps the revision decisions key their cache on');
  });
});
