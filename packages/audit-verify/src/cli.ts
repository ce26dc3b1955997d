#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { ExportFormatError, verifyExportFile } from './verify-export.js';

/**
 * aim-audit-verify EXPORT.ndjson
 *
 * Checks an AIM audit export without the server: recomputes every event's hash from its content
 * and the previous hash, and reports the first event that was altered, removed or reordered, or a
 * missing tail. Exit code 0 when intact, 1 when broken, 2 when the file cannot be read.
 */
const usage = 'usage: aim-audit-verify EXPORT.ndjson [--json]';

async function main(): Promise<number> {
  const { positionals, values } = parseArgs({ allowPositionals: true, options: { json: { type: 'boolean', default: false }, help: { type: 'boolean' } } });
  if (values.help || positionals.length !== 1) {
    process.stderr.write(`${usage}\n`);
    return values.help ? 0 : 2;
  }
  const started = performance.now();
  const result = await verifyExportFile(positionals[0]!);
  const seconds = (performance.now() - started) / 1000;
  const { verdict, header, events } = result;
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
