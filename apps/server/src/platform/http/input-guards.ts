import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from './app-error.js';
import { decodeUtf8, hasUnstorableText, unstorableParameter } from './unstorable-text.js';

/**
 * Input every route refuses the same way, checked once for every request instead of per route:
 *  - query and path parameters holding NUL or an unpaired surrogate (PostgreSQL stores and compares
 *    neither; without this a `?q=%00` reached the database and answered 500);
 *  - a header that decides who is calling, or what was signed, sent more than once (node keeps the first
 *    Authorization and Host and joins the others with commas; a proxy in front may have read another one).
 * JSON bodies are decoded here too: strictly as UTF-8, then checked for the same unstorable text.
 */

/**
 * Headers that must arrive as one field line. Authorization and Host: node keeps the first and drops the
 * rest, so AIM and a proxy in front could each act on another credential or authority (RFC 9112 §3.2:
 * a request with two Host lines is answered 400). Signature, Signature-Input and Content-Digest: node
 * joins repeated lines into one dictionary, in which a repeated label or algorithm counts once, so the
 * signature AIM verifies may not be the one an intermediary checked. x-csrf-token and Origin: one answer each.
 */
export const SINGLE_HEADERS: ReadonlySet<string> = new Set([
  'authorization',
  'host',
  'signature',
  'signature-input',
  'content-digest',
  'x-csrf-token',
  'origin',
]);

const UNSTORABLE_HINT = 'contains a NUL character or an unpaired UTF-16 surrogate (%00, %ED%A0%80…), which AIM cannot store or search for; remove it.';

/** The first header of SINGLE_HEADERS the raw request carries twice, or null. */
export function repeatedHeader(rawHeaders: string[]): string | null {
  let seen: Set<string> | undefined;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase();
    if (!SINGLE_HEADERS.has(name)) continue;
    seen ??= new Set();
    if (seen.has(name)) return name;
    seen.add(name);
  }
  return null;
}

export function checkRequestInput(request: FastifyRequest): void {
  const repeated = repeatedHeader(request.raw.rawHeaders);
  if (repeated) {
    throw new AppError('duplicate_header', `The ${repeated} header was sent more than once; send it exactly once.`);
  }
  const bad = unstorableParameter(request.params, 'path parameter') ?? unstorableParameter(request.query, 'query parameter');
  if (bad) throw new AppError('validation_failed', `${bad} ${UNSTORABLE_HINT}`);
}

/** Register the checks; the first thing after the security headers, before authentication and rate limits. */
export function registerInputGuards(app: FastifyInstance): void {
  app.addHook('onRequest', (request, _reply, done) => {
    try {
      checkRequestInput(request);
    } catch (error) {
      return done(error as AppError);
    }
    done();
  });
}

/** A JSON or form body as text: strictly UTF-8 (no replacement characters stored in place of bad bytes). */
export function bodyText(body: Buffer): string {
  const text = decodeUtf8(body);
  if (text === null) {
    throw new AppError('invalid_encoding', 'The request body is not valid UTF-8; JSON and form bodies must be encoded as UTF-8 (RFC 8259 §8.1).');
  }
  return text;
}

/** Parsed body values holding NUL or an unpaired surrogate are refused, as query parameters are. */
export function refuseUnstorableBody(value: unknown): void {
  if (hasUnstorableText(value)) {
    throw new AppError('validation_failed', 'The request contains a NUL character or an unpaired UTF-16 surrogate (\\u0000, \\ud800…), which AIM cannot store; remove it.');
  }
}
