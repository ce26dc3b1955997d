import { createPublicKey, verify } from 'node:crypto';
import { checkSignatures, keyFingerprint, type Checkpoint, type Jwks } from './checkpoints.js';
import { jcs } from './json-text.js';

/**
 * Signed compliance reports (docs/compliance.md §4). A report is a JSON object whose `signature`
 * member is `{alg: "EdDSA", kid, value}`: `value` is the base64url Ed25519 signature, by the audit
 * checkpoint key `kid`, over the UTF-8 bytes of the RFC 8785 canonical JSON of the report with the
 * `signature` member removed. Nothing else is signed and nothing is added.
 */
export interface ReportSignature {
  alg: 'EdDSA';
  kid: string;
  value: string;
}

export type SignedReport = Record<string, unknown> & { signature: ReportSignature };

/** The bytes a report's signature covers: JCS of the report without its `signature` member. */
export function reportSigningInput(report: Record<string, unknown>): Buffer {
  const { signature: _ignored, ...signed } = report;
  return Buffer.from(jcs(signed), 'utf8');
}

export type ReportVerdict =
  | { status: 'valid'; kid: string; fingerprint: string; checkpoint: 'verified' | 'absent' }
  | { status: 'invalid'; reason: string };

/**
 * Check a report's signature against a JWK set (GET /.well-known/aim-audit-keys.json) and, with
 * `pins`, only keys of those fingerprints (RFC 7638). The audit checkpoint the report names, when
 * there is one, must verify with the same keys and pins.
 */
export function verifyReport(report: unknown, jwks: Jwks, options: { pins?: ReadonlySet<string> } = {}): ReportVerdict {
  if (typeof report !== 'object' || report === null || Array.isArray(report)) return { status: 'invalid', reason: 'the report is not a JSON object' };
  const doc = report as Record<string, unknown>;
  const sig = doc.signature as Partial<ReportSignature> | undefined;
  if (!sig || sig.alg !== 'EdDSA' || typeof sig.kid !== 'string' || typeof sig.value !== 'string') {
    return { status: 'invalid', reason: 'the report has no signature {alg: "EdDSA", kid, value}' };
  }
  if (!/^[A-Za-z0-9_-]{86}$/.test(sig.value)) return { status: 'invalid', reason: 'the signature is not 64 bytes of base64url' };
  const named = jwks.keys.filter((k) => k.kid === sig.kid);
  if (named.length !== 1) return { status: 'invalid', reason: named.length === 0 ? `signed by unknown key ${sig.kid}` : `the key file lists key ${sig.kid} more than once` };
  const jwk = named[0]!;
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(jwk.x)) {
    return { status: 'invalid', reason: `key ${sig.kid} is not an Ed25519 public key` };
  }
  const fingerprint = keyFingerprint(jwk);
  if (options.pins && !options.pins.has(fingerprint)) return { status: 'invalid', reason: `signed by key ${sig.kid} (fingerprint ${fingerprint}), which is not pinned` };
  const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: jwk.x }, format: 'jwk' });
  if (!verify(null, reportSigningInput(doc), key, Buffer.from(sig.value, 'base64url'))) {
    return { status: 'invalid', reason: 'the signature does not verify: the report was changed after it was signed, or signed by another key' };
  }
  const checkpoint = doc.checkpoint as Checkpoint | null | undefined;
  if (checkpoint) {
    if (checkpoint.organizationId !== doc.organizationId) return { status: 'invalid', reason: 'the checkpoint belongs to another organization' };
    const problem = checkSignatures([checkpoint], jwks, options.pins ? { pins: options.pins } : {})[0];
    if (problem) return { status: 'invalid', reason: `checkpoint ${problem.seq}: ${problem.problem}` };
  }
  return { status: 'valid', kid: sig.kid, fingerprint, checkpoint: checkpoint ? 'verified' : 'absent' };
}

/**
 * `aim-audit-verify --report REPORT.json --keys KEYS.json [--pin FINGERPRINT]… [--json]`: exit 0 when
 * the signature (and the checkpoint the report names) verifies, 1 when not, 2 when a file cannot be read.
 */
export async function reportCommand(options: { report: string; keys: string | undefined; pins: string[]; json: boolean }): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  const write = (text: string) => process.stdout.write(text);
  if (!options.keys) {
    process.stderr.write('aim-audit-verify: --report needs --keys KEYS.json (GET /.well-known/aim-audit-keys.json)\n');
    return 2;
  }
  const read = async (path: string, what: string) => {
    try {
      return JSON.parse(await readFile(path, 'utf8')) as unknown;
    } catch (error) {
      throw new Error(`${path}: ${what} cannot be read as JSON (${(error as Error).message})`);
    }
  };
  const report = await read(options.report, 'the report');
  const jwks = (await read(options.keys, 'the key file')) as Jwks;
  if (!Array.isArray(jwks?.keys)) throw new Error(`${options.keys}: not a JWK set ({"keys": […]})`);
  const verdict = verifyReport(report, jwks, options.pins.length > 0 ? { pins: new Set(options.pins) } : {});
  const doc = report as Record<string, unknown>;
  if (options.json) {
    write(`${JSON.stringify({ report: doc.id ?? null, organizationId: doc.organizationId ?? null, pinned: options.pins.length > 0, ...verdict })}\n`);
  } else if (verdict.status === 'valid') {
    const pinned = options.pins.length > 0 ? 'pinned key' : 'key NOT pinned: pass --pin';
    write(`valid: report ${String(doc.id)} of ${String(doc.organizationId)} signed by ${verdict.kid} (${pinned}), checkpoint ${verdict.checkpoint}\n`);
  } else {
    write(`INVALID: ${verdict.reason}\n`);
  }
  return verdict.status === 'valid' ? 0 : 1;
}
