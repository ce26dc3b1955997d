#!/usr/bin/env node
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { checkAnchors, relevantTo, type AnchorReport } from './anchors.js';
import { keyFingerprint, type Checkpoint, type Jwks } from './checkpoints.js';
import { certificatesFromPem } from './timestamp.js';
import { ExportFormatError, verifyExportFile } from './verify-export.js';
import { reportCommand } from './report.js';
import { readWitness, type Witness } from './witness.js';

/**
 * aim-audit-verify EXPORT.ndjson [--checkpoints CHECKPOINTS.json --keys KEYS.json] [--witness WITNESS.ndjson]
 *                  (--pin FINGERPRINT… | --unpinned) [--tsa-ca CA.pem] [--json]
 *
 * Checks an AIM audit export without the server (docs/audit.md): recomputes every event's hash from
 * its content and the previous hash, and reports the first event that was altered, removed or
 * reordered, or a missing tail. With signed checkpoints (GET /api/v1/audit-logs/checkpoints) and the
 * public keys (GET /.well-known/aim-audit-keys.json), it also catches a chain rewritten end to end or
 * cut before a checkpoint; with the witness (AUDIT_WITNESS), a replaced key, a replaced checkpoint
 * and a cut tail even when the database's checkpoints and keys were replaced; with the time-stamping
 * authority's certificate, each checkpoint's RFC 3161 time-stamp. Keys must be pinned by fingerprint
 * (`--pin`), unless `--unpinned` says that consistency alone is wanted (and the report says so).
 * `--fingerprints KEYS.json` prints each key's fingerprint instead.
 * Exit code 0 when intact, 1 when broken or not anchored, 2 when the command or a file cannot be used.
 */
const usage =
  'usage: aim-audit-verify EXPORT.ndjson [--checkpoints CHECKPOINTS.json --keys KEYS.json] [--witness WITNESS.ndjson]\n' +
  '                        (--pin FINGERPRINT… | --unpinned) [--tsa-ca CA.pem] [--json]\n' +
  '  --pin FINGERPRINT  accept only checkpoints signed by this key (RFC 7638 SHA-256 thumbprint, base64url); repeatable;\n' +
  '                     a fingerprint that starts with "-" is written --pin=FINGERPRINT\n' +
  '  --unpinned         check checkpoints against whatever keys the files list (consistency only; the report says so)\n' +
  '  --witness FILE     the append-only witness (NDJSON) AIM published its keys and checkpoints to\n' +
  '  --tsa-ca PEM       verify each checkpoint\'s RFC 3161 time-stamp against this authority certificate (chain root)\n' +
  '       aim-audit-verify --report REPORT.json --keys KEYS.json (--pin FINGERPRINT… | --unpinned)   verify a signed compliance report\n' +
  '       aim-audit-verify --fingerprints KEYS.json   print the fingerprint of every key in a key file, to compare with the ones you pinned';

class UsageError extends Error {}

async function main(): Promise<number> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      json: { type: 'boolean', default: false },
      checkpoints: { type: 'string' },
      keys: { type: 'string' },
      witness: { type: 'string' },
      pin: { type: 'string', multiple: true },
      unpinned: { type: 'boolean', default: false },
      'tsa-ca': { type: 'string' },
      fingerprints: { type: 'string' },
      report: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.report !== undefined && !values.help) {
    // As for checkpoints: the signing key must be pinned, or consistency alone asked for.
    if ((values.pin ?? []).length === 0 && !values.unpinned) {
      process.stderr.write('the report key must be pinned: pass --pin FINGERPRINT (aim-audit-verify --fingerprints KEYS.json prints them), or --unpinned to check the signature against the key file alone\n');
      return 2;
    }
    return reportCommand({ report: values.report, keys: values.keys, pins: values.pin ?? [], json: values.json });
  }
  if (values.fingerprints !== undefined && !values.help && positionals.length === 0) {
    const jwks = await readKeys(values.fingerprints);
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
  const anchored = Boolean(values.checkpoints) || Boolean(values.witness);
  if (pins.length > 0 && !anchored) throw new UsageError('--pin needs --checkpoints and --keys, or --witness (it restricts which keys may sign them)');
  if (pins.length > 0 && values.unpinned) throw new UsageError('--pin and --unpinned contradict each other');
  if (anchored && pins.length === 0 && !values.unpinned) {
    throw new UsageError(
      'checkpoint keys must be pinned: pass --pin FINGERPRINT for each key you trust (aim-audit-verify --fingerprints KEYS.json prints them; ' +
        'get them from the operator, not from the server), or --unpinned to check consistency alone',
    );
  }
  if (values['tsa-ca'] && !values.checkpoints) throw new UsageError('--tsa-ca needs --checkpoints (the time-stamp tokens are in the checkpoints file)');
  const badPin = pins.find((p) => !/^[A-Za-z0-9_-]{43}$/.test(p));
  if (badPin !== undefined) throw new UsageError(`--pin ${badPin} is not a key fingerprint (43 base64url characters)`);

  const checkpoints: Checkpoint[] = values.checkpoints ? await readCheckpoints(values.checkpoints) : [];
  const jwks = values.keys ? await readKeys(values.keys) : undefined;
  const witness: Witness | undefined = values.witness ? await readWitness(values.witness) : undefined;
  let tsaCas;
  if (values['tsa-ca']) {
    tsaCas = certificatesFromPem(await readFile(values['tsa-ca'], 'utf8'));
    if (tsaCas.length === 0) throw new ExportFormatError(`${values['tsa-ca']}: no PEM certificate in it`);
  }
  const started = performance.now();
  const keep = new Set([...checkpoints, ...(witness?.checkpoints ?? [])].map((c) => c.seq));
  const result = await verifyExportFile(positionals[0]!, { keepHashesAt: keep });
  const seconds = (performance.now() - started) / 1000;
  const { header, events } = result;
  let verdict = result.verdict;
  let report: AnchorReport | undefined;
  if (verdict.status === 'intact' && anchored) {
    report = await checkAnchors({
      organizationId: header.organizationId,
      fromSeq: header.fromSeq,
      lastSeq: verdict.lastSeq,
      exportedAt: typeof header.exportedAt === 'string' && !Number.isNaN(Date.parse(header.exportedAt)) ? Date.parse(header.exportedAt) : undefined,
      hashAt: (seq) => result.hashesAt.get(seq),
      checkpoints,
      jwks,
      witness,
      pins: pins.length > 0 ? new Set(pins) : undefined,
      tsaCas,
    });
    const first = report.problems[0];
    if (first) verdict = { status: 'broken', checked: verdict.checked, brokenAt: first.seq, reason: first.problem };
  }
  const checked = report?.anchoring ?? 0;
  // Pinning asks for proof from outside the export: without one checkpoint of this organization in the
  // export's range, an export re-hashed end to end would pass as well, so that is not "intact".
  const unanchored = verdict.status === 'intact' && pins.length > 0 && checked === 0;
  const witnessJson = witness && report ? { checkpoints: report.witnessCheckpoints, keys: witness.keys.length, unwitnessed: report.unwitnessed } : null;
  const later = report && report.later > 0 ? `; ${report.later} checkpoint(s) signed after the export was made (${header.exportedAt}) cover events it cannot hold` : '';
  if (values.json) {
    const shown = unanchored ? { ...verdict, status: 'unanchored' } : verdict;
    const summary = {
      organizationId: header.organizationId,
      events,
      seconds,
      checkpoints: report?.checkpoints ?? 0,
      pinned: pins.length > 0,
      unpinned: values.unpinned,
      checkpointsAfterExport: report?.later ?? 0,
    };
    process.stdout.write(`${JSON.stringify({ ...summary, witness: witnessJson, timestamps: report?.timestamps ?? null, ...shown })}\n`);
    return verdict.status === 'intact' && !unanchored ? 0 : 1;
  }
  if (unanchored) {
    process.stdout.write(
      `NOT ANCHORED: the ${events} events of ${header.organizationId} are consistent, but no checkpoint of this organization ` +
        `covers seq ${header.fromSeq ?? '-'}–${verdict.status === 'intact' ? verdict.lastSeq : '-'}; with --pin at least one pinned checkpoint must ` +
        `(take checkpoints after the events, or verify with --unpinned to check consistency alone)\n`,
    );
    return 1;
  }
  if (verdict.status !== 'intact') {
    process.stdout.write(`BROKEN at seq ${verdict.brokenAt}: ${verdict.reason} (${verdict.checked} events verified before it)\n`);
    return 1;
  }
  const n = report?.checkpoints ?? 0;
  process.stdout.write(
    `intact: ${events} events of ${header.organizationId}, seq ${header.fromSeq ?? '-'}–${verdict.lastSeq}, last hash ${verdict.lastHash}` +
      `, ${n} signed checkpoints${checked > 0 ? (pins.length > 0 ? ' (pinned keys)' : ' (keys NOT pinned: --unpinned)') : ''}` +
      ` (${Math.round(events / Math.max(seconds, 1e-9))} events/s)${later}\n`,
  );
  if (witnessJson) {
    const missing = witnessJson.unwitnessed.length > 0 ? `; not (yet) in the witness: checkpoint(s) ${witnessJson.unwitnessed.join(', ')}` : '';
    process.stdout.write(`witness: ${witnessJson.checkpoints} checkpoint(s) of this organization agree with the export, ${witnessJson.keys} key(s) published${missing}\n`);
  }
  const stamps = report?.timestamps;
  if (stamps) {
    const last = stamps.verified[stamps.verified.length - 1];
    const gaps = stamps.gaps.map((g) => `${g.seq} (${g.status})`).join(', ');
    process.stdout.write(
      `time-stamps: ${stamps.verified.length} verified${last ? ` (checkpoint ${last.seq} stamped at ${last.genTime})` : ''}` +
        `${gaps ? `; GAP: no time-stamp for checkpoint(s) ${gaps}` : ''}\n`,
    );
  } else if (checkpoints.filter(relevantTo(header.organizationId, header.fromSeq)).some((c) => c.tsaToken)) {
    process.stdout.write('time-stamps: not checked (pass --tsa-ca with the authority\'s certificate)\n');
  }
  return 0;
}

async function readJson<T>(path: string, what: string): Promise<T> {
  const text = await readFile(path, 'utf8');
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new ExportFormatError(`${path}: ${what} is not JSON`);
  }
}

async function readKeys(path: string): Promise<Jwks> {
  const jwks = await readJson<Jwks>(path, 'the key file');
  if (!Array.isArray(jwks.keys)) throw new ExportFormatError(`${path}: not a JWK set ({"keys": […]})`);
  return jwks;
}

async function readCheckpoints(path: string): Promise<Checkpoint[]> {
  const file = await readJson<{ checkpoints?: unknown }>(path, 'the checkpoints file');
  if (!Array.isArray(file.checkpoints)) throw new ExportFormatError(`${path}: not a checkpoints file ({"checkpoints": […]})`);
  return file.checkpoints as Checkpoint[];
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof UsageError) process.stderr.write(`aim-audit-verify: ${error.message}\n${usage}\n`);
    else process.stderr.write(`aim-audit-verify: ${(error as Error).message}\n`);
    process.exit(2);
  },
);
