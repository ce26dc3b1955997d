import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { keyFingerprint } from '@aim/audit-verify';
import { setUpOrganization, startAim, type AimProcess } from './testing/aim-process.js';

const VERIFIER = fileURLToPath(new URL('../../../packages/audit-verify/dist/cli.js', import.meta.url));
const BOOTSTRAP = 'bootstrap-token-for-the-compliance-test-0123456789';

function verify(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [VERIFIER, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.once('exit', (code) => resolve({ code, output }));
  });
}

/**
 * The auditor's path on the running server (`npm start`, embedded PostgreSQL): a report is generated
 * and downloaded over HTTP, and the `aim-audit-verify` command checks its signature offline against
 * the published keys with a pinned fingerprint; one changed byte and it refuses.
 */
describe('compliance reports on the running server', () => {
  let aim: AimProcess | undefined;
  let dir: string | undefined;
  after(async () => {
    if (aim && aim.child.exitCode === null) await aim.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('generates, downloads and verifies a signed report with the CLI; a changed byte is refused', async () => {
    dir = await mkdtemp(join(tmpdir(), 'aim-compliance-'));
    aim = await startAim({ AIM_DATA_DIR: join(dir, 'data'), PORT: '0', SERVE_DASHBOARD: 'false', AIM_BOOTSTRAP_TOKEN: BOOTSTRAP }, { readyTimeoutMs: 120_000 });
    const { apiKey, call } = await setUpOrganization(aim, { token: BOOTSTRAP, organization: 'Audited', adminEmail: 'ciso@audited.example', adminName: 'CISO' });
    await call('POST', '/api/v1/audit-logs/checkpoints', undefined, 201);
    const to = new Date().toISOString();
    const { report, document } = await call('POST', '/api/v1/compliance/reports', { framework: 'iso27001', from: new Date(Date.now() - 86_400_000).toISOString(), to }, 201);
    assert.equal(document.framework.id, 'iso27001');

    const download = await fetch(`${aim.base}/api/v1/compliance/reports/${report.id}/download?format=json`, { headers: { authorization: `Bearer ${apiKey}` } });
    assert.equal(download.status, 200);
    const reportFile = join(dir, 'report.json');
    await writeFile(reportFile, Buffer.from(await download.arrayBuffer()));
    const keysFile = join(dir, 'aim-audit-keys.json');
    const keys = await (await fetch(`${aim.base}/.well-known/aim-audit-keys.json`)).json() as { keys: Record<string, unknown>[] };
    await writeFile(keysFile, JSON.stringify(keys));
    const pin = keyFingerprint(keys.keys.find((k) => k.kid === document.signature.kid)!);

    const ok = await verify(['--report', reportFile, '--keys', keysFile, '--pin', pin]);
    assert.equal(ok.code, 0, ok.output);
    assert.match(ok.output, new RegExp(`^valid: report ${report.id}`));

    const text = await readFile(reportFile, 'utf8');
    const changed = text.replace(/"generatedAt":"(\d)/, (_m, d: string) => `"generatedAt":"${(Number(d) + 1) % 10}`);
    assert.notEqual(changed, text);
    await writeFile(reportFile, changed);
    const refused = await verify(['--report', reportFile, '--keys', keysFile, '--pin', pin, '--json']);
    assert.equal(refused.code, 1, refused.output);
    assert.equal(JSON.parse(refused.output).status, 'invalid');

    await writeFile(reportFile, text);
    const unpinned = await verify(['--report', reportFile, '--keys', keysFile, '--pin', 'A'.repeat(43)]);
    assert.equal(unpinned.code, 1, unpinned.output);
    assert.match(unpinned.output, /not pinned/);
  });
});
