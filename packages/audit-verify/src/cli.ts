#!/usr/bin/env node
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { checkAgainstChain, checkSignatures, type Checkpoint, type Jwks } from './checkpoints.js';
import { ExportFormatError, verifyExportFile } from './verify-export.js';

/**
 * aim-audit-verify EXPORT.ndjson [--checkpoints CHECKPOINTS.json --keys KEYS.json] [--json]
 *
 * Checks an AIM audit export without the server: recomputes every event's hash from its content
 * and the previous hash, and reports the first event that was altered, removed or reordered, or a
 * missing tail. With signed checkpoints (GET /api/v1/audit-logs/checkpoints) and the public keys
 * (GET /.well-known/aim-audit-keys.json), it also catches a chain rewritten end to end or cut
 * before a checkpoint. Exit code 0 when intact, 1 when broken, 2 when a file cannot be read.
 */
const usage = 'usage: aim-audit-verify EXPORT.ndjson [--checkpoints CHECKPOINTS.json --keys KEYS.json] [--json]';

async function main(): Promise<number> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      json: { type: 'boolean', default: false },
      checkpoints: { type: 'string' },
      keys: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help || positionals.length !== 1 || Boolean(values.checkpoints) !== Boolean(values.keys)) {
    process.stderr.write(`${usage}\n`);
    return values.help ? 0 : 2;
  }
  const checkpoints: Checkpoint[] = values.checkpoints
    ? ((JSON.parse(await readFile(values.checkpoints, 'utf8')) as { checkpoints: Checkpoint[] }).checkpoints ?? [])
    : [];
  const started = performance.now();
  const result = await verifyExportFile(positionals[0]!, { keepHashesAt: new Set(checkpoints.map((c) => c.seq)) });
  const seconds = (performance.now() - started) / 1000;
  const { header, events } = result;
  let verdict = result.verdict;
  if (verdict.status === 'intact' && checkpoints.length > 0) {
    const mine = checkpoints.filter((c) => c.organizationId === header.organizationId && c.seq >= (header.fromSeq ?? 1));
    const jwks = JSON.parse(await readFile(values.keys!, 'utf8')) as Jwks;
    const problems = [...checkSignatures(mine, jwks), ...checkAgainstChain(mine, (seq) => result.hashesAt.get(seq), verdict.lastSeq)].sort(
      (x, y) => x.seq - y.seq,
    );
    if (problems[0]) {
      verdict = { status: 'broken', checked: verdict.checked, brokenAt: problems[0].seq, reason: `checkpoint ${problems[0].seq}: ${problems[0].problem}` };
    }
  }
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ organizationId: header.organizationId, events, seconds, ...verdict })}\n`);
  } else if (verdict.status === 'intact') {
    process.stdout.write(
      `intact: ${events} events of ${header.organizationId}, seq ${header.fromSeq ?? '-'}–${verdict.lastSeq}, last hash ${verdict.lastHash}` +
        ` (${Math.round(events / Math.max(seconds, 1e-9))} events/s)\n`,
    );
  } else {
    process.stdout.write(`BROKEN at seq ${verdict.brokenAt}: ${verdict.reason} (${verdict.checked} events verified before it)\n`);
  }
  return verdict.status === 'intact' ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`aim-audit-verify: ${error instanceof ExportFormatError ? error.message : (error as Error).message}\n`);
    process.exit(2);
  },
);
