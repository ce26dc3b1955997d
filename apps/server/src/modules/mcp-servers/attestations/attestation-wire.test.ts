import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createPublicKey } from 'node:crypto';
import { canonicalJson, fingerprintedFields, mcpAttestationPayloadSchema, mcpToolFingerprint, mcpToolSetFingerprint } from '@aim/contracts';
import { compactVerify, decodeProtectedHeader } from 'jose';
import { checkHeader } from './attestation-verify.js';

/**
 * The worked example of docs/mcp.md ("The attestation"), checked: a client written in another
 * language from that page can compare its bytes with these. Ed25519 signatures are deterministic, so
 * the JWS is reproducible from the published (test-only) private key.
 */
const DOC = new URL('../../../../../../docs/mcp.md', import.meta.url);

const TOOLS = [
  { name: 'search', description: 'Search the documents', inputSchema: { type: 'object', properties: { query: { type: 'string' } }, required: ['query'] } },
  { name: 'fetch', title: 'Fetch', description: 'Fetch one document', inputSchema: { type: 'object', properties: { id: { type: 'string' } } }, annotations: { readOnlyHint: true } },
];
const FINGERPRINTS = {
  search: '4243ce95b3a30c8811fe80595ef7502bd75ba139d2bf85735f385592f440f9f7',
  fetch: '77f99ee9a0934b71890523d7ea815a9487e3858d237f1c7061e912f74dc53178',
};
const SET = '5d60fc4fe07503adeccc4832db9e3066c59bbd5a702271f7df7823cb88e65795';
const X = 'ebVWLo_mVPlAeLES6KmLp5AfhTrmlb7X4OORC60ElmQ';
const KID = 'WWpn_pfHui9YKR4CZtQsDGMu7_Gch2zYChfSvnxgtPk';
const JWS =
  'eyJhbGciOiJFZERTQSIsImtpZCI6IldXcG5fcGZIdWk5WUtSNENadFFzREdNdTdfR2NoMnpZQ2hmU3ZueGd0UGsiLCJ0eXAiOiJhaW0tbWNwLWF0dGVzdGF0aW9uK2p3dCJ9.eyJhZ2VudElkIjoiYWd0XzAxamV4YW1wbGUwMDAwMDAwMDAwMDAwMDAwIiwic2VydmVyIjp7InRyYW5zcG9ydCI6InN0cmVhbWFibGVfaHR0cCIsIm5hbWUiOiJkb2NzIiwidXJsIjoiaHR0cHM6Ly9tY3AuZXhhbXBsZS5jb20vbWNwIn0sInRvb2xzIjpbeyJuYW1lIjoic2VhcmNoIiwiZmluZ2VycHJpbnQiOiI0MjQzY2U5NWIzYTMwYzg4MTFmZTgwNTk1ZWY3NTAyYmQ3NWJhMTM5ZDJiZjg1NzM1ZjM4NTU5MmY0NDBmOWY3In0seyJuYW1lIjoiZmV0Y2giLCJmaW5nZXJwcmludCI6Ijc3Zjk5ZWU5YTA5MzRiNzE4OTA1MjNkN2VhODE1YTk0ODdlMzg1OGQyMzdmMWM3MDYxZTkxMmY3NGRjNTMxNzgifV0sInRvb2xTZXRGaW5nZXJwcmludCI6IjVkNjBmYzRmZTA3NTAzYWRlY2NjNDgzMmRiOWUzMDY2YzU5YmJkNWE3MDIyNzFmN2RmNzgyM2NiODhlNjU3OTUiLCJvYnNlcnZlZEF0IjoiMjAyNi0xMi0wN1QxMDowMDowMC4wMDBaIiwiaWF0IjoxNzk2NjM3NjAwfQ.fTYD29ha1rok29eMQLkXyeieVPtGl_f--CLzkKT7Ng4FNZYzBQXrdx4IlQambgM3t0SEs9S-PNLctcSUVrgBBQ';

describe('the attestation wire format (docs/mcp.md example)', () => {
  it('computes the documented fingerprints from the canonical JSON', async () => {
    assert.equal(
      canonicalJson(fingerprintedFields(TOOLS[1]!)),
      '{"annotations":{"readOnlyHint":true},"description":"Fetch one document","inputSchema":{"properties":{"id":{"type":"string"}},"type":"object"},"name":"fetch","title":"Fetch"}',
    );
    const refs = await Promise.all(TOOLS.map(async (t) => ({ name: t.name, fingerprint: await mcpToolFingerprint(t) })));
    assert.deepEqual(Object.fromEntries(refs.map((r) => [r.name, r.fingerprint])), FINGERPRINTS);
    assert.equal(await mcpToolSetFingerprint(refs), SET);
  });

  it('verifies the documented JWS with the documented key, and its header and payload are what AIM accepts', async () => {
    const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: X }, format: 'jwk' });
    const { payload } = await compactVerify(JWS, key, { algorithms: ['EdDSA'] });
    const parsed = mcpAttestationPayloadSchema.parse(JSON.parse(new TextDecoder().decode(payload)));
    assert.equal(parsed.toolSetFingerprint, SET);
    assert.deepEqual(decodeProtectedHeader(JWS), { alg: 'EdDSA', kid: KID, typ: 'aim-mcp-attestation+jwt' });
    assert.deepEqual(checkHeader(JWS), { kid: KID });
  });

  it('is the example docs/mcp.md shows', async () => {
    const doc = await readFile(DOC, 'utf8');
    for (const value of [JWS, KID, X, SET, FINGERPRINTS.search, FINGERPRINTS.fetch]) assert.ok(doc.includes(value), `docs/mcp.md shows ${value.slice(0, 20)}…`);
  });
});
