import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { DOMAIN_EVENT_TYPES, DOMAIN_EVENT_VERSIONS, domainEventSchema, eventSchemas, eventTypeMatches, eventTypePatternSchema } from '@aim/contracts';

const EVENTS_DOC = new URL('../../../../../docs/events.md', import.meta.url);

/** Each `## \`type\` (version n)` section of docs/events.md with the JSON of its first ```json block. */
async function documentedExamples(): Promise<{ type: string; version: number; json: string }[]> {
  const text = await readFile(EVENTS_DOC, 'utf8');
  const sections = text.split(/^## /m).slice(1);
  return sections.map((section) => {
    const heading = /^`([a-z_.]+)` \(version (\d+)\)/.exec(section);
    assert.ok(heading, `a section of docs/events.md is not headed "\`type\` (version n)": ${section.split('\n')[0]}`);
    const block = /```json\n([\s\S]*?)\n```/.exec(section);
    assert.ok(block, `docs/events.md: ${heading[1]} has no json example`);
    return { type: heading[1]!, version: Number(heading[2]), json: block[1]! };
  });
}

describe('docs/events.md', () => {
  it('has one example per event type, each valid against its schema', async () => {
    const examples = await documentedExamples();
    assert.deepEqual(
      examples.map((e) => e.type),
      [...DOMAIN_EVENT_TYPES],
      'every event type, in the order of the contract, and no other',
    );
    for (const example of examples) {
      const parsed = domainEventSchema.safeParse(JSON.parse(example.json));
      assert.ok(parsed.success, `${example.type}: ${parsed.error?.message}`);
      assert.equal(parsed.data.type, example.type);
      assert.equal(parsed.data.version, example.version);
      assert.equal(DOMAIN_EVENT_VERSIONS[parsed.data.type], example.version, `${example.type}: the documented version is the current one`);
    }
  });

  it('refuses an example that breaks its schema (the check can fail)', async () => {
    const [first] = await documentedExamples();
    const broken = JSON.parse(first!.json) as { data: Record<string, unknown> };
    delete broken.data[Object.keys(broken.data)[0]!];
    assert.equal(domainEventSchema.safeParse(broken).success, false);
  });
});

describe('event schemas as JSON Schema', () => {
  it('has a definition for the union, one branch per event type', () => {
    const schema = z.toJSONSchema(eventSchemas) as { schemas: Record<string, { oneOf?: unknown[]; anyOf?: unknown[] }> };
    const union = schema.schemas.DomainEvent!;
    assert.equal((union.oneOf ?? union.anyOf)?.length, DOMAIN_EVENT_TYPES.length);
  });
});

describe('event type patterns', () => {
  it('match exact types, prefixes and everything', () => {
    assert.ok(eventTypeMatches('decision.*', 'decision.created'));
    assert.ok(eventTypeMatches('decision.created', 'decision.created'));
    assert.ok(eventTypeMatches('*', 'trust.changed'));
    assert.ok(!eventTypeMatches('decision.*', 'trust.changed'));
    assert.ok(!eventTypeMatches('decision.created', 'decision.resolved'));
    assert.ok(!eventTypeMatches('trust.*', 'trustee.changed'));
  });

  it('admit every type and its prefix as a pattern, underscores included (mcp_server.*)', () => {
    for (const type of DOMAIN_EVENT_TYPES) {
      assert.ok(eventTypePatternSchema.safeParse(type).success, type);
      assert.ok(eventTypePatternSchema.safeParse(`${type.split('.')[0]}.*`).success, `${type.split('.')[0]}.*`);
    }
    assert.ok(eventTypeMatches('mcp_server.*', 'mcp_server.drifted'));
    assert.ok(!eventTypePatternSchema.safeParse('MCP.*').success);
  });
});
