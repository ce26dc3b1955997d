import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { createServer as createNetServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { createOutboundGuard } from '../../../platform/net/outbound-guard.js';
import { newSecret, startReceiver, verifyReceived, type Receiver } from './delivery-fixtures.js';
import { EXCERPT_CHARS, createWebhookSender, signatureHeaders } from './webhook-sender.js';
import { MAX_ATTEMPTS, RETRY_DELAYS_SECONDS, nextAttemptAt } from './retry-schedule.js';

/** The sender against real receivers on loopback: every way an attempt ends. */
describe('webhook sender', () => {
  const allowing = createOutboundGuard({ allowPrivateNetworks: true });
  const sender = createWebhookSender({ guard: allowing, timeoutMs: 1_000, userAgent: 'AIM-Webhooks/test' });
  const receivers: Receiver[] = [];
  const receiver = async (...args: Parameters<typeof startReceiver>) => {
    const r = await startReceiver(...args);
    receivers.push(r);
    return r;
  };
  const headers = { 'webhook-id': 'dev_x', 'webhook-timestamp': '1', 'webhook-signature': 'v1,x' };
  after(async () => {
    for (const r of receivers) await r.close();
    await sender.close();
    await allowing.close();
  });

  it('posts JSON with the headers given and counts a 2xx as delivered, with an excerpt of the answer', async () => {
    const r = await receiver((_req, res) => res.writeHead(204).end());
    const ok = await receiver((_req, res) => res.end('thanks'));
    const empty = await sender.send(r.url, headers, '{"a":1}');
    assert.deepEqual({ ...empty, latencyMs: 0 }, { ok: true, statusCode: 204, latencyMs: 0, excerpt: null, errorCode: null, error: null });
    const got = r.received[0]!;
    assert.equal(got.body, '{"a":1}');
    assert.equal(got.headers['content-type'], 'application/json');
    assert.equal(got.headers['user-agent'], 'AIM-Webhooks/test');
    assert.equal(got.headers['webhook-id'], 'dev_x');
    assert.equal((await sender.send(ok.url, headers, '{}')).excerpt, 'thanks');
  });

  it('fails an attempt answered with a 5xx or 4xx (http_status), keeping the answer excerpt', async () => {
    const r = await receiver((_req, res) => res.writeHead(503).end('down for maintenance'));
    const outcome = await sender.send(r.url, headers, '{}');
    assert.equal(outcome.ok, false);
    assert.equal(outcome.statusCode, 503);
    assert.equal(outcome.errorCode, 'http_status');
    assert.equal(outcome.excerpt, 'down for maintenance');
  });

  it('does not follow a redirect: a 3xx is a failed attempt (redirect) and the target is never asked', async () => {
    const target = await receiver();
    const r = await receiver((_req, res) => res.writeHead(302, { location: target.url }).end());
    const outcome = await sender.send(r.url, headers, '{}');
    assert.equal(outcome.errorCode, 'redirect');
    assert.equal(outcome.statusCode, 302);
    assert.match(outcome.error!, /redirects are not followed/);
    assert.equal(target.received.length, 0);
  });

  it('gives up on a receiver that never answers (timeout)', async () => {
    const r = await receiver(() => undefined);
    const outcome = await sender.send(r.url, headers, '{}');
    assert.equal(outcome.errorCode, 'timeout');
    assert.equal(outcome.statusCode, null);
    assert.ok(outcome.latencyMs >= 900, `${outcome.latencyMs} ms`);
  });

  it('reads at most 64 KiB of a huge answer and still judges it by its status', async () => {
    let written = 0;
    const r = await receiver((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      const chunk = Buffer.alloc(64 * 1024, 'x');
      // 10 MiB, written only as fast as it is read: a sender reading it all would take every chunk.
      const pump = () => {
        while (written < 10 * 1024 * 1024) {
          written += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
    });
    const outcome = await sender.send(r.url, headers, '{}');
    assert.equal(outcome.ok, true);
    assert.equal(outcome.excerpt!.length, EXCERPT_CHARS);
    assert.ok(written < 10 * 1024 * 1024, `the receiver wrote ${written} bytes: the sender read on`);
  });

  it('reports a refused connection (connection)', async () => {
    const closed = createNetServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const outcome = await sender.send(`http://127.0.0.1:${port}/`, headers, '{}');
    assert.equal(outcome.errorCode, 'connection');
    assert.match(outcome.error!, /ECONNREFUSED/);
  });

  describe('TLS', () => {
    let server: HttpsServer;
    let dir: string;
    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'aim-webhook-tls-'));
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-days', '1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], {
        stdio: 'ignore',
      });
      server = createHttpsServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, (_req, res) => res.end('ok'));
      await new Promise<void>((resolve) => server.listen(0, resolve));
    });
    after(async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      rmSync(dir, { recursive: true, force: true });
    });

    it('refuses a certificate it cannot verify (tls)', async () => {
      const { port } = server.address() as AddressInfo;
      const outcome = await sender.send(`https://localhost:${port}/`, headers, '{}');
      assert.equal(outcome.errorCode, 'tls', outcome.error ?? '');
      assert.equal(outcome.statusCode, null);
    });
  });

  describe('without OUTBOUND_ALLOW_PRIVATE_NETWORKS', () => {
    const strict = createOutboundGuard({ allowPrivateNetworks: false });
    const guarded = createWebhookSender({ guard: strict, timeoutMs: 1_000, userAgent: 'AIM-Webhooks/test' });
    after(async () => {
      await guarded.close();
      await strict.close();
    });

    it('refuses loopback, private and metadata addresses, and plain http (refused_address), sending nothing', async () => {
      const r = await receiver();
      const port = new URL(r.url).port;
      for (const url of [r.url, `https://127.0.0.1:${port}/`, 'https://169.254.169.254/latest/meta-data', 'https://10.0.0.8/', `http://example.com/`]) {
        const outcome = await guarded.send(url, headers, '{}');
        assert.equal(outcome.errorCode, 'refused_address', `${url}: ${outcome.error}`);
      }
      // A name is checked at connection time, against the address it resolves to (the one connected).
      const named = await guarded.send(`https://localhost:${port}/`, headers, '{}');
      assert.equal(named.errorCode, 'refused_address', named.error ?? '');
      assert.match(named.error!, /not a public address/);
      assert.equal(r.received.length, 0);
    });
  });

  it('signs with every secret given, each verifiable on its own as a receiver would', async () => {
    const [current, previous] = [newSecret(), newSecret()];
    const payload = JSON.stringify({ id: 'dev_1', hello: 'world' });
    const signed = signatureHeaders('dev_1', payload, [new Webhook(current), new Webhook(previous)], new Date());
    assert.equal(signed['webhook-signature']!.split(' ').length, 2);
    for (const secret of [current, previous]) assert.deepEqual(verifyReceived(secret, { headers: signed, body: payload }), JSON.parse(payload));
    assert.throws(() => verifyReceived(newSecret(), { headers: signed, body: payload }));
    assert.throws(() => verifyReceived(current, { headers: signed, body: payload.replace('world', 'World') }));
  });
});

describe('retry schedule', () => {
  it('backs off from 5 seconds to a day, within 20 %, over about three days, then gives up', () => {
    const now = new Date('2026-12-07T00:00:00Z');
    const at = (n: number, random: number) => nextAttemptAt(n, now, () => random)!.getTime() - now.getTime();
    assert.equal(at(1, 0.5), 5_000);
    assert.equal(at(1, 0), 4_000);
    assert.equal(at(1, 0.999999), 6_000);
    assert.equal(at(2, 0.5), 30_000);
    assert.equal(at(MAX_ATTEMPTS - 1, 0.5), 86_400_000);
    assert.equal(nextAttemptAt(MAX_ATTEMPTS, now), null);
    const total = RETRY_DELAYS_SECONDS.reduce((a, b) => a + b, 0) / 3600;
    assert.ok(total > 66 && total <= 72, `${total} h`);
  });
});
