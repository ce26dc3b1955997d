import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ChainedStoredEvent } from '../../platform/audit/audit-row.js';
import { parseSyslog, selfSignedCertificate, startSyslogCollector } from '../../testing/syslog-collector.js';
import { connectSyslog } from './syslog-connection.js';
import { frame, sdValue, SD_ID, severityOf, syslogMessage } from './syslog-format.js';

const event = (over: Partial<ChainedStoredEvent> = {}): ChainedStoredEvent => ({
  id: 'evt_0000000000000000000000000a',
  organizationId: 'org_0000000000000000000000000b',
  seq: 42,
  hash: Buffer.alloc(32, 0xab),
  ingestId: 7,
  occurredAt: '2026-12-07T04:31:16.123456Z',
  actor: { type: 'user', id: 'usr_0000000000000000000000000c' },
  action: 'agent.update',
  target: { type: 'agent', id: 'agt_0000000000000000000000000d' },
  outcome: 'success',
  requestId: 'req-1',
  clientIp: '203.0.113.9',
  userAgent: 'curl/8',
  details: { purpose: 'Reads "reports" ] \\ ✓' },
  ...over,
});
const header = { facility: 10, hostname: 'aim.example.com', appName: 'aim' };

describe('syslog format', () => {
  it('writes an RFC 5424 message: PRI, version 1, the event time, host, app, no PROCID, the action as MSGID, SD, BOM and JSON', () => {
    const bytes = syslogMessage(event(), header);
    const text = bytes.toString('utf8');
    assert.ok(text.startsWith(`<86>1 2026-12-07T04:31:16.123456Z aim.example.com aim - agent.update [${SD_ID} organizationId="org_0000000000000000000000000b" seq="42" eventId="evt_0000000000000000000000000a"] \uFEFF{`), text);
    const parsed = parseSyslog(bytes);
    assert.deepEqual(JSON.parse(parsed.msg), {
      id: 'evt_0000000000000000000000000a',
      organizationId: 'org_0000000000000000000000000b',
      seq: 42,
      hash: 'ab'.repeat(32),
      occurredAt: '2026-12-07T04:31:16.123456Z',
      actor: { type: 'user', id: 'usr_0000000000000000000000000c' },
      action: 'agent.update',
      target: { type: 'agent', id: 'agt_0000000000000000000000000d' },
      outcome: 'success',
      requestId: 'req-1',
      clientIp: '203.0.113.9',
      userAgent: 'curl/8',
      details: { purpose: 'Reads "reports" ] \\ ✓' },
    });
  });

  it('maps the outcome to the severity: success informational, denied and failure warning', () => {
    assert.deepEqual(['success', 'denied', 'failure'].map(severityOf), [6, 4, 4]);
    assert.equal(parseSyslog(syslogMessage(event({ outcome: 'denied' }), { ...header, facility: 13 })).pri, 13 * 8 + 4);
  });

  it('escapes ", \\ and ] in SD values, keeps MSGID to 32 printable characters, and writes - for an empty field', () => {
    assert.equal(sdValue('a"b\\c]d'), 'a\\"b\\\\c\\]d');
    const long = parseSyslog(syslogMessage(event({ action: 'capability_request.approve_with_a_long_tail', target: null }), { ...header, hostname: 'h o s t', appName: '' }));
    assert.equal(long.msgId, 'capability_request.approve_with_');
    assert.equal(long.hostname, 'host');
    assert.equal(long.appName, '-');
    assert.equal(JSON.parse(long.msg).target, null);
  });

  it('frames by octet counting: the length in bytes (not characters), a space, the message', () => {
    const message = syslogMessage(event(), header);
    const framed = frame(message);
    const space = framed.indexOf(0x20);
    assert.equal(Number(framed.subarray(0, space).toString()), message.length);
    assert.ok(message.length > message.toString('utf8').length, 'multi-byte characters count as their bytes');
    assert.deepEqual(framed.subarray(space + 1), message);
  });
});

describe('syslog connection', () => {
  it("refuses a TLS collector whose certificate neither the system's authorities nor the configured one signed", async () => {
    const certificate = selfSignedCertificate();
    const collector = await startSyslogCollector({ tls: certificate });
    try {
      await assert.rejects(connectSyslog({ protocol: 'tls', host: 'localhost', port: collector.port }, () => undefined), /self-signed|self signed/);
      const other = selfSignedCertificate();
      await assert.rejects(connectSyslog({ protocol: 'tls', host: 'localhost', port: collector.port, ca: other.cert }, () => undefined), /signature|issuer|self/);
      const ok = await connectSyslog({ protocol: 'tls', host: 'localhost', port: collector.port, ca: certificate.cert }, () => undefined);
      await ok.write(frame(syslogMessage(event(), header)));
      await collector.until('the message', (m) => m.length === 1);
      ok.close();
    } finally {
      await collector.close();
    }
  });

  it('tells when the collector closes the connection, and refuses writes after', async () => {
    const collector = await startSyslogCollector();
    try {
      let closed: Error | undefined;
      const conn = await connectSyslog({ protocol: 'tcp', host: '127.0.0.1', port: collector.port }, (e) => (closed = e ?? new Error('closed')));
      await collector.until('a connection', () => collector.connections === 1);
      await collector.down();
      const deadline = Date.now() + 5_000;
      while (!closed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.ok(closed, 'the close was reported');
      assert.equal(conn.open, false);
      await assert.rejects(conn.write(Buffer.from('1 x')), /closed/);
      await assert.rejects(connectSyslog({ protocol: 'tcp', host: '127.0.0.1', port: collector.port }, () => undefined), /ECONNREFUSED/);
    } finally {
      await collector.close();
    }
  });
});
