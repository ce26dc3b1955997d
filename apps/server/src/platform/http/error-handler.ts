import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ERROR_CODES, type ErrorCode, type ErrorEnvelope } from '@aim/contracts';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { AppError } from './app-error.js';

/**
 * The one place errors become responses. Every failure answers with the envelope
 * `{ error: { code, message, requestId } }`; unknown errors become a generic 500 that is
 * logged with its cause and never echoed.
 */

/** Fastify's own client errors, by their code, mapped to ours with a message a person can act on. */
const FASTIFY_CLIENT_ERRORS: Record<string, (e: FastifyError, r: FastifyRequest) => [ErrorCode, string]> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: (_e, r) => [
    'unsupported_media_type',
    `Content type "${r.headers['content-type'] ?? ''}" is not accepted here; send application/json.`,
  ],
  FST_ERR_CTP_BODY_TOO_LARGE: () => ['payload_too_large', 'The request body is larger than the server accepts.'],
  FST_ERR_CTP_EMPTY_JSON_BODY: () => ['invalid_json', 'The body is empty but the content type is application/json; send a JSON document or no content type.'],
  FST_ERR_CTP_INVALID_JSON_BODY: () => ['invalid_json', 'The request body is not valid JSON.'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: () => ['bad_request', 'The Content-Length header does not match the body.'],
  FST_ERR_CTP_INVALID_TYPE: () => ['unsupported_media_type', 'The Content-Type header is malformed.'],
};

function describeValidation(error: FastifyError): string {
  if (hasZodFastifySchemaValidationErrors(error)) {
    const parts = error.validation.map((issue) => {
      const path = issue.instancePath.replace(/^\//, '').replaceAll('/', '.');
      const where = [error.validationContext, path].filter(Boolean).join('.');
      return `${where || 'request'}: ${issue.message}`;
    });
    return `The request is invalid. ${parts.join('; ')}.`;
  }
  return `The request is invalid. ${error.message}`;
}

export function envelope(code: ErrorCode, message: string, requestId: string): ErrorEnvelope {
  return { error: { code, message, requestId } };
}

function classify(error: FastifyError, request: FastifyRequest): [ErrorCode, string] | undefined {
  if (error instanceof AppError) return [error.code, error.message];
  if (error.validation) return ['validation_failed', describeValidation(error)];
  const mapped = error.code ? FASTIFY_CLIENT_ERRORS[error.code] : undefined;
  if (mapped) return mapped(error, request);
  if (error instanceof SyntaxError && error.statusCode === 400) return ['invalid_json', 'The request body is not valid JSON.'];
  return undefined;
}

export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const known = classify(error, request);
    if (known) {
      const [code, message] = known;
      if (error instanceof AppError && error.headers) reply.headers(error.headers);
      if (ERROR_CODES[code].status >= 500) request.log.error({ err: error }, message);
      return reply.code(ERROR_CODES[code].status).send(envelope(code, message, request.id));
    }
    if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
      request.log.warn({ err: error }, 'unmapped client error');
      return reply.code(400).send(envelope('bad_request', 'The request could not be processed.', request.id));
    }
    request.log.error(
      { err: error, responseValidation: isResponseSerializationError(error) || undefined },
      'unhandled error',
    );
    return reply
      .code(500)
      .send(envelope('internal_error', `Something went wrong on our side. Quote request id ${request.id} when reporting it.`, request.id));
  });

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0];
    return reply.code(404).send(envelope('not_found', `There is no route ${request.method} ${path}.`, request.id));
  });
}
