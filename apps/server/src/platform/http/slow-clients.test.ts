import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { agentToken, registerAgent, signedHeaders, type TestAgentKey } from '../../testing/agent-fixtures.js';
import { seedOrganization, startSession, type SeededOrganization } from '../../testing/people-fixtures.js';
import { forEachTarget } from '../../testing/targets.js';
import { createTestApp, type TestApp } from '../../testing/test-app.js';

interface RawAnswer {
  status: number;
  headers: string;
  body: string;
  /** The server closed the connection. */
  closed: boolean;
}

/**
 * Write `request` as bytes on a fresh connection and read until the server closes it. The guard only
 * stops a broken test from hanging: nothing here depends on how fast the server answers.
 */
function raw(port: number, request: string): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' });
    const chunks: Buffer[] = [];
    const guard = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer, connection still open; received: ${Buffer.concat(chunks).toString()}`));
    }, 60_000);
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      clearTimeout(guard);
      const text = Buffer.concat(chunks).toString('utf8');
      const [head = '', body = ''] = text.split('\r\n\r\n');
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0), headers: head, body, closed: true });
    });
    socket.write(request);
  });
}

const errorCode = (answer: RawAnswer) => (JSON.parse(answer.body) as { error: { code: string } }).error.code;

/** The HTTP server's limits over a real socket: slow clients are answered 408 and closed; long answers are not. */
forEachTarget('slow clients and repeated headers', (target) => {
  let t: TestApp;
  let org: SeededOrganization;
  let port: number;
  let agent: { id: string; key: TestAgentKey };

  before(async () => {
    t = await createTestApp(target, { env: { HTTP_REQUEST_TIMEOUT_MS: '1000', HTTP_HEADERS_TIMEOUT_MS: '1000', LIVE_STREAM_MAX_MS: '60000' } });
    org = await seedOrganization(t, 'Slow');
    const registered = await registerAgent(t, org.as.admin.apiKey, { name: 'slow-bot' });
    agent = { id: registered.agent.id, key: registered.key };
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    const address = t.app.server.address();
    if (address === null || typeof address === 'string') throw new Error('not listening on TCP');
    port = address.port;
  });
  after(() => t?.close());

  const capabilityCount = async (name: string) =>
    Number((await (await t.owner()).query('select count(*) from capabilities where name = $1', [name])).rows[0].count);

  it('answers a body that never finishes with 408 request_timeout, closes the connection, and stores nothing', async () => {
    const body = JSON.stringify({ name: 'slow:body', riskLevel: 'low' });
    const answer = await raw(
      port,
      `POST /api/v1/capabilities HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: ${org.as.admin.apiKey.authorization}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${body.length + 50}\r\n\r\n${body}`,
    );
    assert.equal(answer.status, 408, answer.headers);
    assert.equal(errorCode(answer), 'request_timeout');
    assert.match(answer.headers, /connection: close/i);
    assert.ok(answer.closed);
    assert.equal(await capabilityCount('slow:body'), 0);
  });

  it('answers headers that never finish with 408 and closes the connection', async () => {
    const answer = await raw(port, `GET /api/v1/agents HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: ${org.as.admin.apiKey.authorization}\r\n`);
    assert.equal(answer.status, 408, answer.headers);
    assert.equal(errorCode(answer), 'request_timeout');
    assert.ok(answer.closed);
  });

  it('does not time out a keep-alive connection that waits between requests longer than the timeouts', async () => {
    const socket = connect({ port, host: '127.0.0.1' });
    let received = '';
    socket.on('data', (chunk) => (received += chunk.toString()));
    const answers = () => received.match(/HTTP\/1\.1 \d{3}/g) ?? [];
    const until = async (count: number) => {
      while (answers().length < count && !socket.closed) await new Promise((resolve) => setTimeout(resolve, 20));
    };
    try {
      const request = `GET /api/v1/meta HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`;
      socket.write(request);
      await until(1);
      // Idle for three times the request (and headers) timeout, then the next request on the same connection.
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      assert.ok(!socket.destroyed, 'the connection is still open');
      socket.write(request);
      await until(2);
      assert.deepEqual(answers(), ['HTTP/1.1 200', 'HTTP/1.1 200']);
    } finally {
      socket.destroy();
    }
  });

  it('keeps long answers open past the request timeout: a decision long-poll and the live stream', async () => {
    const base = `http://127.0.0.1:${port}`;
    const api = (method: string, path: string, body?: unknown) =>
      fetch(`${base}${path}`, {
        method,
        headers: { ...org.as.admin.apiKey, connection: 'close', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    assert.equal((await api('POST', '/api/v1/capabilities', { name: 'slow:refund', riskLevel: 'high' })).status, 201);
    assert.equal((await api('POST', `/api/v1/agents/${agent.id}/grants`, { capability: 'slow:refund' })).status, 201);
    const policy = await api('POST', '/api/v1/policies', { name: 'slow-approval', type: 'require_approval', scope: { agentIds: [agent.id] }, config: { minRisk: 'high' } });
    assert.equal(policy.status, 201, await policy.clone().text());
    const verifyPath = `/api/v1/agents/${agent.id}/verify-action`;
    const verifyBody = JSON.stringify({ action: 'slow:refund', resource: 'orders/1' });
    const asked = await fetch(`${base}${verifyPath}`, {
      method: 'POST',
      headers: { ...signedHeaders(agent.key, { method: 'POST', url: verifyPath, body: verifyBody, origin: t.platform.publicOrigin.baseUrl }), connection: 'close' },
      body: verifyBody,
    });
    const pending = (await asked.json()) as { decision: string; decisionId: string };
    assert.equal(pending.decision, 'pending', JSON.stringify(pending));

    // The live stream opens first; the long-poll waits three times the request timeout and answers 200, still pending.
    const session = (await startSession(t, org.as.admin.userId, org.organizationId)).headers;
    const abort = new AbortController();
    const stream = await fetch(`${base}/api/v1/events`, { headers: { cookie: session.cookie!, connection: 'close' }, signal: abort.signal });
    try {
      assert.equal(stream.status, 200);
      const token = await agentToken(t, agent.key);
      const polled = await fetch(`${base}/api/v1/decisions/${pending.decisionId}?wait=3`, { headers: { authorization: `Bearer ${token}`, connection: 'close' } });
      assert.equal(polled.status, 200, await polled.clone().text());
      assert.equal(((await polled.json()) as { decision: { status: string } }).decision.status, 'pending');

      // The stream, open all that time, still carries the next change.
      assert.equal((await api('POST', '/api/v1/capabilities', { name: 'slow:after', riskLevel: 'low' })).status, 201);
      const reader = stream.body!.getReader();
      const decoder = new TextDecoder();
      let text = '';
      while (!/event: change\ndata: .*"capability"/.test(text)) {
        const { value, done } = await reader.read();
        assert.ok(!done, `the stream ended early: ${text}`);
        text += decoder.decode(value, { stream: true });
      }
      await reader.cancel();
    } finally {
      abort.abort();
    }
  });

  it('refuses an Authorization header sent twice (400 duplicate_header), whichever comes first, and stores nothing', async () => {
    const body = JSON.stringify({ name: 'dup:auth', riskLevel: 'low' });
    const send = (authorizations: string[]) =>
      raw(
        port,
        `POST /api/v1/capabilities HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n${authorizations.map((a) => `Authorization: ${a}\r\n`).join('')}` +
          `Content-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
      );
    const admin = org.as.admin.apiKey.authorization!;
    const viewer = org.as.viewer.apiKey.authorization!;
    for (const pair of [[admin, viewer], [viewer, admin], [admin, admin], [admin, 'Bearer aim_v1_forged']]) {
      const answer = await send(pair);
      assert.equal(answer.status, 400, answer.body);
      assert.equal(errorCode(answer), 'duplicate_header');
      assert.match(answer.body, /authorization header was sent more than once/);
    }
    assert.equal(await capabilityCount('dup:auth'), 0);
    // Sent once, the same request is accepted.
    assert.equal((await send([admin])).status, 201);
    assert.equal(await capabilityCount('dup:auth'), 1);
  });

  it('refuses repeated Signature, Signature-Input, Content-Digest and Host lines on a signed request', async () => {
    const created = await t.app.inject({ method: 'POST', url: '/api/v1/capabilities', headers: org.as.admin.apiKey, payload: { name: 'dup:read', riskLevel: 'low' } });
    assert.equal(created.statusCode, 201);
    const path = `/api/v1/agents/${agent.id}/verify-action`;
    const body = JSON.stringify({ action: 'dup:read' });
    const decisions = async () =>
      Number((await (await t.owner()).query(`select count(*) from verification_events where action = 'dup:read'`)).rows[0].count);
    const signed = signedHeaders(agent.key, { method: 'POST', url: path, body, origin: t.platform.publicOrigin.baseUrl });
    const lines = (repeat?: string) =>
      [`Host: 127.0.0.1:${port}`, ...Object.entries(signed).map(([k, v]) => `${k}: ${v}`)].flatMap((line) =>
        repeat && line.toLowerCase().startsWith(`${repeat}:`) ? [line, line] : [line],
      );
    const send = (repeat?: string) =>
      raw(port, `POST ${path} HTTP/1.1\r\n${lines(repeat).join('\r\n')}\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);
    for (const header of ['signature', 'signature-input', 'content-digest', 'host']) {
      const answer = await send(header);
      assert.equal(answer.status, 400, `${header}: ${answer.body}`);
      assert.equal(errorCode(answer), 'duplicate_header', header);
    }
    assert.equal(await decisions(), 0);
    // The same request, each header once, is verified and decided (denied: the capability is not granted).
    const once = await send();
    assert.equal(once.status, 200, once.body);
    assert.equal(await decisions(), 1);
  });
});
