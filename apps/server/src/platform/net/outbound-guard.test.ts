import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { createOutboundGuard, isPublicAddress, isRefusedByGuard, OutboundRequestRefused } from './outbound-guard.js';

describe('outbound guard (server-side request forgery)', () => {
  it('tells public addresses from loopback, private, link-local and reserved ones', () => {
    for (const address of ['8.8.8.8', '1.1.1.1', '2606:4700:4700::1111']) assert.ok(isPublicAddress(address), address);
    for (const address of [
      '127.0.0.1',
      '10.1.2.3',
      '172.16.0.1',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '::1',
      'fe80::1',
      'fd00::1',
      '::ffff:127.0.0.1',
      '::ffff:169.254.169.254',
      '64:ff9b::a9fe:a9fe',
      '2002:a9fe:a9fe::1',
      '2001:0:4136:e378::1',
      '::7f00:1',
      'fec0::1',
      'not-an-ip',
    ]) {
      assert.ok(!isPublicAddress(address), address);
    }
  });

  it('refuses other schemes, credentials in URLs, plain http, and literal internal addresses', async () => {
    const guard = createOutboundGuard({ allowPrivateNetworks: false });
    try {
      for (const url of ['file:///etc/passwd', 'gopher://x', 'https://user:pw@example.com/', 'http://example.com/', 'https://127.0.0.1/', 'https://[::1]/', 'https://169.254.169.254/latest/meta-data']) {
        await assert.rejects(guard.fetch(url), OutboundRequestRefused, url);
      }
    } finally {
      await guard.close();
    }
  });

  it('caps the size of a response', async () => {
    const server = createServer((_req, res) => res.end('x'.repeat(5000)));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const guard = createOutboundGuard({ allowPrivateNetworks: true, maxResponseBytes: 1000 });
    try {
      await assert.rejects(async () => (await guard.fetch(`http://127.0.0.1:${port}/`)).text(), (e: unknown) => isRefusedByGuard(e) !== undefined);
    } finally {
      await guard.close();
      server.close();
    }
  });

  it('refuses a host name that resolves to an internal address, at connection time', async () => {
    const server = createServer((_req, res) => res.end('internal secret'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const strict = createOutboundGuard({ allowPrivateNetworks: false });
    const lenient = createOutboundGuard({ allowPrivateNetworks: true });
    try {
      // localhost resolves to loopback: refused even though the URL names no address.
      await assert.rejects(strict.fetch(`https://localhost:${port}/`), (e: unknown) => {
        const cause = (e as { cause?: unknown }).cause;
        return e instanceof OutboundRequestRefused || cause instanceof OutboundRequestRefused;
      });
      const res = await lenient.fetch(`http://localhost:${port}/`);
      assert.equal(await res.text(), 'internal secret');
    } finally {
      await strict.close();
      await lenient.close();
      server.close();
    }
  });
});
