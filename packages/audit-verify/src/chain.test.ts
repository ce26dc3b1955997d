import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { canonicalEvent, canonicalEventReference, chainHash, chainHashHex, createChainWalker, GENESIS_HASH, type ChainedEvent } from './chain.js';

const event = (seq: number, details: Record<string, unknown> = {}): ChainedEvent => ({
  id: `evt_${String(seq).padStart(26, '0')}`,
  organizationId: 'org_00000000000000000000000001',
  seq,
  occurredAt: '2026-11-27T10:00:00.123456Z',
  actor: { type: 'user', id: 'usr_00000000000000000000000001' },
  action: 'organization.update',
  target: { type: 'organization', id: 'org_00000000000000000000000001' },
  outcome: 'success',
  requestId: 'req-1',
  clientIp: '203.0.113.9',
  userAgent: 'curl/8',
  details,
});

describe('audit hash chain', () => {
  it('canonicalizes with RFC 8785: sorted keys, no spaces, numbers and unicode as specified', () => {
    const text = canonicalEvent(event(1, { z: 1, a: 1e21, é: 'ü', n: 10.5 }));
    assert.ok(text.startsWith('{"action":"organization.update","actor":{"id":"usr_'));
    assert.ok(text.includes('"details":{"a":1e+21,"n":10.5,"z":1,"é":"ü"}'));
    assert.ok(!text.includes(' '));
  });

  it('writes the fixed fields exactly as the general RFC 8785 canonicalizer would', () => {
    const samples: ChainedEvent[] = [
      event(1),
      { ...event(2, { nested: { b: [1, 'two', null, { d: 4, c: 3 }], a: true } }), target: null, requestId: null, clientIp: null, userAgent: null },
      { ...event(3), actor: { type: 'system', id: null }, userAgent: 'quote " and \\ and \u2028 and 日本' },
      // Controls, DEL, an emoji (a surrogate pair), in the fields written without the general path.
      { ...event(4), requestId: 'tab\there\u0001\u001f\u007f', userAgent: 'ok 🙂 end', action: 'a"b' },
    ];
    for (const sample of samples) assert.equal(canonicalEvent(sample), canonicalEventReference(sample));
  });

  it('hashes SHA-256(previous hash ‖ canonical JSON), from 32 zero bytes', () => {
    const e = event(1);
    const expected = createHash('sha256').update(Buffer.alloc(32)).update(canonicalEvent(e), 'utf8').digest();
    assert.deepEqual(chainHash(GENESIS_HASH, e), expected);
    // The hex form (one-shot, through a buffer that grows for an event larger than it) gives the same hashes.
    const large = event(2, { blob: 'ü'.repeat(40_000) });
    for (const sample of [e, large, e]) {
      const previous = createHash('sha256').update(String(sample.seq)).digest();
      assert.equal(chainHashHex(previous.toString('hex'), sample), chainHash(previous, sample).toString('hex'));
    }
    // A stored previous hash of the wrong length is hashed as it is (the walk then reports the mismatch).
    assert.equal(chainHashHex('abcd', e), createHash('sha256').update(Buffer.from('abcd', 'hex')).update(canonicalEvent(e), 'utf8').digest('hex'));
  });

  it('accepts an unbroken chain and names the first edited, missing or reordered event', () => {
    const events: (ChainedEvent & { hash: Buffer })[] = [];
    let previous: Buffer = GENESIS_HASH;
    for (let seq = 1; seq <= 5; seq++) {
      const e = event(seq, { n: seq });
      previous = chainHash(previous, e);
      events.push({ ...e, hash: previous });
    }
    const walk = (list: typeof events, last?: { seq: number; hash: Buffer }) => {
      const walker = createChainWalker();
      for (const e of list) if (!walker.push(e)) break;
      return walker.verdict(last);
    };
    assert.equal(walk(events).status, 'intact');
    const edited = events.map((e) => (e.seq === 3 ? { ...e, details: { n: 99 } } : e));
    assert.deepEqual([walk(edited).status, (walk(edited) as { brokenAt: number }).brokenAt], ['broken', 3]);
    const missing = events.filter((e) => e.seq !== 2);
    assert.equal((walk(missing) as { brokenAt: number }).brokenAt, 2);
    const reordered = [events[0]!, events[2]!, events[1]!, events[3]!, events[4]!];
    assert.equal((walk(reordered) as { brokenAt: number }).brokenAt, 2);
    const tail = walk(events.slice(0, 3), { seq: 5, hash: events[4]!.hash });
    assert.equal(tail.status, 'broken');
    assert.match((tail as { reason: string }).reason, /missing from the end/);
  });
});
