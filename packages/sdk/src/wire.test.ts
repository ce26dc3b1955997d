import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { ERROR_CODES } from '@aim/contracts';
// Type-only: the contract is a development dependency. Nothing of it reaches the published package
// (tests are not packed), and the SDK's own files import only wire.generated.ts.
import type * as contract from '@aim/contracts';
import type { z } from 'zod';
import { SDK_ERROR_CODES } from './errors.js';
import { SERVER_ERROR_CODES } from './wire.generated.js';
import type { WireAnswer, WireErrorEnvelope, WireRequest } from './wire.js';

/**
 * The SDK's wire types are the contract's. wire.generated.ts is generated from docs/openapi.json (which
 * a server test keeps equal to the zod schemas); the first test keeps the generated file current, and
 * the types below make the SDK's build fail as soon as a schema the SDK reads or sends changes, before
 * anyone regenerates anything.
 */

/**
 * Same type, down to the fields: the same keys, the same optional keys, the same value types. `true`, or
 * a description of the first difference found, which the compiler prints when a check below fails
 * (`Type '"a field on one side only: minute" | "a field on one side only: countedMinute"' does not satisfy
 * the constraint 'true'`, on the line of the heartbeat's answer).
 */
type Exact<A, B> =
  SameShape<Exclude<A, null | undefined>, Exclude<B, null | undefined>> extends infer Shape
    ? Shape extends true
      ? SameValues<A, B>
      : Shape
    : never;
type SameShape<A, B> = [A] extends [readonly (infer EA)[]]
  ? [B] extends [readonly (infer EB)[]]
    ? Exact<EA, EB>
    : 'an array on one side only'
  : [A] extends [object]
    ? [B] extends [object]
      ? SameFields<A, B>
      : 'an object on one side only'
    : true;
type SameFields<A, B> = [OnOneSide<Keys<A>, Keys<B>>] extends [never]
  ? [OnOneSide<OptionalKeys<A>, OptionalKeys<B>>] extends [never]
    ? FirstDifference<{ [K in Keys<A> & Keys<B>]-?: Exact<A[K], B[K]> }>
    : `optional on one side only: ${OnOneSide<OptionalKeys<A>, OptionalKeys<B>>}`
  : `a field on one side only: ${OnOneSide<Keys<A>, Keys<B>>}`;
type SameValues<A, B> = [A] extends [B] ? ([B] extends [A] ? true : Difference<B, A>) : Difference<A, B>;
type Difference<A, B> = [Exclude<A, B>] extends [string | number | boolean | null | undefined]
  ? `a value on one side only: ${Printed<Exclude<A, B>>}`
  : 'the types differ';
type Printed<T> = T extends string | number | boolean | null | undefined ? `${T}` : never;
type FirstDifference<R> = { [K in keyof R]: R[K] extends true ? never : `${K & string}: ${R[K] & string}` }[keyof R] extends infer D
  ? [D] extends [never]
    ? true
    : D
  : never;
type OnOneSide<A, B> = Exclude<A, B> | Exclude<B, A>;
/** Field names (an index signature's `keyof` also holds `number`, a mapped `Record<string, …>`'s does not). */
type Keys<T> = keyof T & string;
type OptionalKeys<T> = { [K in Keys<T>]-?: {} extends Pick<T, K> ? K : never }[Keys<T>];
type Holds<T extends true> = T;

/**
 * Each line: what the SDK reads or sends, and the contract's schema of it. When one fails after a change
 * to the contract, regenerate (`tsc -b` still builds the server):
 * `npx tsc -b; node apps/server/dist/docs-cli.js && npm run wire-types -w packages/sdk && npx tsc -b`,
 * then fix the SDK where it no longer compiles.
 */
export type TheWireTypesAreTheContract = [
  Holds<Exact<WireAnswer<'/api/v1/agent-challenges', 'post'>, z.output<typeof contract.challengeSchema>>>,
  Holds<Exact<WireRequest<'/api/v1/agents/enroll', 'post'>, z.input<typeof contract.enrollAgentSchema>>>,
  Holds<Exact<WireAnswer<'/api/v1/agents/enroll', 'post'>, z.output<typeof contract.agentEnvelopeSchema>>>,
  Holds<Exact<WireAnswer<'/api/v1/agents/me', 'get'>, z.output<typeof contract.agentEnvelopeSchema>>>,
  Holds<Exact<WireAnswer<'/api/v1/agents/me/identity', 'get'>, z.output<typeof contract.agentIdentitySchema>>>,
  Holds<Exact<WireRequest<'/api/v1/agents/me/keys', 'post'>, z.input<typeof contract.rotateAgentKeySchema>>>,
  Holds<Exact<WireAnswer<'/api/v1/agents/me/keys', 'post'>, z.output<typeof contract.agentEnvelopeSchema>>>,
  Holds<Exact<WireRequest<'/api/v1/oauth/token', 'post'>, z.input<typeof contract.tokenRequestSchema>>>,
  Holds<Exact<WireAnswer<'/api/v1/oauth/token', 'post'>, z.output<typeof contract.tokenResponseSchema>>>,
  Holds<Exact<WireRequest<'/api/v1/agents/{agentId}/verify-action', 'post'>, z.input<typeof contract.verifyActionSchema>>>,
  Holds<Exact<WireAnswer<'/api/v1/agents/{agentId}/verify-action', 'post'>, z.output<typeof contract.verifyActionResultSchema>>>,
  Holds<Exact<WireAnswer<'/api/v1/decisions/{decisionId}', 'get'>, z.output<typeof contract.decisionEnvelopeSchema>>>,
  Holds<Exact<WireAnswer<'/api/v1/decisions/{decisionId}/withdraw', 'post'>, z.output<typeof contract.decisionEnvelopeSchema>>>,
  Holds<Exact<WireRequest<'/api/v1/decisions/{decisionId}/result', 'post'>, z.input<typeof contract.decisionResultSchema>>>,
  Holds<Exact<WireAnswer<'/api/v1/decisions/{decisionId}/result', 'post'>, z.output<typeof contract.decisionEnvelopeSchema>>>,
  Holds<Exact<WireAnswer<'/api/v1/agents/me/heartbeat', 'post'>, z.output<typeof contract.heartbeatSchema>>>,
  Holds<Exact<WireRequest<'/api/v1/agents/me/attestations/{agentId}', 'put'>, z.input<typeof contract.putAttestationSchema>>>,
  Holds<Exact<WireAnswer<'/api/v1/agents/me/attestations/{agentId}', 'put'>, z.output<typeof contract.attestationEnvelopeSchema>>>,
  Holds<Exact<WireAnswer<'/api/v1/agents/me/attestations/{agentId}', 'delete'>, z.output<typeof contract.attestationEnvelopeSchema>>>,
  Holds<Exact<WireErrorEnvelope, z.output<typeof contract.errorEnvelopeSchema>>>,
  Holds<Exact<(typeof SERVER_ERROR_CODES)[number], contract.ErrorCode>>,
];

/** The checks above would pass for anything if `Exact` always held. */
export type ExactTellsTypesApart = [
  Holds<Exact<{ a: string }, { a: string }>>,
  // @ts-expect-error a field more
  Holds<Exact<{ a: string }, { a: string; b?: string }>>,
  // @ts-expect-error a field optional on one side only
  Holds<Exact<{ a: string }, { a?: string }>>,
  // @ts-expect-error a nested field of another type
  Holds<Exact<{ a: { b: string }[] | null }, { a: { b: number }[] | null }>>,
  // @ts-expect-error nullable on one side only
  Holds<Exact<{ a: string }, { a: string | null }>>,
  // @ts-expect-error an enum with a value more
  Holds<Exact<{ a: 'x' }, { a: 'x' | 'y' }>>,
];

describe('the SDK’s wire types', () => {
  it('wire.generated.ts is current: what scripts/wire-types.mjs makes of docs/openapi.json (run `npm run wire-types -w packages/sdk`)', async () => {
    const generator = (await import(new URL('../scripts/wire-types.mjs', import.meta.url).href)) as {
      OPENAPI_PATH: URL;
      WIRE_TYPES_PATH: URL;
      wireTypes(document: unknown): Promise<string>;
    };
    const document: unknown = JSON.parse(await readFile(generator.OPENAPI_PATH, 'utf8'));
    const committed = await readFile(generator.WIRE_TYPES_PATH, 'utf8');
    assert.equal(committed, await generator.wireTypes(document), 'wire.generated.ts is stale: run `npm run wire-types -w packages/sdk` (after `npm run docs` when docs/openapi.json is stale too)');
  });

  it('knows every code of AIM’s error envelope, in the contract’s order, and its own codes are none of them', () => {
    assert.deepEqual([...SERVER_ERROR_CODES], Object.keys(ERROR_CODES));
    const server: readonly string[] = SERVER_ERROR_CODES;
    assert.deepEqual(
      SDK_ERROR_CODES.filter((code) => server.includes(code)),
      [],
    );
  });
});
