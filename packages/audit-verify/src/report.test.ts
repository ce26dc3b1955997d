import { it } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import { checkpointMessage } from './chain.js';
import { keyFingerprint } from './checkpoints.js';
import { reportSigningInput, verifyReport } from './report.js';

function keyPair(kid: string) {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const jwk = { ...(publicKey.export({ format: 'jwk' }) as Record<string, unknown>), kid };
  return { privateKey, jwk };
}

function signedReport(privateKey: ReturnType<typeof keyPair>['privateKey'], kid: string, extra: Record<string, unknown> = {}) {
  const doc = { type: 'aim.compliance_report', version: 1, id: 'rpt_1', organizationId: 'org_1', summary: { status: 'pass', pass: 1, fail: 0, unknown: 0 }, checkpoint: null, ...extra };
  return { ...doc, signature: { alg: 'EdDSA' as const, kid, value: sign(null, reportSigningInput(doc), privateKey).toString('base64url') } };
}

it('the signed bytes are the RFC 8785 form of the report without its signature, whatever the member order', () => {
  const a = reportSigningInput({ b: 1, a: 'x', signature: { value: 'ignored' } });
  assert.equal(a.toString('utf8'), '{"a":"x","b":1}');
});

it('verifies a report signed by a published key; refuses a changed member, an unknown or unpinned key', () => {
  const { privateKey, jwk } = keyPair('k1');
  const other = keyPair('k2');
  const jwks = { keys: [jwk, other.jwk] };
  const report = signedReport(privateKey, 'k1');
  const verdict = verifyReport(JSON.parse(JSON.stringify(report)), jwks, { pins: new Set([keyFingerprint(jwk)]) });
  assert.deepEqual(verdict, { status: 'valid', kid: 'k1', fingerprint: keyFingerprint(jwk), checkpoint: 'absent' });
  assert.equal(verifyReport({ ...report, summary: { ...report.summary, status: 'fail' } }, jwks).status, 'invalid');
  assert.equal(verifyReport({ ...report, signature: { ...report.signature, kid: 'k2' } }, jwks).status, 'invalid', 'another key');
  assert.equal(verifyReport(report, { keys: [other.jwk] }).status, 'invalid', 'unknown key');
  assert.match(JSON.stringify(verifyReport(report, jwks, { pins: new Set([keyFingerprint(other.jwk)]) })), /not pinned/);
  assert.equal(verifyReport({ ...report, signature: undefined }, jwks).status, 'invalid');
});

it('checks the checkpoint the report carries with the same keys', () => {
  const { privateKey, jwk } = keyPair('k1');
  const payload = { organizationId: 'org_1', seq: 5, hash: 'ab'.repeat(32), signedAt: '2026-12-01T00:00:00.000000Z' };
  const checkpoint = { ...payload, kid: 'k1', signature: sign(null, checkpointMessage(payload), privateKey).toString('base64url'), tsaStatus: 'none' };
  const good = signedReport(privateKey, 'k1', { checkpoint });
  assert.equal(verifyReport(good, { keys: [jwk] }).status, 'valid');
  const forged = signedReport(privateKey, 'k1', { checkpoint: { ...checkpoint, seq: 6 } });
  assert.match(JSON.stringify(verifyReport(forged, { keys: [jwk] })), /checkpoint 6: the signature does not verify/);
  const foreign = signedReport(privateKey, 'k1', { checkpoint: { ...checkpoint, organizationId: 'org_2' } });
  assert.equal(verifyReport(foreign, { keys: [jwk] }).status, 'invalid');
});
