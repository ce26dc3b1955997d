import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { mcpFindingSchema } from '@aim/contracts';
import { forEachTarget } from '../../../testing/targets.js';
import { createTestApp, type TestApp } from '../../../testing/test-app.js';
import { seedOrganization, type SeededOrganization } from '../../../testing/people-fixtures.js';
import { insertMcpServer } from '../../../testing/mcp-rows.js';
import { insertMcpFinding } from '../../../testing/mcp-finding-rows.js';

forEachTarget('mcp findings api', (target) => {
  let t: TestApp;
  let a: SeededOrganization;
  let b: SeededOrganization;
  let serial = 0;
  before(async () => {
    t = await createTestApp(target, { env: { RATE_LIMIT_IP_MAX: '100000', RATE_LIMIT_PRINCIPAL_MAX: '100000' } });
    a = await seedOrganization(t, 'A');
    b = await seedOrganization(t, 'B');
  });
  after(() => t?.close());

  const send = (method: 'GET' | 'POST', url: string, headers: Record<string, string>, payload?: unknown) =>
    t.app.inject({
      method,
      url,
      headers: { ...headers, ...(payload === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }),
    });
  const server = (org = a) => insertMcpServer(t, org.organizationId, { name: `srv-${++serial}`, ownerId: org.as.member.userId });
  const auditOf = async (findingId: string) => {
    await t.platform.auditSequencer.drain(a.organizationId);
    const { rows } = await (await t.owner()).query(`select action, actor_type, details from audit_events where target_type = 'mcp_finding' and target_id = $1 order by occurred_at, id`, [
      findingId,
    ]);
    return rows as { action: string; actor_type: string; details: Record<string, unknown> }[];
  };

  it('lists findings newest first with filters and keyset pages, and reads one, for every role', async () => {
    const s1 = await server();
    const s2 = await server();
    const f1 = await insertMcpFinding(t, a.organizationId, s1, { severity: 'low' });
    const f2 = await insertMcpFinding(t, a.organizationId, s2, { kind: 'drift', severity: 'medium', title: 'Tools changed since approval', evidence: { toolName: 'x' } });
    const f3 = await insertMcpFinding(t, a.organizationId, s1, { severity: 'critical' });
    await insertMcpFinding(t, b.organizationId, await server(b));

    const all = await send('GET', `/api/v1/mcp-findings?mcpServerId=${s1}`, a.as.viewer.session);
    assert.equal(all.statusCode, 200, all.body);
    assert.deepEqual(all.json().findings.map((f: { id: string }) => f.id), [f3, f1]);
    for (const f of all.json().findings) mcpFindingSchema.parse(f);

    const page1 = (await send('GET', `/api/v1/mcp-findings?limit=1&kind=poisoning&kind=drift&status=open`, a.as.viewer.apiKey)).json();
    assert.equal(page1.findings.length, 1);
    const page2 = (await send('GET', `/api/v1/mcp-findings?limit=1&kind=poisoning&kind=drift&status=open&cursor=${page1.nextCursor}`, a.as.viewer.apiKey)).json();
    assert.notEqual(page2.findings[0].id, page1.findings[0].id);

    const bySeverity = (await send('GET', '/api/v1/mcp-findings?severity=medium&severity=critical', a.as.member.session)).json();
    assert.ok(bySeverity.findings.every((f: { severity: string }) => ['medium', 'critical'].includes(f.severity)));
    assert.ok(bySeverity.findings.some((f: { id: string }) => f.id === f2));
    const ids = (await send('GET', '/api/v1/mcp-findings?limit=200', a.as.viewer.session)).json().findings.map((f: { id: string }) => f.id);
    assert.ok(ids.includes(f1) && ids.includes(f2), 'the organization’s findings');
    assert.equal(ids.length, 3, 'and none of another organization');

    const ofServer = await send('GET', `/api/v1/mcp-servers/${s2}/findings`, a.as.viewer.session);
    assert.deepEqual(ofServer.json().findings.map((f: { id: string }) => f.id), [f2]);
    const one = await send('GET', `/api/v1/mcp-findings/${f2}`, a.as.viewer.session);
    assert.equal(one.statusCode, 200, one.body);
    assert.equal(one.json().finding.kind, 'drift');
    assert.equal(one.json().finding.status, 'open');
    assert.equal(one.json().finding.dismissed, null);

    assert.equal((await send('GET', '/api/v1/mcp-findings?status=closed', a.as.viewer.session)).statusCode, 400);
  });

  it('dismisses an open finding with a note (managers and admins), audited, leaving its alert open; it can be reopened', async () => {
    const id = await insertMcpFinding(t, a.organizationId, await server());
    for (const role of ['viewer', 'member'] as const) {
      const res = await send('POST', `/api/v1/mcp-findings/${id}/dismiss`, a.as[role].apiKey, { note: 'not a problem' });
      assert.equal(res.statusCode, 403, `${role}: ${res.body}`);
    }
    for (const body of [{ note: '   ' }, {}, { note: 'x'.repeat(2001) }]) {
      const res = await send('POST', `/api/v1/mcp-findings/${id}/dismiss`, a.as.manager.apiKey, body);
      assert.equal(res.statusCode, 400, res.body);
      assert.equal(res.json().error.code, 'validation_failed');
      assert.match(res.json().error.message, /note/);
    }

    const res = await send('POST', `/api/v1/mcp-findings/${id}/dismiss`, a.as.manager.session, { note: ' The marker is the vendor’s documented format. ' });
    assert.equal(res.statusCode, 200, res.body);
    const finding = res.json().finding;
    assert.equal(finding.status, 'dismissed');
    assert.deepEqual({ ...finding.dismissed, at: undefined }, { by: { type: 'user', id: a.as.manager.userId }, at: undefined, note: 'The marker is the vendor’s documented format.' });
    assert.ok(finding.alertId, 'the finding raised an alert');
    const alert = (await (await t.owner()).query('select status from alerts where id = $1', [finding.alertId])).rows[0];
    assert.equal(alert.status, 'open', 'dismissing a finding leaves its alert to the alerts inbox');

    const again = await send('POST', `/api/v1/mcp-findings/${id}/dismiss`, a.as.admin.apiKey, { note: 'twice' });
    assert.equal(again.statusCode, 409, again.body);
    assert.equal(again.json().error.code, 'mcp_finding_transition_not_allowed');

    assert.equal((await send('POST', `/api/v1/mcp-findings/${id}/reopen`, a.as.member.apiKey, {})).statusCode, 403);
    const reopened = await send('POST', `/api/v1/mcp-findings/${id}/reopen`, a.as.admin.apiKey, { note: 'dismissed by mistake' });
    assert.equal(reopened.statusCode, 200, reopened.body);
    assert.equal(reopened.json().finding.status, 'open');
    assert.equal(reopened.json().finding.dismissed, null);
    const notDismissed = await send('POST', `/api/v1/mcp-findings/${id}/reopen`, a.as.admin.apiKey);
    assert.equal(notDismissed.statusCode, 409, notDismissed.body);
    assert.equal(notDismissed.json().error.code, 'mcp_finding_transition_not_allowed');

    const events = await auditOf(id);
    assert.deepEqual(events.map((e) => [e.action, e.actor_type]), [['mcp_finding.raised', 'system'], ['mcp_finding.dismiss', 'user'], ['mcp_finding.reopen', 'api_key']]);
    assert.equal(events[1]!.details.note, 'The marker is the vendor’s documented format.');
    assert.equal(events[2]!.details.note, 'dismissed by mistake');
  });

  it('refuses to reopen a dismissed finding while another open finding has its key', async () => {
    const mcpServerId = await server();
    const dedupKey = `poisoning:${mcpServerId}:override_phrase:${'a'.repeat(64)}:t`;
    const first = await insertMcpFinding(t, a.organizationId, mcpServerId, { dedupKey });
    assert.equal((await send('POST', `/api/v1/mcp-findings/${first}/dismiss`, a.as.manager.apiKey, { note: 'ok' })).statusCode, 200);
    const second = await insertMcpFinding(t, a.organizationId, mcpServerId, { dedupKey });
    const res = await send('POST', `/api/v1/mcp-findings/${first}/reopen`, a.as.manager.apiKey, {});
    assert.equal(res.statusCode, 409, res.body);
    assert.equal(res.json().error.details.openFindingId, second);
  });

  it('answers 404 for another organization’s findings and servers, and for unknown ids', async () => {
    const bServer = await server(b);
    const bFinding = await insertMcpFinding(t, b.organizationId, bServer);
    for (const [method, url, body] of [
      ['GET', `/api/v1/mcp-findings/${bFinding}`],
      ['POST', `/api/v1/mcp-findings/${bFinding}/dismiss`, { note: 'x' }],
      ['POST', `/api/v1/mcp-findings/${bFinding}/reopen`, {}],
      ['GET', `/api/v1/mcp-servers/${bServer}/findings`],
      ['GET', `/api/v1/mcp-servers/${bServer}/confidence`],
      ['GET', '/api/v1/mcp-findings/mcf_00000000000000000000000000'],
    ] as const) {
      const res = await send(method, url, a.as.admin.apiKey, body);
      assert.equal(res.statusCode, 404, `${method} ${url}: ${res.body}`);
    }
    const untouched = (await (await t.owner()).query('select status from mcp_findings where id = $1', [bFinding])).rows[0];
    assert.equal(untouched.status, 'open');
  });

  it('answers the confidence of a server: unknown with no evidence, each factor explained', async () => {
    const id = await server();
    const res = await send('GET', `/api/v1/mcp-servers/${id}/confidence`, a.as.viewer.session);
    assert.equal(res.statusCode, 200, res.body);
    const { confidence } = res.json();
    assert.equal(confidence.mcpServerId, id);
    assert.equal(confidence.score, null);
    assert.equal(confidence.confidence, 0);
    assert.deepEqual(confidence.factors.map((f: { key: string }) => f.key), ['identity', 'scans', 'attestations', 'driftHistory', 'findings']);
    for (const f of confidence.factors) {
      assert.equal(f.value, null, f.key);
      assert.equal(f.contribution, 0);
      assert.match(f.explanation, /^Unknown/, f.key);
    }
  });
});
