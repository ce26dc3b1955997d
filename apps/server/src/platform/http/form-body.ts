import type { FastifyInstance } from 'fastify';
import { bodyText, refuseUnstorableBody } from './input-guards.js';

/**
 * Form bodies (`application/x-www-form-urlencoded`), for the operations that declare `forms: true` (OAuth
 * clients send them) and only those: registered in their own encapsulated scope. The raw bytes are kept, as
 * for JSON, so a signed request's Content-Digest is checked against what arrived; the same guards apply
 * (strict UTF-8; no NUL or lone surrogate).
 */
export function acceptForms(scope: FastifyInstance): void {
  scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'buffer' }, (request, body, done) => {
    request.rawBody = body as Buffer;
    try {
      const form = Object.fromEntries(new URLSearchParams(bodyText(body as Buffer)));
      refuseUnstorableBody(form);
      done(null, form);
    } catch (error) {
      done(error as Error, undefined);
    }
  });
}
