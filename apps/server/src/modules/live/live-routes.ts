import type { ServerResponse } from 'node:http';
import { z } from 'zod';
import type { AppInstance } from '../../app.js';
import type { Platform } from '../../platform/platform.js';
import type { DomainEvent } from '../../platform/events/domain-events.js';
import { AppError } from '../../platform/http/app-error.js';
import { requestContext } from '../../platform/http/request-context.js';
import { authorize, can } from '../access/index.js';

/**
 * Live changes of the organization for the dashboard, as server-sent events. Fed by the shared
 * pub/sub, so a change made through any instance reaches a browser connected to any other:
 *
 * - `change`: `{ topics, events? }` for every committed change, once the audit log has chained it.
 *   `topics` are the kinds of thing that changed (`agent`, `capability_request`, `decision`…), which
 *   every member may know; `events` (action, target and actor type of each) only to those who may
 *   read the audit log.
 * - `decision`: a new or resolved decision (`decision.read`).
 *
 * A stream ends after LIVE_STREAM_MAX_MS (default 5 minutes; the browser reconnects, with its cookies checked again,
 * so a revoked session or a changed role takes effect), when its client goes away, and when the
 * server closes. At most MAX_STREAMS per instance.
 */
const PING_MS = 25_000;
const MAX_STREAMS = 2_000;

export function registerLiveRoutes(app: AppInstance, platform: Platform): void {
  const open = new Set<ServerResponse>();
  app.addHook('preClose', (done) => {
    for (const raw of open) raw.end();
    done();
  });

  app.get(
    '/api/v1/events',
    {
      schema: {
        tags: ['live'],
        summary: 'Live changes of your organization (text/event-stream: `change` and `decision` events)',
        response: { 200: z.string().describe('A text/event-stream; see the summary') },
      },
      config: { access: { auth: 'org', permission: 'organization.read', peopleOnly: true } },
    },
    async (request, reply) => {
      const ctx = requestContext(request);
      authorize(ctx, 'organization.read');
      if (open.size >= MAX_STREAMS) throw new AppError('service_unavailable', 'Too many live connections to this instance; try again shortly.');
      const auditor = can(ctx.role, 'audit.read');
      const decisions = can(ctx.role, 'decision.read');
      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, {
        ...(reply.getHeaders() as Record<string, string>),
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        'x-accel-buffering': 'no',
      });
      open.add(raw);
      const send = (event: string, data: unknown) => raw.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      raw.write('retry: 3000\n: connected\n\n');

      const stop = await platform.domainEvents.listen((e: DomainEvent) => {
        if (e.organizationId !== ctx.organizationId) return;
        if (e.type === 'audit.appended') {
          const { events, count } = e.data as DomainEvent<'audit.appended'>['data'];
          const topics = [...new Set(events.map((x) => x.targetType ?? x.action.split('.')[0]!))];
          send('change', { topics, count, ...(auditor ? { events } : {}) });
        } else if ((e.type === 'decision.created' || e.type === 'decision.resolved') && decisions) {
          send('decision', { type: e.type, ...e.data });
        }
      });
      const ping = setInterval(() => raw.write(': ping\n\n'), PING_MS);
      const end = setTimeout(() => raw.end(), platform.config.live.streamMaxMs);
      ping.unref();
      end.unref();
      raw.on('close', () => {
        clearInterval(ping);
        clearTimeout(end);
        stop();
        open.delete(raw);
      });
    },
  );
}
