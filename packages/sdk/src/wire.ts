import type { components, paths } from './wire.generated.js';

/**
 * AIM's wire format, as the SDK sees it. Every type of a request the SDK sends or an answer it reads
 * comes from wire.generated.ts, which is generated from docs/openapi.json, itself generated from the zod
 * schemas of packages/contracts. Nothing here restates a field by hand: a response that changes in the
 * contract changes these types, and the SDK's build (and wire.test.ts's check against the contract)
 * breaks instead of its users.
 *
 * The generated file is types only (and the list of error codes): the SDK keeps no runtime dependency,
 * and its published `.d.ts` files name nothing outside the package.
 */

/** The schemas (components) the SDK's operations use, by their OpenAPI name. */
export type WireSchemas = components['schemas'];

/** The operations the SDK calls: their paths, as in the OpenAPI document. */
export type WirePath = keyof paths;

type Method = 'get' | 'put' | 'post' | 'delete';

/** The methods of `P` the SDK calls. */
export type WireMethod<P extends WirePath> = {
  [M in Method]: paths[P][M] extends { responses: unknown } ? M : never;
}[Method];

type Operation<P extends WirePath, M extends WireMethod<P>> = paths[P][M];
type Json<T> = T extends { content: { 'application/json': infer Body } } ? Body : never;

/**
 * The JSON body of the success answer (200 or 201) of `M P`.
 *
 * @example
 * ```ts
 * type Me = WireAnswer<'/api/v1/agents/me', 'get'>; // { agent: Agent }
 * ```
 */
export type WireAnswer<P extends WirePath, M extends WireMethod<P>> =
  Operation<P, M> extends { responses: infer R }
    ? R extends { 200: infer Ok }
      ? Json<Ok>
      : R extends { 201: infer Created }
        ? Json<Created>
        : never
    : never;

/**
 * The JSON request body of `M P` (never when it takes none).
 *
 * @example
 * ```ts
 * type Outcome = WireRequest<'/api/v1/decisions/{decisionId}/result', 'post'>; // { status, durationMs?, detail? }
 * ```
 */
export type WireRequest<P extends WirePath, M extends WireMethod<P>> =
  Operation<P, M> extends { requestBody: infer B } ? Json<B> : Operation<P, M> extends { requestBody?: infer B } ? Json<NonNullable<B>> : never;

/** AIM's error envelope, the body of every error answer (docs/errors.md). */
export type WireErrorEnvelope = WireSchemas['ErrorEnvelope'];
