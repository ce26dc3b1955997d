import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** Accept a caller's x-request-id when it is short and plain; otherwise make a new one. */
const ACCEPTABLE = /^[A-Za-z0-9._:-]{1,128}$/;

export function requestIdFrom(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && ACCEPTABLE.test(given) ? given : randomUUID();
}
