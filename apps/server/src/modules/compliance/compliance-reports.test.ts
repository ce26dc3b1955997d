import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { keyFingerprint, verifyReport, type Jwks } from '@aim/audit-verify';
import type pg from 'pg';
import { forEachTarget } from '../../testing/targets.js';
import { createTestApp, type TestApp } from '../../testing/test-app.js';
import { seedOrganization, type SeededOrganization } from '../../testing/people-fixtures.js';
import { ago, DAY, insertAgent, MINUTE, tamperEvent } from '../../testing/compliance-fixtures.js';
import { REPORT_CSV_COLUMNS } from './report-render.js';

type Headers = Record<string, string>;

/** Parse RFC 4180 text (quoted fields, doubled quotes, CRLF) into rows. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') { field += '"'; i += 1; } else if (ch === '"') quoted = false; else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') { row.push(field); field = ''; }
    else if (ch === '\r' && text[i + 1] === '\n') { row.push(field); rows.push(row); row = []; field = ''; i += 1; }
    else field += ch;
  }
  return rows;
}

forEachTarget('compliance reports', (target) => {
  let t: TestApp;
  let owner: pg.Client;
  let a: SeededOrganization;
  let b: SeededOrganization;
  before(async () => {
    t = await createTestApp(target, { env: { RATE_LIMIT_IP_MAX: '100000', RATE_LIMIT_PRINCIPAL_MAX: '100000' } });
    owner = await t.owner();
    a = await seedOrganization(t, 'A');
    b = await seedOrganization(t, 'B');
  });
  after(() => t?.close());

  const inject = (method: 'GET' | 'POST' | 'PUT', url: string, headers: Headers, body?: unknown) =>
    t.app.inject({ method, url, headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, ...(body === undefined ? {} : { payload: JSON.stringify(body) }) });
  const keys = async (): Promise<Jwks> => (await inject('GET', '/.well-known/aim-audit-keys.json', {})).json();
  const generate = (org: SeededOrganization, body: Record<string, unknown>) => inject('POST', '/api/v1/compliance/reports', org.as.manager.apiKey, body);

  it('lists the catalogue: every control names checks that exist', async () => {
    const res = await inject('GET', '/api/v1/compliance/frameworks', a.as.viewer.apiKey);
    assert.equal(res.statusCode, 403, 'viewers do not read compliance');
    const list = (await inject('GET', '/api/v1/compliance/frameworks', a.as.manager.apiKey)).json();
    assert.deepEqual(list.frameworks.map((f: { id: string }) => f.id), ['soc2', 'iso27001', 'hipaa', 'gdpr', 'eu_ai_act']);
    const checks = new Set(list.checks.map((c: { id: string }) => c.id));
    for (const f of list.frameworks) for (const c of f.controls) for (const id of c.checks) assert.ok(checks.has(id), `${f.id} ${c.id} names ${id}`);
  });

  it('refuses bad periods and unknown frameworks with stable codes', async () => {
    const now = Date.now();
    const cases: [Record<string, unknown>, number, string][] = [
      [{ framework: 'soc2', from: new Date(now - DAY).toISOString(), to: new Date(now + DAY).toISOString() }, 400, 'invalid_period'],
      [{ framework: 'soc2', from: new Date(now - DAY).toISOString(), to: new Date(now - 2 * DAY).toISOString() }, 400, 'invalid_period'],
      [{ framework: 'soc2', from: new Date(now - DAY).toISOString(), to: new Date(now - DAY).toISOString() }, 400, 'invalid_period'],
      [{ framework: 'soc2', from: new Date(now - 400 * DAY).toISOString(), to: new Date(now - DAY).toISOString() }, 400, 'invalid_period'],
      [{ framework: 'pci', from: new Date(now - DAY).toISOString(), to: new Date(now).toISOString() }, 404, 'unknown_framework'],
    ];
    for (const [body, status, code] of cases) {
      const res = await generate(a, body);
      assert.equal(res.statusCode, status, res.body);
      assert.equal(res.json().error.code, code);
    }
    const live = await inject('GET', `/api/v1/compliance/frameworks/nope/controls`, a.as.manager.apiKey);
    assert.equal(live.statusCode, 404);
    assert.equal(live.json().error.code, 'unknown_framework');
    const future = await inject('GET', `/api/v1/compliance/frameworks/soc2/controls?to=${new Date(now + DAY).toISOString()}`, a.as.manager.apiKey);
    assert.equal(future.json().error.code, 'invalid_period');
  });

  it('generates a signed report whose signature verifies offline and fails after a byte changes; downloads parse; other organizations see 404', async () => {
    await insertAgent(owner, a.organizationId, null);
    const cp = await inject('POST', '/api/v1/audit-logs/checkpoints', a.as.admin.apiKey);
    assert.equal(cp.statusCode, 201, cp.body);
    const res = await generate(a, { framework: 'soc2', from: ago(DAY).toISOString(), to: new Date(Date.parse(cp.json().signedAt) - 1).toISOString() });
    assert.equal(res.statusCode, 201, res.body);
    const { report, document } = res.json();
    assert.equal(report.status, 'fail', 'an agent without an owner fails CC6.1');
    const cc61 = document.controls.find((c: { id: string }) => c.id === 'CC6.1');
    assert.equal(cc61.status, 'fail');
    assert.ok(document.exceptions.some((e: { checkId: string }) => e.checkId === 'agents_owned'));
    assert.ok(document.checkpoint, 'the checkpoint that covers the period is in the report');

    const json = await inject('GET', `/api/v1/compliance/reports/${report.id}/download?format=json`, a.as.viewer.session);
    assert.equal(json.statusCode, 403);
    const downloaded = await inject('GET', `/api/v1/compliance/reports/${report.id}/download?format=json`, a.as.manager.session);
    assert.equal(downloaded.statusCode, 200);
    const jwks = await keys();
    const pin = keyFingerprint(jwks.keys.find((k) => k.kid === document.signature.kid)!);
    const verdict = verifyReport(JSON.parse(downloaded.body), jwks, { pins: new Set([pin]) });
    assert.equal(verdict.status, 'valid', JSON.stringify(verdict));
    const altered = downloaded.body.replace('"status":"fail"', '"status":"pass"');
    assert.notEqual(altered, downloaded.body);
    assert.equal(verifyReport(JSON.parse(altered), jwks).status, 'invalid');
    assert.equal(verifyReport(JSON.parse(downloaded.body), jwks, { pins: new Set(['A'.repeat(43)]) }).status, 'invalid', 'an unpinned key is refused');

    const csv = await inject('GET', `/api/v1/compliance/reports/${report.id}/download?format=csv`, a.as.manager.apiKey);
    assert.match(csv.headers['content-type'] as string, /^text\/csv/);
    const rows = parseCsv(csv.body);
    assert.deepEqual(rows[0], [...REPORT_CSV_COLUMNS]);
    const total = document.controls.reduce((n: number, c: { checks: unknown[] }) => n + c.checks.length, 0);
    assert.equal(rows.length, total + 1);
    assert.ok(rows.slice(1).every((r) => r.length === REPORT_CSV_COLUMNS.length));

    const pdf = await inject('GET', `/api/v1/compliance/reports/${report.id}/download?format=pdf`, a.as.manager.apiKey);
    assert.equal(pdf.headers['content-type'], 'application/pdf');
    assert.equal(pdf.rawPayload.subarray(0, 5).toString(), '%PDF-');
    assert.match(pdf.rawPayload.subarray(-8).toString(), /%%EOF/);

    const list = (await inject('GET', '/api/v1/compliance/reports', a.as.manager.apiKey)).json();
    assert.ok(list.reports.some((r: { id: string }) => r.id === report.id));
    for (const url of [`/api/v1/compliance/reports/${report.id}`, `/api/v1/compliance/reports/${report.id}/download?format=json`]) {
      const other = await inject('GET', url, b.as.admin.apiKey);
      assert.equal(other.statusCode, 404);
      assert.equal(other.json().error.code, 'compliance_report_not_found');
    }
    assert.equal((await inject('GET', '/api/v1/compliance/reports', b.as.admin.apiKey)).json().reports.length, 0);
    await t.platform.auditSequencer.drain(a.organizationId);
    const audited = await owner.query(`select details from audit_events where organization_id = $1 and action = 'compliance.report_generated' and target_id = $2`, [a.organizationId, report.id]);
    assert.equal(audited.rows.length, 1);
  });

  it('an auditor breaks a control’s evidence (the chain) and the next report fails it', async () => {
    const org = await seedOrganization(t, 'Audited');
    for (let i = 0; i < 3; i += 1) await inject('PUT', '/api/v1/compliance/settings', org.as.admin.apiKey, { accessReviewDays: 10 + i });
    const period = { framework: 'hipaa', from: ago(60 * MINUTE).toISOString(), to: new Date().toISOString() };
    const before = (await generate(org, period)).json().document;
    const integrity = (doc: { controls: { id: string; checks: { id: string; status: string }[] }[] }) =>
      doc.controls.find((c) => c.id === '164.312(c)(1)')!.checks.find((c) => c.id === 'audit_chain_intact')!.status;
    assert.equal(integrity(before), 'pass');
    await tamperEvent(owner, org.organizationId, 2);
    const afterTamper = (await generate(org, { ...period, to: new Date().toISOString() })).json().document;
    assert.equal(integrity(afterTamper), 'fail');
    assert.equal(afterTamper.summary.status, 'fail');
  });

  it('settings: read by managers, changed by admins; unknown frameworks refused', async () => {
    assert.equal((await inject('PUT', '/api/v1/compliance/settings', a.as.manager.apiKey, { monthlyFrameworks: ['soc2'] })).statusCode, 403);
    const bad = await inject('PUT', '/api/v1/compliance/settings', a.as.admin.apiKey, { monthlyFrameworks: ['sox'] });
    assert.equal(bad.json().error.code, 'unknown_framework');
    const ok = await inject('PUT', '/api/v1/compliance/settings', a.as.admin.apiKey, { monthlyFrameworks: ['soc2', 'gdpr'], alertAckMinutes: { critical: 30 } });
    assert.equal(ok.statusCode, 200, ok.body);
    const read = (await inject('GET', '/api/v1/compliance/settings', a.as.manager.apiKey)).json();
    assert.deepEqual(read.settings.monthlyFrameworks, ['soc2', 'gdpr']);
    assert.equal(read.settings.alertAckMinutes.critical, 30);
    assert.equal(read.settings.alertAckMinutes.high, 240);
  });

  it('the monthly job generates last month’s reports once, whatever how often it runs', async () => {
    const org = await seedOrganization(t, 'Monthly');
    await inject('PUT', '/api/v1/compliance/settings', org.as.admin.apiKey, { monthlyFrameworks: ['gdpr', 'eu_ai_act'] });
    const run = () => t.app.services.compliance.reports.generateMonthly({ requestId: 'job', clientIp: null, userAgent: null, actor: { type: 'system', id: null }, organizationId: null, role: null, userId: null, personId: null, sessionId: null }, org.organizationId, ['gdpr', 'eu_ai_act']);
    assert.equal(await run(), 2);
    assert.equal(await run(), 0);
    const { rows } = await owner.query(`select framework, period_from, period_to, origin from compliance_reports where organization_id = $1 order by framework`, [org.organizationId]);
    assert.equal(rows.length, 2);
    const now = new Date();
    assert.equal(rows[0].period_to.toISOString(), new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)).toISOString());
    assert.equal(rows[0].period_from.toISOString(), new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1)).toISOString());
    assert.ok(rows.every((r) => r.origin === 'schedule'));
  });
});
