import { createHash, randomBytes } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';

/**
 * RFC 3161 time-stamps of checkpoints (docs/audit.md §7). What is time-stamped is the checkpoint's
 * signature: the message imprint is SHA-256 of the 64 raw bytes of its Ed25519 signature (not the
 * base64url text). A token therefore proves that this signature, and so this checkpoint, existed at
 * the token's genTime. The ASN.1 and CMS work is done by PKI.js.
 */
const SHA256 = '2.16.840.1.101.3.4.2.1';

export class TimestampError extends Error {}

/** The bytes a checkpoint's time-stamp covers: its signature, decoded from base64url. */
export const timestampedBytes = (checkpoint: { signature: string }): Buffer => Buffer.from(checkpoint.signature, 'base64url');

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest();
const bytes = (view: { valueBlock: { valueHexView: Uint8Array } }) => Buffer.from(view.valueBlock.valueHexView);
const arrayBuffer = (b: Uint8Array): ArrayBuffer => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;

/** A TimeStampReq (DER) for `data`: SHA-256 imprint, a random 64-bit nonce, the TSA's certificate asked for. */
export function timestampRequest(data: Uint8Array): { der: Buffer; nonce: Buffer } {
  const nonce = randomBytes(8);
  nonce[0] = (nonce[0]! & 0x7f) | 0x01; // positive, and its DER INTEGER is exactly these 8 bytes
  const request = new pkijs.TimeStampReq({
    version: 1,
    messageImprint: new pkijs.MessageImprint({
      hashAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: SHA256, algorithmParams: new asn1js.Null() }),
      hashedMessage: new asn1js.OctetString({ valueHex: arrayBuffer(sha256(data)) }),
    }),
    nonce: new asn1js.Integer({ valueHex: arrayBuffer(nonce) }),
    certReq: true,
  });
  return { der: Buffer.from(request.toSchema().toBER(false)), nonce };
}

export interface TokenInfo {
  genTime: Date;
  /** The imprint's hash algorithm (an OID) and value. */
  hashAlgorithm: string;
  imprint: Buffer;
  nonce: Buffer | null;
  serial: string;
  signed: pkijs.SignedData;
}

/** Read a DER TimeStampToken (a CMS ContentInfo holding SignedData over a TSTInfo). */
export function readToken(der: Uint8Array): TokenInfo {
  try {
    const content = pkijs.ContentInfo.fromBER(arrayBuffer(der));
    if (content.contentType !== pkijs.ContentInfo.SIGNED_DATA) throw new TimestampError('the token is not CMS SignedData');
    const signed = new pkijs.SignedData({ schema: content.content });
    if (signed.encapContentInfo.eContentType !== pkijs.id_eContentType_TSTInfo || !signed.encapContentInfo.eContent) {
      throw new TimestampError('the token does not hold a TSTInfo');
    }
    const info = pkijs.TSTInfo.fromBER(signed.encapContentInfo.eContent.getValue());
    return {
      genTime: info.genTime,
      hashAlgorithm: info.messageImprint.hashAlgorithm.algorithmId,
      imprint: bytes(info.messageImprint.hashedMessage),
      nonce: info.nonce ? bytes(info.nonce) : null,
      serial: bytes(info.serialNumber).toString('hex'),
      signed,
    };
  } catch (error) {
    if (error instanceof TimestampError) throw error;
    throw new TimestampError(`the token cannot be read: ${(error as Error).message}`);
  }
}

/**
 * The token of a TimeStampResp (DER), after checking that the authority granted it and that it
 * stamps `data` with the request's nonce. Throws TimestampError otherwise.
 */
export function tokenFromResponse(der: Uint8Array, expected: { data: Uint8Array; nonce: Buffer }): Buffer {
  let response: pkijs.TimeStampResp;
  try {
    response = pkijs.TimeStampResp.fromBER(arrayBuffer(der));
  } catch (error) {
    throw new TimestampError(`the answer is not a TimeStampResp: ${(error as Error).message}`);
  }
  const status = response.status.status;
  if (status !== 0 && status !== 1) {
    const text = response.status.statusStrings?.map((s) => s.valueBlock.value).join('; ');
    throw new TimestampError(`the authority refused the request (PKIStatus ${status}${text ? `: ${text}` : ''})`);
  }
  if (!response.timeStampToken) throw new TimestampError('the answer holds no token');
  const token = Buffer.from(response.timeStampToken.toSchema().toBER(false));
  const info = readToken(token);
  if (info.hashAlgorithm !== SHA256 || !info.imprint.equals(sha256(expected.data))) throw new TimestampError('the token stamps other bytes than the ones sent');
  if (!info.nonce || !stripZeros(info.nonce).equals(stripZeros(expected.nonce))) throw new TimestampError('the token does not carry the request nonce');
  return token;
}

const stripZeros = (b: Buffer) => {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i += 1;
  return b.subarray(i);
};

/** Certificates of a PEM file (one or more CERTIFICATE blocks). */
export function certificatesFromPem(pem: string): pkijs.Certificate[] {
  const blocks = [...pem.matchAll(/-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g)];
  return blocks.map((m) => pkijs.Certificate.fromBER(arrayBuffer(Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64'))));
}

export type TokenCheck = { ok: true; genTime: Date; serial: string } | { ok: false; problem: string };

/**
 * Check a token for `data` against trusted authority certificates: the TSTInfo's imprint is SHA-256 of
 * `data`, the signature verifies with the signer's certificate, and that certificate chains to one of
 * `trusted` at genTime.
 */
export async function verifyToken(der: Uint8Array, data: Uint8Array, trusted: pkijs.Certificate[]): Promise<TokenCheck> {
  let info: TokenInfo;
  try {
    info = readToken(der);
  } catch (error) {
    return { ok: false, problem: (error as Error).message };
  }
  if (info.hashAlgorithm !== SHA256) return { ok: false, problem: `the token's imprint uses ${info.hashAlgorithm}, not SHA-256` };
  if (!info.imprint.equals(sha256(data))) return { ok: false, problem: "the token's message imprint is not SHA-256 of the checkpoint's signature" };
  try {
    const result = await info.signed.verify({ signer: 0, data: arrayBuffer(data), trustedCerts: trusted, checkChain: true, extendedMode: true });
    if (!result.signatureVerified) return { ok: false, problem: `the token's signature does not verify (${result.message})` };
    return { ok: true, genTime: info.genTime, serial: info.serial };
  } catch (error) {
    const message = error instanceof pkijs.SignedDataVerifyError || error instanceof Error ? error.message : String(error);
    return { ok: false, problem: `the token does not verify against the given authority certificate: ${message}` };
  }
}
