#!/usr/bin/env node
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { checkAgainstChain, checkSignatures, keyFingerprint, type Checkpoint, type Jwks } from './checkpoints.js';
import { ExportFormatError, verifyExportFile } from './verify-export.js';
import { reportCommand } from './report.js';

/**
 * aim-audit-verify EXPORT.ndjson [--checkpoints CHECKPOINTS.json --keys KEYS.json [--pin FINGERPRINT]…] [--json]
 *
 * Checks an AIM audit export without the server: recomputes every event's hash from its content
 * and the previous hash, and reports the first event that was altered, removed or reordered, or a
 * missing tail. With signed checkpoints (GET /api/v1/audit-logs/checkpoints) and the public keys
 * (GET /.well-known/aim-audit-keys.json), it also catches a chain rewritten end to end or cut
 * before a checkpoint. With `--pin` (repeatable), only checkpoints signed by a key with one of those
 * fingerprints (RFC 7638 thumbprints, docs/audit.md) are accepted, whatever the key file lists.
 * `--fingerprints KEYS.json` prints each key's fingerprint instead.
 * Exit code 0 when intact, 1 when broken, 2 when the command or a file cannot be read.
 */
const usage =
  'usage: aim-audit-verify EXPORT.ndjson [--checkpoints CHECKPOINTS.json --keys KEYS.json [--pin FINGERPRINT]…] [--json]\n' +
  '  --pin FINGERPRINT  accept only checkpoints signed by this key (RFC 7638 SHA-256 thumbprint, base64url); repeatable;\n' +
  '                     a fingerprint that starts with "-" is written --pin=FINGERPRINT\n' +
  '       aim-audit-verify --report REPORT.json --keys KEYS.json [--pin FINGERPRINT]…   verify a signed compliance report\n' +
  '       aim-audit-verify --fingerprints KEYS.json   print the fingerprint of every key in a key file, to compare with the ones you pinned';

async function main(): Promise<number> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      json: { type: 'boolean', default: false },
      checkpoints: { type: 'string' },
      keys: { type: 'string' },
      pin: { type: 'string', multiple: true },
      fingerprints: { type: 'string' },
      report: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.report !== undefined && !values.help) return reportCommand({ report: values.report, keys: values.keys, pins: values.pin ?? [], json: values.json });
  if (values.fingerprints !== undefined && !values.help && positionals.length === 0) {
    const jwks = await readJson<Jwks>(values.fingerprints, 'the key file');
    if (!Array.isArray(jwks.keys)) throw new ExportFormatError(`${values.fingerprints}: not a JWK set ({"keys": […]})`);
    for (const key of jwks.keys) {
      const ed25519 = key.kty === 'OKP' && key.crv === 'Ed25519' && typeof key.x === 'string';
      // Only an Ed25519 key can sign a checkpoint; another key has no fingerprint worth pinning.
      process.stdout.write(`${ed25519 ? keyFingerprint(key) : '-'}  ${String(key.kid ?? '(no kid)')}  ${ed25519 ? 'Ed25519' : 'not an Ed25519 key'}\n`);
    }
    return 0;
  }
  if (values.help || positionals.length !== 1 || Boolean(values.checkpoints) !== Boolean(values.keys)) {
    process.stderr.write(`${usage}\n`);
    return values.help ? 0 : 2;
  }
  const pins = values.pin ?? [];
  if (pins.length > 0 && !values.checkpoints) {
    process.stderr.write(`aim-audit-verify: --pin needs --checkpoints and --keys (it restricts which keys may sign them)\n${usage}\n`);
    return 2;
  }
  const badPin = pins.find((p) => !/^[A-Za-z0-9_-]{43}$/.test(p));
  if (badPin !== undefined) {
    process.stderr.write(`aim-audit-verify: --pin ${badPin} is not a key fingerprint (43 base64url characters)\n`);
    return 2;
  }
  const checkpoints: Checkpoint[] = values.checkpoints ? await readCheckpoints(values.checkpoints) : [];
  const started = performance.now();
  const result = await verifyExportFile(positionals[0]!, { keepHashesAt: new Set(checkpoints.map((c) => c.seq)) });
  let checked = 0;
  const seconds = (performance.now() - started) / 1000;
  const { header, events } = result;
  let verdict = result.verdict;
  if (verdict.status === 'intact' && checkpoints.length > 0) {
    // A checkpoint at the position before the export's first event checks the header's previousHash.
    const mine = checkpoints.filter((c) => c.organizationId === header.organizationId && c.seq >= (header.fromSeq ?? 1) - 1 && c.seq >= 1);
    checked = mine.length;
    const jwks = await readJson<Jwks>(values.keys!, 'the key file');
    if (!Array.isArray(jwks.keys)) throw new ExportFormatError(`${values.keys}: not a JWK set ({"keys": […]})`);
    const problems = [...checkSignatures(mine, jwks, pins.length > 0 ? { pins: new Set(pins) } : {}), ...checkAgainstChain(mine, (seq) => result.hashesAt.get(seq), verdict.lastSeq)].sort(
      (x, y) => x.seq - y.seq,
    );
    if (problems[0]) {
      verdict = { status: 'broken', checked: verdict.checked, brokenAt: problems[0].seq, reason: `checkpoint ${problems[0].seq}: ${problems[0].problem}` };
    }
  }
  // Pinning asks for proof from outside the export: without one checkpoint of this organization in the
  // export's range, an export re-hashed end to end would pass as well, so that is not "intact".
  const unanchored = verdict.status === 'intact' && pins.length > 0 && checked === 0;
  if (values.json) {
    const shown = unanchored ? { ...verdict, status: 'unanchored' } : verdict;
    process.stdout.write(`${JSON.stringify({ organizationId: header.organizationId, events, seconds, checkpoints: checked, pinned: pins.length > 0, ...shown })}\n`);
    return verdict.status === 'intact' && !unanchored ? 0 : 1;
  }
  if (unanchored) {
    process.stdout.write(
      `NOT ANCHORED: the ${events} events of ${header.organizationId} are consistent, but no checkpoint of this organization ` +
        `covers seq ${header.fromSeq ?? '-'}–${verdict.status === 'intact' ? verdict.lastSeq : '-'}; with --pin at least one pinned checkpoint must ` +
        `(take checkpoints after the events, or verify without --pin to check consistency alone)\n`,
    );
    return 1;
  }
  if (verdict.status === 'intact') {
    process.stdout.write(
      `intact: ${events} events of ${header.organizationId}, seq ${header.fromSeq ?? '-'}–${verdict.lastSeq}, last hash ${verdict.lastHash}` +
        `, ${checked} signed checkpoints${checked > 0 ? (pins.length > 0 ? ' (pinned keys)' : ' (keys NOT pinned: pass --pin)') : ''}` +
        ` (${Math.round(events / Math.max(seconds, 1e-9))} events/s)\n`,
    );
  } else {
    process.stdout.write(`BROKEN at seq ${verdict.brokenAt}: ${verdict.reason} (${verdict.checked} events verified before it)\n`);
  }
  return verdict.status === 'intact' ? 0 : 1;
}

async function readJson<T>(path: string, what: string): Promise<T> {
  const text = await readFile(path, 'utf8');
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new ExportFormatError(`${path}: ${what} is not JSON`);
  }
}

async function readCheckpoints(path: string): Promise<Checkpoint[]> {
  const file = await readJson<{ checkpoints?: unknown }>(path, 'the checkpoints file');
  if (!Array.isArray(file.checkpoints)) throw new ExportFormatError(`${path}: not a checkpoints file ({"checkpoints": […]})`);
  return file.checkpoints as Checkpoint[];
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`aim-audit-verify: ${error instanceof ExportFormatError ? error.message : (error as Error).message}\n`);
    process.exit(2);
  },
);
