import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { forEachTarget } from '../../testing/targets.js';
import { createTestApp, type TestApp } from '../../testing/test-app.js';

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes?: { key: string; value: Record<string, unknown> }[];
}

/** A real OTLP/HTTP receiver on loopback: the exporter sends to it exactly as to a collector. */
function startCollector(): Promise<{ server: Server; url: string; spans: OtlpSpan[] }> {
  const spans: OtlpSpan[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.url === '/v1/traces') {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
          resourceSpans: { scopeSpans: { spans: OtlpSpan[] }[] }[];
        };
        for (const rs of body.resourceSpans) for (const ss of rs.scopeSpans) spans.push(...ss.spans);
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      resolve({ server, url: `http://127.0.0.1:${port}`, spans });
    }),
  );
}

forEachTarget('tracing', (target) => {
  let t: TestApp;
  let collector: Awaited<ReturnType<typeof startCollector>>;
  before(async () => {
    collector = await startCollector();
    t = await createTestApp(target, { env: { OTEL_EXPORTER_OTLP_ENDPOINT: collector.url } });
  });
  after(async () => {
    await t?.close();
    collector?.server.close();
  });

  it('exports a server span per request, continuing the caller trace, with database spans as children', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const res = await t.app.inject({
      method: 'GET',
      url: '/readyz',
      headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
    });
    assert.equal(res.statusCode, 200);
    await t.platform.tracing!.flush();
    const server = collector.spans.find((s) => s.name === 'GET /readyz');
    assert.ok(server, `spans seen: ${collector.spans.map((s) => s.name).join(', ')}`);
    assert.equal(server.parentSpanId, '00f067aa0ba902b7');
    const route = server.attributes?.find((a) => a.key === 'http.route');
    assert.deepEqual(route?.value, { stringValue: '/readyz' });
    const db = collector.spans.find((s) => s.name === 'pg.query' && s.parentSpanId === server.spanId);
    assert.ok(db, 'the readiness query is a child span of the request');
  });

  it('is entirely off without an endpoint', async () => {
    const plain = await createTestApp(target);
    try {
      assert.equal(plain.platform.tracing, undefined);
    } finally {
      await plain.close();
    }
  });
});
