import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/**
 * Request ids end up in logs and audit events, so a client must not be able to choose them.
 * Behind a trusted proxy (TRUST_PROXY set), the proxy's x-request-id is kept when it is short and
 * plain, so a request can be followed across both; otherwise every request gets a fresh UUID.
 */
const ACCEPTABLE = /^[A-Za-z0-9._:-]{1,128}$/;

export function requestIdGenerator(trustProxy: boolean | number | string[]): (req: IncomingMessage) => string {
  if (trustProxy === false || trustProxy === 0 || (Array.isArray(trustProxy) && trustProxy.length === 0)) {
    return () => randomUUID();
  }
  return (req) => {
    const given = req.headers['x-request-id'];
    return typeof given === 'string' && ACCEPTABLE.test(given) ? given : randomUUID();
  };
}
