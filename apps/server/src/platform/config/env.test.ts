import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { ConfigError, envSchema, loadConfig } from './env.js';

describe('loadConfig', () => {
  it('starts with no configuration at all, on the documented defaults', () => {
    const config = loadConfig({});
    assert.equal(config.port, 8080);
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.dataDir, '.aim');
    assert.equal(config.logLevel, 'info');
    assert.equal(config.database.url, undefined);
    assert.equal(config.redisUrl, undefined);
    assert.deepEqual(config.corsOrigins, []);
    assert.equal(config.trustProxy, false);
  });

  it('reports every invalid variable at once', () => {
    let error: unknown;
    try {
      loadConfig({ PORT: 'eighty', LOG_LEVEL: 'loud', REDIS_URL: 'http://x', CORS_ORIGINS: 'https://ok.example, nope' });
    } catch (e) {
      error = e;
    }
    assert.ok(error instanceof ConfigError);
    const fields = error.problems.map((p) => p.split(':')[0]);
    assert.deepEqual(fields.sort(), ['CORS_ORIGINS', 'LOG_LEVEL', 'PORT', 'REDIS_URL']);
    assert.match(error.message, /"nope" is not an origin/);
  });

  it('parses lists, numbers and flags', () => {
    const config = loadConfig({
      PORT: '9000',
      CORS_ORIGINS: 'https://a.example,https://b.example:8443',
      TRUST_PROXY: '2',
      METRICS_ENABLED: 'false',
      RATE_LIMIT_WINDOW_SECONDS: '10',
    });
    assert.equal(config.port, 9000);
    assert.deepEqual(config.corsOrigins, ['https://a.example', 'https://b.example:8443']);
    assert.equal(config.trustProxy, 2);
    assert.equal(config.metricsEnabled, false);
    assert.equal(config.rateLimit.windowMs, 10_000);
  });

  it('requires a password for the restricted role with an external database, and has no default for it', () => {
    assert.throws(() => loadConfig({ DATABASE_URL: 'postgres://owner@db.example/aim' }), /DATABASE_APP_PASSWORD: required/);
    const config = loadConfig({
      DATABASE_URL: 'postgres://owner@db.example/aim',
      DATABASE_APP_URL: 'postgres://aim_rw:pw@db.example/aim',
      AIM_ENCRYPTION_KEYS: `k1:${'a'.repeat(43)}`,
      AIM_LOOKUP_KEY: 'b'.repeat(43),
    });
    assert.equal(config.database.appRole, 'aim_rw');
  });

  it('requires the encryption and lookup keys with an external database, and has no default for them', () => {
    let error: unknown;
    try {
      loadConfig({ DATABASE_URL: 'postgres://owner@db.example/aim', DATABASE_APP_PASSWORD: 'x'.repeat(20) });
    } catch (e) {
      error = e;
    }
    assert.ok(error instanceof ConfigError);
    assert.deepEqual(error.problems.map((p) => p.split(':')[0]).sort(), ['AIM_ENCRYPTION_KEYS', 'AIM_LOOKUP_KEY']);
    assert.throws(() => loadConfig({ AIM_ENCRYPTION_KEYS: 'k1:short' }), /AIM_ENCRYPTION_KEYS: must be id:key/);
  });

  it('says which bound a number breaks', () => {
    assert.throws(() => loadConfig({ PORT: '70000' }), /PORT: must be at most 65535/);
    assert.throws(() => loadConfig({ DATABASE_POOL_MAX: '0' }), /DATABASE_POOL_MAX: must be at least 1/);
  });

  it('rejects a role name that is not a plain SQL identifier', () => {
    assert.throws(() => loadConfig({ DATABASE_APP_ROLE: 'x"; drop table y; --' }), /DATABASE_APP_ROLE/);
  });

  it('reads per-job schedules, and names every mistake in them', () => {
    const config = loadConfig({ JOB_SCHEDULES: ' aim.expire-pending=*/2  *  * * * ; aim.audit-checkpoints=0,30 * * * *;', JOB_CRON_CHECK_SECONDS: '5' });
    assert.deepEqual(config.jobs, { schedules: { 'aim.expire-pending': '*/2 * * * *', 'aim.audit-checkpoints': '0,30 * * * *' }, cronCheckIntervalSeconds: 5 });
    assert.deepEqual(loadConfig({}).jobs, { schedules: {}, cronCheckIntervalSeconds: 20 });
    assert.throws(
      () => loadConfig({ JOB_SCHEDULES: 'aim.nope=* * * * *;aim.partitions=61 * * * *;aim.rotate-keys=* * * * * *;aim.trust-recalculate' }),
      (error: Error) => {
        assert.match(error.message, /"aim\.nope" is not a job; the jobs are aim\.partitions, /);
        assert.match(error.message, /aim\.partitions: "61 \* \* \* \*" is not a five-field cron expression/);
        assert.match(error.message, /aim\.rotate-keys: "\* \* \* \* \* \*" is not a five-field/);
        assert.match(error.message, /"aim\.trust-recalculate" must be job=cron/);
        return true;
      },
    );
    assert.throws(() => loadConfig({ JOB_SCHEDULES: 'aim.partitions=0 * * * *;aim.partitions=5 * * * *' }), /aim\.partitions is given twice/);
    assert.throws(() => loadConfig({ JOB_CRON_CHECK_SECONDS: '26' }), /JOB_CRON_CHECK_SECONDS: must be at most 25/);
  });

  it('reads the SIEM collector as tcp:// or tls:// host and port, with its defaults, and refuses anything else', () => {
    assert.equal(loadConfig({}).siem.destination, undefined);
    const tls = loadConfig({ SIEM_SYSLOG_URL: 'tls://siem.example.com:6514', SIEM_SYSLOG_CA_FILE: '/etc/aim/ca.pem' }).siem;
    assert.deepEqual(tls.destination, { protocol: 'tls', host: 'siem.example.com', port: 6514 });
    assert.deepEqual([tls.appName, tls.hostname, tls.facility, tls.start, tls.retryMaxMs], ['aim', undefined, 10, 'beginning', 30_000]);
    assert.deepEqual(loadConfig({ SIEM_SYSLOG_URL: 'tcp://[::1]:514' }).siem.destination, { protocol: 'tcp', host: '::1', port: 514 });
    for (const url of ['udp://siem.example.com:514', 'tcp://siem.example.com', 'https://siem.example.com:443', 'tcp://u:p@siem.example.com:514', 'siem:514']) {
      assert.throws(() => loadConfig({ SIEM_SYSLOG_URL: url }), /SIEM_SYSLOG_URL: must be tcp:\/\/host:port or tls:\/\/host:port/, url);
    }
    assert.throws(() => loadConfig({ SIEM_SYSLOG_URL: 'tcp://siem.example.com:514', SIEM_SYSLOG_CA_FILE: '/ca.pem' }), /SIEM_SYSLOG_CA_FILE: only meaningful with a tls/);
    assert.throws(() => loadConfig({ SIEM_SYSLOG_APP_NAME: 'has space' }), /SIEM_SYSLOG_APP_NAME/);
    assert.throws(() => loadConfig({ SIEM_SYSLOG_FACILITY: '24' }), /SIEM_SYSLOG_FACILITY: must be at most 23/);
  });

  it('anchors checkpoints: a witness file in the data folder by default with the embedded database only, and refuses other destinations', () => {
    const embedded = loadConfig({ AIM_DATA_DIR: '/var/lib/aim' });
    assert.equal(embedded.auditAnchoring.witness, 'file:///var/lib/aim/audit-witness.ndjson');
    assert.equal(embedded.auditAnchoring.checkpointDelayMs, 5000);
    assert.equal(embedded.auditAnchoring.tsaUrl, undefined);
    assert.equal(loadConfig({ AUDIT_WITNESS: 'none' }).auditAnchoring.witness, undefined);
    const withDatabase = loadConfig({
      DATABASE_URL: 'postgres://owner@db.example/aim',
      DATABASE_APP_PASSWORD: 'x'.repeat(20),
      AIM_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64url')}`,
      AIM_LOOKUP_KEY: randomBytes(32).toString('base64url'),
    });
    assert.equal(withDatabase.auditAnchoring.witness, undefined, 'no default beside an external database');
    const chosen = loadConfig({ AUDIT_WITNESS: 'https://witness.example/aim', AUDIT_TSA_URL: 'https://tsa.example/tsr', AUDIT_CHECKPOINT_DELAY_MS: '1000' });
    assert.equal(chosen.auditAnchoring.witness, 'https://witness.example/aim');
    assert.equal(chosen.auditAnchoring.tsaUrl, 'https://tsa.example/tsr');
    assert.equal(chosen.auditAnchoring.checkpointDelayMs, 1000);
    for (const env of [{ AUDIT_WITNESS: 'ftp://x/w' }, { AUDIT_WITNESS: 'file://relative/w.ndjson' }, { AUDIT_TSA_URL: 'ldap://tsa' }, { AUDIT_CHECKPOINT_DELAY_MS: '10' }]) {
      assert.throws(() => loadConfig(env), (e: unknown) => e instanceof ConfigError && e.problems.some((p) => p.startsWith(Object.keys(env)[0]!)), JSON.stringify(env));
    }
  });

  it('is documented variable by variable in .env.example', async () => {
    const example = await readFile(new URL('../../../../../.env.example', import.meta.url), 'utf8');
    const documented = [...example.matchAll(/^#?\s*([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]).sort();
    assert.deepEqual(documented, Object.keys(envSchema.shape).sort());
  });
});
