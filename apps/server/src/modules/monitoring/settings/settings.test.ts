import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_MONITORING_SETTINGS } from '@aim/contracts';
import { forEachTarget } from '../../../testing/targets.js';
import { createTestApp, type TestApp } from '../../../testing/test-app.js';
import { seedOrganization, type SeededOrganization } from '../../../testing/people-fixtures.js';
import { loadMonitoringSettings } from './settings-store.js';

type Headers = Record<string, string>;

forEachTarget('monitoring settings', (target) => {
  let t: TestApp;
  let a: SeededOrganization;
  let b: SeededOrganization;
  before(async () => {
    t = await createTestApp(target, { env: { RATE_LIMIT_IP_MAX: '100000', RATE_LIMIT_PRINCIPAL_MAX: '100000' } });
    a = await seedOrganization(t, 'A');
    b = await seedOrganization(t, 'B');
  });
  after(() => t?.close());

  const url = '/api/v1/monitoring/settings';
  const get = (headers: Headers) => t.app.inject({ method: 'GET', url, headers });
  const put = (headers: Headers, body: unknown) => t.app.inject({ method: 'PUT', url, headers: { ...headers, 'content-type': 'application/json' }, payload: JSON.stringify(body) });
  const audits = async (organizationId: string) => {
    await t.platform.auditSequencer.drain(organizationId);
    const { rows } = await (await t.owner()).query(
      `select actor_type, actor_id, request_id, target_type, target_id, details from audit_events where organization_id = $1 and action = 'monitoring.settings_updated' order by occurred_at, id`,
      [organizationId],
    );
    return rows as { actor_type: string; actor_id: string; request_id: string; target_type: string; target_id: string; details: { changes: Record<string, unknown> } }[];
  };

  it('answers the defaults, whole, until something changes; every role reads them', async () => {
    for (const role of ['viewer', 'member', 'manager', 'admin'] as const) {
      const res = await get(a.as[role].apiKey);
      assert.equal(res.statusCode, 200, res.body);
      assert.deepEqual(res.json(), { settings: DEFAULT_MONITORING_SETTINGS, updatedAt: null });
    }
  });

  it('merges an update over the current settings, stores it, and audits the changed fields before and after', async () => {
    const first = await put(a.as.admin.session, { learningDays: 3, detectors: { rate_anomaly: { params: { madMultiplier: 10 } }, key_age: { severity: 'medium' } } });
    assert.equal(first.statusCode, 200, first.body);
    const settings = first.json().settings;
    assert.equal(settings.learningDays, 3);
    assert.deepEqual(settings.detectors.rate_anomaly, { enabled: true, severity: 'medium', params: { madMultiplier: 10, minRequests: 30 } }, 'the other parameter keeps its value');
    assert.equal(settings.detectors.key_age.severity, 'medium');
    assert.deepEqual(settings.detectors.key_misuse, DEFAULT_MONITORING_SETTINGS.detectors.key_misuse);
    assert.ok(Date.parse(first.json().updatedAt) > Date.now() - 60_000);

    // A second update merges over the first, not over the defaults.
    const second = await put(a.as.admin.apiKey, { autoSuspendOnCritical: true, detectors: { rate_anomaly: { enabled: false, params: { minRequests: 50 } } } });
    assert.equal(second.statusCode, 200, second.body);
    const now = second.json().settings;
    assert.equal(now.learningDays, 3);
    assert.equal(now.autoSuspendOnCritical, true);
    assert.deepEqual(now.detectors.rate_anomaly, { enabled: false, severity: 'medium', params: { madMultiplier: 10, minRequests: 50 } });
    assert.deepEqual((await get(a.as.viewer.session)).json(), second.json(), 'what GET answers is what was stored');

    // What the detection engine reads is the same.
    const loaded = await t.platform.db.transaction({ organizationId: a.organizationId }, (tx) => loadMonitoringSettings(tx));
    assert.deepEqual(loaded.settings, now);

    const events = await audits(a.organizationId);
    assert.deepEqual(
      events.map((e) => [e.actor_type, e.actor_id, e.request_id, e.target_type, e.target_id, e.details]),
      [
        [
          'user',
          a.as.admin.userId,
          first.headers['x-request-id'],
          'monitoring_settings',
          a.organizationId,
          {
            changes: {
              learningDays: { from: 7, to: 3 },
              'detectors.key_age.severity': { from: 'low', to: 'medium' },
              'detectors.rate_anomaly.params.madMultiplier': { from: 8, to: 10 },
            },
          },
        ],
        [
          'api_key',
          a.as.admin.apiKeyId,
          second.headers['x-request-id'],
          'monitoring_settings',
          a.organizationId,
          {
            changes: {
              autoSuspendOnCritical: { from: false, to: true },
              'detectors.rate_anomaly.enabled': { from: true, to: false },
              'detectors.rate_anomaly.params.minRequests': { from: 30, to: 50 },
            },
          },
        ],
      ],
    );

    // Another organization still has the defaults.
    assert.deepEqual((await get(b.as.admin.apiKey)).json(), { settings: DEFAULT_MONITORING_SETTINGS, updatedAt: null });
  });

  it('changes and audits nothing when the update repeats the current values', async () => {
    const before = (await get(a.as.admin.apiKey)).json();
    const count = (await audits(a.organizationId)).length;
    const res = await put(a.as.admin.apiKey, { learningDays: before.settings.learningDays, detectors: { key_misuse: { params: { failures: before.settings.detectors.key_misuse.params.failures } } } });
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.json(), before);
    assert.equal((await audits(a.organizationId)).length, count);
  });

  it('refuses values out of range, unknown fields and empty updates with validation_failed naming the field, and stores nothing', async () => {
    const before = (await get(b.as.admin.apiKey)).json();
    const cases: [unknown, RegExp][] = [
      [{ learningDays: 91 }, /body\.learningDays/],
      [{ learningDays: -1 }, /body\.learningDays/],
      [{ learningDays: 2.5 }, /body\.learningDays/],
      [{ detectors: { trust_drop: { params: { dropPoints: 10 } } } }, /body\.detectors\.trust_drop\.params\.dropPoints/],
      [{ detectors: { rate_anomaly: { params: { madMultiplier: 51 } } } }, /body\.detectors\.rate_anomaly\.params\.madMultiplier/],
      [{ detectors: { key_misuse: { params: { windowMinutes: 0 } } } }, /body\.detectors\.key_misuse\.params\.windowMinutes/],
      [{ detectors: { new_network: { params: { ipv4PrefixLength: 33 } } } }, /body\.detectors\.new_network\.params\.ipv4PrefixLength/],
      [{ detectors: { off_hours: { severity: 'urgent' } } }, /body\.detectors\.off_hours\.severity/],
      [{ detectors: { off_hours: { enabled: 'yes' } } }, /body\.detectors\.off_hours\.enabled/],
      [{ detectors: { made_up: { enabled: false } } }, /body\.detectors/],
      [{ detectors: { rate_anomaly: { params: { sensitivity: 3 } } } }, /body\.detectors\.rate_anomaly\.params/],
      [{ autoSuspendOnCritical: 'true' }, /body\.autoSuspendOnCritical/],
      [{ unknown: 1 }, /body/],
      [{}, /change at least one field/],
    ];
    for (const [body, message] of cases) {
      const res = await put(b.as.admin.apiKey, body);
      assert.equal(res.statusCode, 400, `${JSON.stringify(body)}: ${res.body}`);
      assert.equal(res.json().error.code, 'validation_failed');
      assert.match(res.json().error.message, message, JSON.stringify(body));
    }
    assert.deepEqual((await get(b.as.admin.apiKey)).json(), before);
    assert.equal((await audits(b.organizationId)).length, 0);
  });

  it('lets only admins change the settings', async () => {
    for (const role of ['manager', 'member', 'viewer'] as const) {
      for (const via of ['session', 'apiKey'] as const) {
        const res = await put(b.as[role][via], { learningDays: 1 });
        assert.equal(res.statusCode, 403, `${role} ${via}`);
        assert.equal(res.json().error.code, 'forbidden');
      }
    }
    assert.equal((await get(b.as.admin.apiKey)).json().settings.learningDays, DEFAULT_MONITORING_SETTINGS.learningDays);
    const res = await put(b.as.admin.session, { learningDays: 1 });
    assert.equal(res.statusCode, 200);
    assert.equal(res.json().settings.learningDays, 1);
  });

  it('keeps both of two concurrent updates', async () => {
    const c = await seedOrganization(t, 'C');
    const [one, two] = await Promise.all([
      put(c.as.admin.apiKey, { detectors: { off_hours: { params: { minRequests: 9 } } } }),
      put(c.as.admin.session, { detectors: { off_hours: { severity: 'high' } } }),
    ]);
    assert.equal(one.statusCode, 200, one.body);
    assert.equal(two.statusCode, 200, two.body);
    const off = (await get(c.as.viewer.apiKey)).json().settings.detectors.off_hours;
    assert.deepEqual(off, { enabled: true, severity: 'high', params: { minRequests: 9 } });
  });
});
