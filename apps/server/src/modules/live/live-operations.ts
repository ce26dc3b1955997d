import type { ServerResponse } from 'node:http';
import { z } from 'zod';
import type { DomainEvent, DomainEvents } from '../../platform/events/domain-events.js';
import { AppError } from '../../platform/http/app-error.js';
import { defineOperation, type Feature } from '../../platform/http/operation.js';
import { can } from '@aim/contracts';
import { liveMessage } from './live-events.js';

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

export interface LiveFeatureDeps {
  domainEvents: Pick<DomainEvents, 'listen'>;
  /** How long one stream stays open before the browser reconnects (LIVE_STREAM_MAX_MS). */
  streamMaxMs: number;
}

export function liveFeature({ domainEvents, streamMaxMs }: LiveFeatureDeps): Feature {
  const open = new Set<ServerResponse>();
  return {
    name: 'live',
    operations: [
      defineOperation({
        method: 'GET',
        path: '/api/v1/events',
        tag: 'live',
        summary: 'Live changes of your organization (text/event-stream: `change` and `decision` events)',
        access: { auth: 'org', permission: 'organization.read', peopleOnly: true },
        responses: { 200: z.string().describe('A text/event-stream; see the summary') },
        handle: async ({ ctx, reply }) => {
          if (open.size >= MAX_STREAMS) throw new AppError('service_unavailable', 'Too many live connections to this instance; try again shortly.');
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

          const viewer = { organizationId: ctx.organizationId, auditor: can(ctx.role, 'audit.read'), decisions: can(ctx.role, 'decision.read') };
          const stop = await domainEvents.listen((e: DomainEvent) => {
            const message = liveMessage(e, viewer);
            if (message) send(message.event, message.data);
          });
          const ping = setInterval(() => raw.write(': ping\n\n'), PING_MS);
          const end = setTimeout(() => raw.end(), streamMaxMs);
          ping.unref();
          end.unref();
          raw.on('close', () => {
            clearInterval(ping);
            clearTimeout(end);
            stop();
            open.delete(raw);
          });
          return reply;
        },
      }),
    ],
    // No route here: the open streams end as the server closes, or closing would wait for each to time out.
    registerRoutes: (app) => {
      app.addHook('preClose', (done) => {
        for (const raw of open) raw.end();
        done();
      });
    },
  };
}
