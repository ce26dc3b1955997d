import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { certificatesFromPem, readToken, timestampRequest, tokenFromResponse, verifyToken, TimestampError } from '@aim/audit-verify';
import { startLocalTsa, type LocalTsa } from '../../testing/local-tsa.js';
import { createTimestampAuthority } from './audit-anchoring.js';

/** RFC 3161 requests and answers against a real authority (OpenSSL's `ts -reply`), and what is refused. */
describe('RFC 3161 time-stamps of checkpoint signatures', () => {
  let tsa: LocalTsa;
  before(async () => {
    tsa = await startLocalTsa();
  });
  after(async () => {
    await tsa?.close();
  });

  const ask = async (der: Buffer) => {
    const res = await fetch(tsa.url, { method: 'POST', headers: { 'content-type': 'application/timestamp-query' }, body: der });
    assert.equal(res.status, 200);
    return Buffer.from(await res.arrayBuffer());
  };

  it('stamps the SHA-256 of the signature bytes, with the nonce, and the token verifies against the CA only', async () => {
    const signature = randomBytes(64);
    const token = await createTimestampAuthority(tsa.url, 5_000).stamp(signature);
    const info = readToken(token);
    assert.equal(info.hashAlgorithm, '2.16.840.1.101.3.4.2.1');
    assert.ok(Math.abs(info.genTime.getTime() - Date.now()) < 60_000);
    const checked = await verifyToken(token, signature, certificatesFromPem(tsa.caPem));
    assert.equal(checked.ok, true, JSON.stringify(checked));
    const other = await verifyToken(token, randomBytes(64), certificatesFromPem(tsa.caPem));
    assert.deepEqual(other, { ok: false, problem: "the token's message imprint is not SHA-256 of the checkpoint's signature" });
    // One byte of the signed TSTInfo changed: the CMS signature no longer verifies.
    const tampered = Buffer.from(token);
    const at = tampered.indexOf(info.imprint);
    tampered[at + 40] = tampered[at + 40]! ^ 0xff;
    const broken = await verifyToken(tampered, signature, certificatesFromPem(tsa.caPem));
    assert.equal(broken.ok, false);
  });

  it('refuses an answer that stamps other bytes, lacks the nonce, or is not a TimeStampResp', async () => {
    const mine = randomBytes(64);
    const request = timestampRequest(mine);
    const foreign = timestampRequest(randomBytes(64));
    const answerForOther = await ask(foreign.der);
    assert.throws(() => tokenFromResponse(answerForOther, { data: mine, nonce: request.nonce }), (e: unknown) => e instanceof TimestampError && /stamps other bytes/.test(e.message));
    const answer = await ask(request.der);
    assert.ok(tokenFromResponse(answer, { data: mine, nonce: request.nonce }).length > 500);
    assert.throws(() => tokenFromResponse(answer, { data: mine, nonce: randomBytes(8) }), /does not carry the request nonce/);
    assert.throws(() => tokenFromResponse(Buffer.from('<html>busy</html>'), { data: mine, nonce: request.nonce }), /not a TimeStampResp/);
  });

  it('says when the authority is unavailable', async () => {
    tsa.down();
    try {
      await assert.rejects(createTimestampAuthority(tsa.url, 5_000).stamp(randomBytes(64)), /answered HTTP 503/);
    } finally {
      tsa.up();
    }
    await assert.rejects(createTimestampAuthority('http://127.0.0.1:9/tsr', 2_000).stamp(randomBytes(64)));
  });
});
