import { it } from 'node:test';
import assert from 'node:assert/strict';
import { registerAgent } from '../../testing/agent-fixtures.js';
import { seedOrganization, startSession } from '../../testing/people-fixtures.js';
import { acrossInstances } from '../../testing/test-app.js';

/** Read server-sent events from a live stream until `until` accepts one (or the stream ends). */
async function readUntil(
  response: Response,
  until: (event: { event: string; data: Record<string, unknown> }) => boolean,
): Promise<{ event: string; data: Record<string, unknown> }[]> {
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  const seen: { event: string; data: Record<string, unknown> }[] = [];
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return seen;
    buffer += decoder.decode(value, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) !== -1) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = /^event: (.+)$/m.exec(block)?.[1];
      const data = /^data: (.+)$/m.exec(block)?.[1];
      if (!event || !data) continue;
      const parsed = { event, data: JSON.parse(data) as Record<string, unknown> };
      seen.push(parsed);
      if (until(parsed)) {
        await reader.cancel();
        return seen;
      }
    }
  }
}

acrossInstances('live updates', (instances, skip) => {
  const open = (base: string, headers: Record<string, string>, signal: AbortSignal) =>
    fetch(`${base}/api/v1/events`, { headers: { ...headers, connection: 'close' }, signal });

  it('streams a change made through another instance, with its details only to those who may read the audit log', { skip }, async () => {
    const { a, b } = instances;
    const org = await seedOrganization(a, 'Live');
    const other = await seedOrganization(a, 'Elsewhere');
    const admin = (await startSession(a, org.as.admin.userId, org.organizationId)).headers;
    const viewer = (await startSession(a, org.as.viewer.userId, org.organizationId)).headers;
    const stranger = (await startSession(a, other.as.admin.userId, other.organizationId)).headers;
    const abort = new AbortController();
    const base = await a.app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const [asAdmin, asViewer, asStranger] = await Promise.all([open(base, admin, abort.signal), open(base, viewer, abort.signal), open(base, stranger, abort.signal)]);
      for (const res of [asAdmin, asViewer, asStranger]) {
        assert.equal(res.status, 200);
        assert.match(res.headers.get('content-type')!, /^text\/event-stream/);
      }
      // The change goes through instance B; the streams are on instance A.
      const { agent } = await registerAgent(b, org.as.member.apiKey, { name: 'live-bot' });
      const isAgent = (e: { event: string; data: Record<string, unknown> }) => e.event === 'change' && (e.data.topics as string[]).includes('agent');
      const [seenByAdmin, seenByViewer] = await Promise.all([readUntil(asAdmin, isAgent), readUntil(asViewer, isAgent)]);
      const adminChange = seenByAdmin.find(isAgent)!;
      const events = adminChange.data.events as { action: string; targetId: string }[];
      assert.ok(events.some((e) => e.action === 'agent.register' && e.targetId === agent.id), JSON.stringify(events));
      const viewerChange = seenByViewer.find(isAgent)!;
      assert.equal(viewerChange.data.events, undefined, 'a viewer learns what kind of thing changed, not the audit details');
      // The other organization's stream hears nothing of it (only its own seeding, which touched no agent).
      const strangerEvents = await Promise.race([
        readUntil(asStranger, isAgent),
        new Promise<{ event: string; data: Record<string, unknown> }[]>((resolve) => setTimeout(() => resolve([]), 1_500)),
      ]);
      assert.ok(!strangerEvents.some(isAgent), JSON.stringify(strangerEvents));
    } finally {
      abort.abort();
    }
  });

  it('refuses API keys and people without a session', { skip }, async () => {
    const { a } = instances;
    const org = await seedOrganization(a, 'Keys');
    const byKey = await a.app.inject({ method: 'GET', url: '/api/v1/events', headers: org.as.admin.apiKey });
    assert.equal(byKey.statusCode, 403);
    assert.equal((await a.app.inject({ method: 'GET', url: '/api/v1/events' })).statusCode, 401);
  });
});
