import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { lstat, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { keyFingerprint } from '@aim/audit-verify';
import { testTargets } from './testing/targets.js';
import { createTestApp, listenPublic, type TestApp } from './testing/test-app.js';
import { seedOrganization, type SeededOrganization } from './testing/people-fixtures.js';

/**
 * The SDK and the audit verifier as someone outside this repository gets them: the README's commands
 * pack them (`npm run pack`), install the tarballs into a fresh project in a temporary folder, an agent
 * script there enrolls against a real AIM server, makes a signed request and gets a token, the SDK's
 * types compile with `moduleResolution: nodenext`, and the installed verifier checks the server's
 * audit export, pinned to the checkpoint key, and catches a tampered one.
 *
 * The commands are read from README.md's `readme-test:*` blocks, so the README cannot drift from what
 * is tested. Installing needs the verifier's one dependency (canonicalize) from the npm cache or the
 * registry: the install prefers the cache (`npm ci` at the root has put it there), and fails the test,
 * with npm's message, when neither has it.
 */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');

async function readmeBlock(name: string): Promise<string> {
  const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
  const match = new RegExp(`^\`\`\`[a-z]+ readme-test:${name}\\n([\\s\\S]*?)\\n\`\`\`$`, 'm').exec(readme);
  assert.ok(match, `README.md has no \`readme-test:${name}\` block`);
  return match[1]!;
}

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

function sh(script: string, cwd: string, env: Record<string, string> = {}): Promise<Ran> {
  return new Promise((resolve) => {
    execFile('sh', ['-ec', script], { cwd, env: { ...process.env, ...env }, maxBuffer: 16 * 1024 * 1024, timeout: 5 * 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

const show = (r: Ran) => `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;

describe('the packed SDK and verifier, installed outside the repository', () => {
  let project: string;
  let t: TestApp;
  let org: SeededOrganization;
  let baseUrl: string;
  /** The environment the README's commands expect. */
  let env: Record<string, string>;

  before(async () => {
    project = await mkdtemp(join(tmpdir(), 'aim-install-'));
    t = await createTestApp(testTargets()[0]!);
    org = await seedOrganization(t);
    baseUrl = await listenPublic(t);
    env = {
      AIM_URL: baseUrl,
      // The agent's credentials file goes here rather than into ~/.aim/agents.
      AIM_CREDENTIALS_DIR: join(project, 'credentials'),
      // Prefer the local npm cache: the only dependencies fetched are the verifier's (canonicalize, pkijs, asn1js and theirs).
      npm_config_prefer_offline: 'true',
      npm_config_audit: 'false',
      npm_config_fund: 'false',
      npm_config_update_notifier: 'false',
    };
  });
  after(async () => {
    await t?.close();
    await rm(project, { recursive: true, force: true });
  });

  it('packs with the README command, and installs the tarballs with the README command', async () => {
    const packed = await sh(await readmeBlock('pack'), ROOT);
    assert.equal(packed.code, 0, show(packed));
    assert.match(packed.stdout, /packed\/aim-sdk-0\.1\.0\.tgz/);
    assert.match(packed.stdout, /packed\/aim-audit-verify-0\.1\.0\.tgz/);

    const install = (await readmeBlock('install')).replaceAll('/path/to/aim/', ROOT);
    const installed = await sh(install, project, env);
    assert.equal(
      installed.code,
      0,
      `npm install of the tarballs failed. It needs canonicalize@4.0.0, pkijs@4.0.0 and asn1js@4.0.0 (the verifier's dependencies) from the npm cache or the registry (https://registry.npmjs.org):\n${show(installed)}`,
    );
    for (const name of ['@aim/sdk', '@aim/audit-verify']) {
      const folder = join(project, 'node_modules', name);
      assert.ok(!(await lstat(folder)).isSymbolicLink(), `${name} is a copy from the tarball, not a link into the repository`);
      const pkg = JSON.parse(await readFile(join(folder, 'package.json'), 'utf8')) as { license: string; private?: boolean };
      assert.equal(pkg.license, 'Apache-2.0');
      assert.equal(pkg.private, undefined);
      assert.match(await readFile(join(folder, 'LICENSE'), 'utf8'), /Apache License\s+Version 2\.0/);
    }
    await assert.rejects(lstat(join(project, 'node_modules/@aim/contracts')), 'nothing else of the monorepo comes along');
  });

  it('an agent script enrolls with an enrollment token, makes a signed request and gets a token', async () => {
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/enrollment-tokens',
      headers: { ...org.as.admin.apiKey, 'content-type': 'application/json' },
      payload: { expiresInSeconds: 600 },
    });
    assert.ok(created.statusCode < 300, created.body);
    await writeFile(
      join(project, 'agent.mjs'),
      [
        "import { secure } from '@aim/sdk';",
        "const agent = await secure('installed-agent', { baseUrl: process.env.AIM_URL, enrollmentToken: process.env.AIM_ENROLLMENT_TOKEN });",
        'const me = await agent.me();',
        'const token = await agent.token();',
        'console.log(JSON.stringify({ id: agent.id, name: me.name, status: me.status, token }));',
      ].join('\n'),
    );
    const ran = await sh('node agent.mjs', project, { ...env, AIM_ENROLLMENT_TOKEN: created.json().token });
    assert.equal(ran.code, 0, show(ran));
    const out = JSON.parse(ran.stdout) as { id: string; name: string; status: string; token: string };
    assert.equal(out.name, 'installed-agent');
    assert.equal(out.status, 'active');
    const { payload } = await jwtVerify(out.token, createRemoteJWKSet(new URL(`${baseUrl}/.well-known/jwks.json`)));
    assert.equal(payload.sub, out.id);
    assert.ok((await lstat(join(project, 'credentials/installed-agent.json'))).isFile(), 'the credentials file was written');
    const agent = await t.app.inject({ method: 'GET', url: `/api/v1/agents/${out.id}`, headers: org.as.admin.apiKey });
    assert.equal(agent.statusCode, 200, agent.body);
  });

  it('the installed types compile with moduleResolution nodenext', async () => {
    await writeFile(
      join(project, 'check.mts'),
      [
        "import { secure, AimError, type AgentRecord, type AimErrorCode, type WireAnswer } from '@aim/sdk';",
        "import { keyFingerprint, verifyExportFile, type ExportVerdict } from '@aim/audit-verify';",
        "const agent = await secure('typed', { baseUrl: 'http://127.0.0.1:1' });",
        'const record: AgentRecord = await agent.me();',
        'const token: string = await agent.token();',
        "const fingerprint: string = keyFingerprint({ kty: 'OKP', crv: 'Ed25519', x: 'x' });",
        "const verdict: ExportVerdict = await verifyExportFile('export.ndjson');",
        '// @ts-expect-error the types are the real ones, not `any`',
        'const wrong: number = agent.id;',
        "// The contract's types, generated into the package: the Agent schema's fields and enums, and AIM's error codes.",
        "const status: 'active' | 'suspended' | 'revoked' = record.status;",
        "const answer: WireAnswer<'/api/v1/agents/me', 'get'>['agent'] = record;",
        "const code: AimErrorCode = 'stale_signature';",
        '// @ts-expect-error error codes are a closed union',
        "const misspelt: AimErrorCode = 'stale_signatures';",
        'export { record, token, fingerprint, verdict, wrong, status, answer, code, misspelt, AimError };',
      ].join('\n'),
    );
    await writeFile(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'nodenext',
          moduleResolution: 'nodenext',
          strict: true,
          noEmit: true,
          skipLibCheck: false,
          types: ['node'],
          typeRoots: [join(ROOT, 'node_modules/@types')],
        },
        files: ['check.mts'],
      }),
    );
    const compiled = await sh(`"${process.execPath}" "${TSC}" -p tsconfig.json`, project, env);
    assert.equal(compiled.code, 0, show(compiled));
  });

  it('the installed verifier checks the server’s export, pinned to its checkpoint key, and catches a tampered one', async () => {
    const checkpoint = await t.app.inject({ method: 'POST', url: '/api/v1/audit-logs/checkpoints', headers: org.as.manager.apiKey });
    assert.equal(checkpoint.statusCode, 201, checkpoint.body);
    // The auditor's pin, obtained out of band: here, computed from the server's key directly.
    const keys = (await t.app.inject({ method: 'GET', url: '/.well-known/aim-audit-keys.json' })).json() as { keys: Record<string, unknown>[] };
    const signer = keys.keys.find((k) => k.kid === checkpoint.json().kid)!;
    const verifyEnv = { ...env, AIM_API_KEY: org.as.admin.apiKey.authorization!.replace('Bearer ', ''), AIM_AUDIT_KEY_FINGERPRINT: keyFingerprint(signer) };

    const script = await readmeBlock('verify');
    const curl = await sh('command -v curl', project);
    assert.equal(curl.code, 0, 'the README downloads with curl, which is not installed here (apt-get install -y curl)');
    const verified = await sh(script, project, verifyEnv);
    assert.equal(verified.code, 0, show(verified));
    assert.ok(verified.stdout.includes(`${keyFingerprint(signer)}  ${String(signer.kid)}  Ed25519`), 'the key file’s fingerprints are listed');
    assert.match(verified.stdout, new RegExp(`intact: \\d+ events of ${org.organizationId}, seq 1–\\d+, last hash [0-9a-f]{64}, 1 signed checkpoints \\(pinned keys\\)`));

    // The verifier command alone (the block's last line), on files changed after download.
    const verifyLine = script.trim().split('\n').at(-1)!;
    assert.match(verifyLine, /aim-audit-verify export\.ndjson/);
    const exported = await readFile(join(project, 'export.ndjson'), 'utf8');
    const lines = exported.trimEnd().split('\n');
    assert.ok(lines.length >= 4, 'the enrollment and its checkpoint are in the log');
    const second = JSON.parse(lines[2]!) as { seq: number; action: string };
    await writeFile(join(project, 'export.ndjson'), exported.replace(lines[2]!, JSON.stringify({ ...second, action: `${second.action}.edited` })));
    const tampered = await sh(verifyLine, project, verifyEnv);
    assert.equal(tampered.code, 1, show(tampered));
    assert.match(tampered.stdout, new RegExp(`^BROKEN at seq ${second.seq}: event ${second.seq} does not match its hash`));

    await writeFile(join(project, 'export.ndjson'), exported);
    const otherPin = await sh(verifyLine, project, { ...verifyEnv, AIM_AUDIT_KEY_FINGERPRINT: 'kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k' });
    assert.equal(otherPin.code, 1, show(otherPin));
    assert.match(otherPin.stdout, /signed by key .* which is not pinned/);
  });
});
