import type { FastifySerializerCompiler } from 'fastify';
import { ResponseSerializationError } from 'fastify-type-provider-zod';
import { ZodType } from 'zod';

/**
 * Serializes responses through their zod schema: the payload is checked and stripped of every
 * field the schema does not name (so an extra field can never leak), then stringified.
 *
 * It uses zod's `safeParse`, which zod compiles to a fast path (tens of nanoseconds for a small
 * object), instead of the type provider's `safeEncode` (about a microsecond, no fast path). The two
 * agree for schemas without codecs; response schemas in `@aim/contracts` do not use codecs
 * (dates are ISO strings in the contract, produced by the service).
 */
export const responseSerializerCompiler: FastifySerializerCompiler<unknown> = ({ schema, method, url }) => {
  if (!(schema instanceof ZodType)) {
    throw new Error(`The response schema of ${method} ${url} is not a zod schema.`);
  }
  return (data: unknown) => {
    const result = schema.safeParse(data);
    if (!result.success) throw new ResponseSerializationError(method, url, { cause: result.error });
    return JSON.stringify(result.data);
  };
};
