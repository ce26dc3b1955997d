import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ERROR_CODES, type ErrorCode, type ErrorEnvelope } from '@aim/contracts';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
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

export function envelope(code: ErrorCode, message: string, requestId: string, details?: Record<string, string | number | boolean>): ErrorEnvelope {
  return { error: details ? { code, message, requestId, details } : { code, message, requestId } };
}

function classify(error: FastifyError, request: FastifyRequest): [ErrorCode, string] | undefined {
  if (error instanceof AppError) return [error.code, error.message];
  if (error.validation) return ['validation_failed', describeValidation(error)];
  const mapped = error.code ? FASTIFY_CLIENT_ERRORS[error.code] : undefined;
  if (mapped) return mapped(error, request);
  if (error instanceof SyntaxError && error.statusCode === 400) return ['invalid_json', 'The request body is not valid JSON.'];
  return undefined;
}

/**
 * Errors raised before Fastify's request lifecycle starts (a URL that cannot be decoded) still
 * answer with the envelope, the security headers and the request id.
 */
export function frameworkErrorHandler(headers: Record<string, string>) {
  return (_error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    reply.headers(headers).header('x-request-id', request.id);
    return reply.code(400).send(envelope('bad_request', 'The request URL is malformed (check its percent-encoding).', request.id));
  };
}

/**
 * Errors on the connection before a request exists (bad HTTP, headers too large, timeouts): answer
 * with the envelope where the socket is still writable, then close it.
 */
export function clientErrorHandler(error: NodeJS.ErrnoException, socket: import('node:net').Socket): void {
  if (!socket.writable || (error.code === 'ECONNRESET')) {
    socket.destroy();
    return;
  }
  const [code, message]: [ErrorCode, string] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? ['headers_too_large', 'The request headers are larger than the server accepts.']
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? ['request_timeout', 'The request was not received completely in time.']
        : ['bad_request', 'The request is not valid HTTP.'];
  const requestId = randomUUID();
  const body = JSON.stringify(envelope(code, message, requestId));
  const status = ERROR_CODES[code].status;
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n` +
      `content-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\n` +
      `x-request-id: ${requestId}\r\nx-content-type-options: nosniff\r\ncache-control: no-store\r\nconnection: close\r\n\r\n${body}`,
  );
}

export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const known = classify(error, request);
    if (known) {
      const [code, message] = known;
      if (error instanceof AppError && error.headers) reply.headers(error.headers);
      if (ERROR_CODES[code].status >= 500) request.log.error({ err: error }, message);
      const details = error instanceof AppError ? error.details : undefined;
      return reply.code(ERROR_CODES[code].status).send(envelope(code, message, request.id, details));
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
