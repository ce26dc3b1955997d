import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { forEachTarget } from '../../testing/targets.js';
import { createTestApp, type TestApp } from '../../testing/test-app.js';
import { seedOrganization, type SeededOrganization } from '../../testing/people-fixtures.js';

const http = (url: string) => ({ type: 'streamable_http', url });
let serial = 0;
const named = (prefix = 'srv') => `${prefix}-${++serial}`;

forEachTarget('mcp server registry', (target) => {
  let t: TestApp;
  let a: SeededOrganization;
  let b: SeededOrganization;
  before(async () => {
    t = await createTestApp(target, { env: { RATE_LIMIT_IP_MAX: '100000', RATE_LIMIT_PRINCIPAL_MAX: '100000' } });
    a = await seedOrganization(t, 'A');
    b = await seedOrganization(t, 'B');
  });
  after(() => t?.close());

  const send = (method: 'POST' | 'PATCH' | 'GET', url: string, headers: Record<string, string>, payload?: unknown) =>
    t.app.inject({
      method,
      url,
      headers: { ...headers, ...(payload === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }),
    });
  const register = async (headers: Record<string, string>, body: Record<string, unknown> = {}) => {
    const res = await send('POST', '/api/v1/mcp-servers', headers, { name: named(), transport: http('https://mcp.example.com/mcp'), ...body });
    assert.equal(res.statusCode, 201, res.body);
    return res.json().mcpServer;
  };
  const serverCount = async () => Number((await (await t.owner()).query('select count(*) from mcp_servers')).rows[0].count);
  const auditOf = async (organizationId: string, targetId: string) => {
    await t.platform.auditSequencer.drain(organizationId);
    const { rows } = await (await t.owner()).query(
      `select action, actor_type, actor_id, details from audit_events where organization_id = $1 and target_type = 'mcp_server' and target_id = $2 order by occurred_at, id`,
      [organizationId, targetId],
    );
    return rows as { action: string; actor_type: string; actor_id: string; details: Record<string, unknown> }[];
  };

  it('registers a server of either transport as pending, owned by the caller, with its audit event', async () => {
    const res = await send('POST', '/api/v1/mcp-servers', a.as.member.apiKey, {
      name: ' github ',
      description: 'Issues and pull requests',
      publisher: 'GitHub',
      transport: http('https://MCP.Example.com:443/mcp'),
      tags: ['engineering', 'engineering'],
    });
    assert.equal(res.statusCode, 201, res.body);
    const server = res.json().mcpServer;
    assert.match(server.id, /^mcp_[0-9a-z]{26}$/);
    assert.equal(server.organizationId, a.organizationId);
    assert.equal(server.name, 'github');
    assert.equal(server.slug, 'github', 'the slug comes from the name');
    assert.equal(server.publisher, 'GitHub');
    assert.equal(server.ownerId, a.as.member.userId, 'an API key registers for the person who created it');
    assert.equal(server.status, 'pending');
    assert.deepEqual(server.transport, http('https://mcp.example.com/mcp'), 'the endpoint is stored normalized');
    assert.deepEqual(server.tags, ['engineering']);
    const read = await send('GET', `/api/v1/mcp-servers/${server.id}`, a.as.viewer.session);
    assert.equal(read.statusCode, 200, read.body);
    assert.deepEqual(read.json().mcpServer, server);
    const events = await auditOf(a.organizationId, server.id);
    assert.deepEqual(events.map((e) => [e.action, e.actor_type]), [['mcp_server.create', 'api_key']]);
    assert.deepEqual(events[0]!.details, { name: 'github', slug: 'github', ownerId: a.as.member.userId, transport: 'streamable_http', endpointUrl: 'https://mcp.example.com/mcp' });

    const command = 'npx -y @modelcontextprotocol/server-filesystem /srv/reports';
    const stdio = await register(a.as.member.session, { transport: { type: 'stdio', command } });
    assert.deepEqual(stdio.transport, { type: 'stdio', command });
    const [created] = await auditOf(a.organizationId, stdio.id);
    assert.equal(created!.actor_type, 'user');
    assert.equal(created!.details.transport, 'stdio');
    assert.ok(!JSON.stringify(created!.details).includes('server-filesystem'), 'the launch command stays out of the audit log');
  });

  it('refuses endpoints the outbound guard refuses, credentials, and incomplete transports, creating nothing', async () => {
    const before = await serverCount();
    const cases: [string, unknown, RegExp][] = [
      ['not a URL', http('mcp.example.com/mcp'), /url/],
      ['another scheme', http('ftp://mcp.example.com/mcp'), /url/],
      ['plain http to a public host', http('http://mcp.example.com/mcp'), /Only https/],
      ['a private address', http('https://10.0.0.5/mcp'), /not a public address/],
      ['loopback', http('https://127.0.0.1:8443/mcp'), /not a public address/],
      ['IPv6 loopback', http('https://[::1]/mcp'), /not a public address/],
      ['cloud metadata', http('https://169.254.169.254/latest'), /not a public address/],
      ['IPv4-mapped private address', http('https://[::ffff:192.168.1.1]/mcp'), /not a public address/],
      ['a loopback name', http('https://localhost/mcp'), /loopback name/],
      ['credentials in the URL', http('https://user:pw@mcp.example.com/mcp'), /credentials/],
      ['a credential in the query', http('https://mcp.example.com/mcp?api_key=abc'), /looks like a credential/],
      ['a fragment', http('https://mcp.example.com/mcp#tools'), /fragment/],
      ['streamable_http without a URL', { type: 'streamable_http' }, /url/],
      ['stdio without a command', { type: 'stdio' }, /command/],
      ['stdio with an empty command', { type: 'stdio', command: '   ' }, /command/],
      ['stdio with a URL instead', { type: 'stdio', url: 'https://mcp.example.com/mcp' }, /command/],
      ['a command that sets a secret', { type: 'stdio', command: 'GITHUB_TOKEN=ghp_abc npx server-github' }, /secret/],
      ['an unknown transport', { type: 'sse', url: 'https://mcp.example.com/sse' }, /type|transport/],
    ];
    for (const [label, transport, message] of cases) {
      const res = await send('POST', '/api/v1/mcp-servers', a.as.admin.apiKey, { name: named(), transport });
      assert.equal(res.statusCode, 400, `${label}: ${res.body}`);
      assert.equal(res.json().error.code, 'validation_failed', label);
      assert.match(res.json().error.message, message, label);
    }
    for (const body of [{ transport: http('https://mcp.example.com/mcp') }, { name: '', transport: http('https://mcp.example.com/mcp') }, { name: named() }]) {
      const res = await send('POST', '/api/v1/mcp-servers', a.as.admin.apiKey, body);
      assert.equal(res.statusCode, 400, res.body);
      assert.equal(res.json().error.code, 'validation_failed');
    }
    assert.equal(await serverCount(), before);
  });

  it('owners: members register for themselves, managers for any member, never for someone outside', async () => {
    const forOther = await send('POST', '/api/v1/mcp-servers', a.as.member.apiKey, { name: named(), transport: http('https://mcp.example.com/mcp'), ownerId: a.as.viewer.userId });
    assert.equal(forOther.statusCode, 403, forOther.body);
    const byManager = await register(a.as.manager.apiKey, { ownerId: a.as.viewer.userId });
    assert.equal(byManager.ownerId, a.as.viewer.userId);
    for (const ownerId of [b.as.admin.userId, 'usr_00000000000000000000000000']) {
      const res = await send('POST', '/api/v1/mcp-servers', a.as.admin.apiKey, { name: named(), transport: http('https://mcp.example.com/mcp'), ownerId });
      assert.equal(res.statusCode, 400, res.body);
      assert.match(res.json().error.message, /ownerId: must be a member/);
    }
    const name = named('taken');
    await register(a.as.member.apiKey, { name });
    const twice = await send('POST', '/api/v1/mcp-servers', a.as.admin.apiKey, { name: name.toUpperCase(), transport: { type: 'stdio', command: 'x' } });
    assert.equal(twice.statusCode, 409, twice.body);
    const viewer = await send('POST', '/api/v1/mcp-servers', a.as.viewer.apiKey, { name: named(), transport: http('https://mcp.example.com/mcp') });
    assert.equal(viewer.statusCode, 403, viewer.body);
  });

  it('lists newest first with filters and keyset pagination, only the organization’s own', async () => {
    const tag = `list-${Date.now().toString(36)}`;
    const made = [];
    for (let i = 0; i < 5; i++) {
      made.push(await register(a.as.manager.apiKey, { tags: [tag], ...(i % 2 ? { transport: { type: 'stdio', command: `run ${i}` } } : {}), ...(i === 4 ? { publisher: 'Needle Corp' } : {}) }));
    }
    await register(b.as.admin.apiKey, { tags: [tag] });
    const pages: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await send('GET', `/api/v1/mcp-servers?tag=${tag}&limit=2${cursor ? `&cursor=${cursor}` : ''}`, a.as.viewer.apiKey);
      assert.equal(res.statusCode, 200, res.body);
      pages.push(...res.json().mcpServers.map((s: { id: string }) => s.id));
      cursor = res.json().nextCursor;
    } while (cursor);
    assert.deepEqual(pages, made.map((s) => s.id).reverse(), 'all five, newest first, none of the other organization');
    const ids = async (query: string) => (await send('GET', `/api/v1/mcp-servers?tag=${tag}&${query}`, a.as.member.session)).json().mcpServers.map((s: { id: string }) => s.id);
    assert.deepEqual(await ids('transport=stdio'), [made[3].id, made[1].id]);
    assert.deepEqual(await ids('q=needle'), [made[4].id]);
    assert.deepEqual(await ids(`ownerId=${a.as.manager.userId}&status=pending`), made.map((s) => s.id).reverse());
    assert.deepEqual(await ids('status=suspended'), []);
    assert.equal((await send('GET', '/api/v1/mcp-servers?status=active', a.as.member.session)).statusCode, 400);
  });

  it('updates: the owner and managers change a server; a new endpoint is checked again and sends a vouched server back to pending', async () => {
    const server = await register(a.as.member.apiKey);
    const otherMember = await send('PATCH', `/api/v1/mcp-servers/${server.id}`, a.as.viewer.apiKey, { description: 'x' });
    assert.equal(otherMember.statusCode, 403, 'viewers may not change servers');
    const mine = await register(a.as.manager.apiKey, { ownerId: a.as.viewer.userId });
    assert.equal((await send('PATCH', `/api/v1/mcp-servers/${mine.id}`, a.as.member.apiKey, { description: 'x' })).statusCode, 403, 'a member changes only their own');
    const own = await send('PATCH', `/api/v1/mcp-servers/${server.id}`, a.as.member.session, { description: 'Now with search', publisher: 'Acme', tags: ['a', 'b'] });
    assert.equal(own.statusCode, 200, own.body);
    assert.equal(own.json().mcpServer.description, 'Now with search');
    assert.equal((await send('PATCH', `/api/v1/mcp-servers/${server.id}`, a.as.member.apiKey, { ownerId: a.as.viewer.userId })).statusCode, 403);
    const refused = await send('PATCH', `/api/v1/mcp-servers/${server.id}`, a.as.member.apiKey, { transport: http('https://192.168.0.10/mcp') });
    assert.equal(refused.statusCode, 400, refused.body);
    assert.equal((await send('PATCH', `/api/v1/mcp-servers/${server.id}`, a.as.member.apiKey, {})).statusCode, 400, 'an empty change');

    // Verified, approved and drifted come with discovery; set here as that slice will.
    await (await t.owner()).query(`update mcp_servers set status = 'approved' where id = $1`, [server.id]);
    const moved = await send('PATCH', `/api/v1/mcp-servers/${server.id}`, a.as.manager.apiKey, { transport: http('https://mcp2.example.com/mcp'), ownerId: a.as.viewer.userId });
    assert.equal(moved.statusCode, 200, moved.body);
    assert.equal(moved.json().mcpServer.status, 'pending');
    assert.equal(moved.json().mcpServer.ownerId, a.as.viewer.userId);
    assert.deepEqual(moved.json().mcpServer.transport, http('https://mcp2.example.com/mcp'));
    const update = (await auditOf(a.organizationId, server.id)).filter((e) => e.action === 'mcp_server.update').at(-1)!;
    assert.deepEqual(update.details.status, { from: 'approved', to: 'pending' });
    assert.deepEqual(update.details.transport, { from: { transport: 'streamable_http', endpointUrl: 'https://mcp.example.com/mcp' }, to: { transport: 'streamable_http', endpointUrl: 'https://mcp2.example.com/mcp' } });
    assert.deepEqual(update.details.ownerId, { from: a.as.member.userId, to: a.as.viewer.userId });
  });

  it('suspends, reactivates as pending and revokes, each with its audit event; revoked is final', async () => {
    const server = await register(a.as.member.apiKey);
    const post = (action: string, headers = a.as.member.apiKey, body?: unknown) => send('POST', `/api/v1/mcp-servers/${server.id}/${action}`, headers, body);
    const suspended = await post('suspend', a.as.member.apiKey, { reason: 'Unexpected tool' });
    assert.equal(suspended.statusCode, 200, suspended.body);
    assert.equal(suspended.json().mcpServer.status, 'suspended');
    assert.equal(suspended.json().mcpServer.statusReason, 'Unexpected tool');
    assert.equal((await post('suspend')).statusCode, 409);
    assert.equal((await post('reactivate', a.as.viewer.apiKey)).statusCode, 403);
    const reactivated = await post('reactivate', a.as.manager.session);
    assert.equal(reactivated.statusCode, 200, reactivated.body);
    assert.equal(reactivated.json().mcpServer.status, 'pending');
    assert.equal(reactivated.json().mcpServer.statusReason, null);
    assert.equal((await post('reactivate')).statusCode, 409);
    const revoked = await post('revoke', a.as.member.apiKey, { reason: 'Replaced' });
    assert.equal(revoked.json().mcpServer.status, 'revoked');
    for (const action of ['suspend', 'reactivate', 'revoke']) {
      const again = await post(action, a.as.admin.apiKey);
      assert.equal(again.statusCode, 409, action);
      assert.match(again.json().error.message, /final/);
    }
    assert.equal((await send('PATCH', `/api/v1/mcp-servers/${server.id}`, a.as.admin.apiKey, { description: 'x' })).statusCode, 409);
    const events = await auditOf(a.organizationId, server.id);
    assert.deepEqual(events.map((e) => [e.action, e.details.from ?? null, e.details.to ?? null]), [
      ['mcp_server.create', null, null],
      ['mcp_server.suspend', 'pending', 'suspended'],
      ['mcp_server.reactivate', 'suspended', 'pending'],
      ['mcp_server.revoke', 'pending', 'revoked'],
    ]);
    assert.equal(events[1]!.details.reason, 'Unexpected tool');
    // The name is free again; the slug is not: it names actions that grants refer to, and a new server must not inherit them.
    const sameSlug = await send('POST', '/api/v1/mcp-servers', a.as.member.apiKey, { name: server.name, transport: http('https://mcp.example.com/mcp') });
    assert.equal(sameSlug.statusCode, 409, sameSlug.body);
    assert.match(sameSlug.json().error.message, /slug/);
    const renamed = await register(a.as.member.apiKey, { name: server.name, slug: `${server.slug}-2` });
    assert.equal(renamed.slug, `${server.slug}-2`);
  });

  it('answers 404 for another organization’s server, to reads and to changes, and changes nothing', async () => {
    const theirs = await register(b.as.admin.apiKey);
    for (const [method, path, body] of [
      ['GET', '', undefined],
      ['PATCH', '', { description: 'mine now' }],
      ['POST', '/suspend', {}],
      ['POST', '/revoke', {}],
    ] as const) {
      const res = await send(method, `/api/v1/mcp-servers/${theirs.id}${path}`, a.as.admin.apiKey, body);
      assert.equal(res.statusCode, 404, `${method} ${path}: ${res.body}`);
      assert.equal(res.json().error.code, 'not_found');
    }
    const still = await send('GET', `/api/v1/mcp-servers/${theirs.id}`, b.as.viewer.apiKey);
    assert.deepEqual(still.json().mcpServer, theirs);
    assert.equal((await auditOf(b.organizationId, theirs.id)).length, 1);
  });
});

forEachTarget('mcp server registry in a deployment that allows private networks', (target) => {
  let t: TestApp;
  let a: SeededOrganization;
  before(async () => {
    t = await createTestApp(target, { env: { OUTBOUND_ALLOW_PRIVATE_NETWORKS: 'true' } });
    a = await seedOrganization(t, 'A');
  });
  after(() => t?.close());

  describe('endpoints', () => {
    it('accepts internal addresses and plain http, and still refuses credentials', async () => {
      const post = (url: string) =>
        t.app.inject({ method: 'POST', url: '/api/v1/mcp-servers', headers: { ...a.as.admin.apiKey, 'content-type': 'application/json' }, payload: { name: named('internal'), transport: http(url) } });
      for (const url of ['http://10.0.0.5:8080/mcp', 'http://localhost:3000/mcp', 'https://[fd00::1]/mcp']) {
        const res = await post(url);
        assert.equal(res.statusCode, 201, `${url}: ${res.body}`);
        assert.equal(res.json().mcpServer.transport.url, url);
      }
      const refused = await post('http://admin:pw@10.0.0.5/mcp');
      assert.equal(refused.statusCode, 400, refused.body);
      assert.match(refused.json().error.message, /credentials/);
    });
  });
});
