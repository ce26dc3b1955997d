import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import * as contract from '@aim/contracts';
import type { z } from 'zod';
import { canonicalJson, mcpToolFingerprint, mcpToolSetFingerprint, type McpToolDefinition } from './fingerprints.generated.js';
import type { McpAttestationPayload, McpAttestationRecord, McpServerDescriptor } from './types.js';

/**
 * The SDK computes fingerprints with the contract's own code, carried over by scripts/contract-code.mjs
 * (the contract is not installed with the SDK), and restates the MCP wire shapes it sends and reads:
 * the generated file must be current, and the shapes the contract's, or this fails.
 */

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Holds<T extends true> = T;
type Attested = z.output<typeof contract.mcpAttestationSchema>;
export type TheMcpShapesAreTheContract = [
  Holds<Same<McpToolDefinition, contract.McpToolDefinition>>,
  Holds<Same<McpServerDescriptor, z.input<typeof contract.mcpServerDescriptorSchema>>>,
  Holds<Same<McpAttestationRecord, Attested>>,
  Holds<Same<McpAttestationPayload['server'], Attested['server']>>,
  Holds<Same<McpAttestationPayload['tools'], Attested['tools']>>,
];

const script = new URL('../../scripts/contract-code.mjs', import.meta.url);

describe('MCP fingerprints in the SDK', () => {
  it('fingerprints.generated.ts is the contract’s code as scripts/contract-code.mjs writes it', async () => {
    const { fingerprintsModule, FINGERPRINTS_SOURCE, FINGERPRINTS_TARGET } = (await import(script.href)) as {
      fingerprintsModule(source: string): string;
      FINGERPRINTS_SOURCE: URL;
      FINGERPRINTS_TARGET: URL;
    };
    const expected = fingerprintsModule(await readFile(FINGERPRINTS_SOURCE, 'utf8'));
    assert.equal(await readFile(FINGERPRINTS_TARGET, 'utf8'), expected, 'stale: run `npm run wire-types -w packages/sdk`');
  });

  it('gives the contract’s fingerprints, whatever the key order and extra fields', async () => {
    const tools: McpToolDefinition[] = [
      { name: 'echo', description: 'Echoes', inputSchema: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] } },
      { name: 'sum', title: 'Sum', inputSchema: { properties: { a: { type: 'number' } }, type: 'object' }, outputSchema: { type: 'object' }, annotations: { readOnlyHint: true } },
      { name: 'ünïcode', description: 'é \u2028 😀', inputSchema: { type: 'object' } },
    ];
    for (const tool of tools) {
      const withExtras = { _meta: { x: 1 }, icons: [], ...Object.fromEntries(Object.entries(tool).reverse()) } as unknown as McpToolDefinition;
      assert.equal(await mcpToolFingerprint(withExtras), await contract.mcpToolFingerprint(tool));
      assert.equal(canonicalJson(tool), contract.canonicalJson(tool));
    }
    const seen = await Promise.all(tools.map(async (t) => ({ name: t.name, fingerprint: await mcpToolFingerprint(t) })));
    assert.equal(await mcpToolSetFingerprint(seen.reverse()), await contract.mcpToolSetFingerprint(seen));
    assert.notEqual(await mcpToolFingerprint({ ...tools[0]!, description: 'Echoes.' }), seen.at(-1)!.fingerprint);
  });
});
