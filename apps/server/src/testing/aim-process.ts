import { spawn, type ChildProcess } from 'node:child_process';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';

/** The real entry point, as `npm start` runs it. */
export const MAIN = fileURLToPath(new URL('../main.js', import.meta.url));

export interface AimProcess {
  child: ChildProcess;
  /** The address the banner prints: `AIM <version> is running at <base>`. */
  base: string;
  /** The embedded PostgreSQL's port, as printed before the banner (null with DATABASE_URL). */
  pgPort: number | null;
  output(): string;
  /** The one-time setup link exactly as printed (`open <link>`), once it is. */
  setupLink(): Promise<string>;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

/**
 * Start `main.js` with `env` added to a clean environment (none of the test runner's own
 * variables) and resolve once the banner is printed. Rejects with the output if it exits first; not
 * ready within `readyTimeoutMs`, it is stopped (SIGTERM, so its embedded PostgreSQL stops too) and rejects.
 */
export function startAim(env: NodeJS.ProcessEnv, options: { readyTimeoutMs?: number } = {}): Promise<AimProcess> {
  const readyTimeoutMs = options.readyTimeoutMs ?? 60_000;
  const full: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'info', ...env };
  for (const key of ['AIM_TEST_TARGETS', 'NODE_TEST_CONTEXT', ...['DATABASE_URL', 'REDIS_URL', 'PUBLIC_URL'].filter((k) => !(k in env))]) delete full[key];
  const child = spawn(process.execPath, ['--enable-source-maps', MAIN], { env: full, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const listeners = new Set<() => void>();
  const onData = (c: Buffer) => {
    out += c.toString();
    for (const listener of listeners) listener();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);

  const waitFor = (pattern: RegExp, what: string, onTimeout?: () => void): Promise<RegExpExecArray> =>
    new Promise((resolve, reject) => {
      const done = (error?: Error, match?: RegExpExecArray) => {
        clearTimeout(timer);
        listeners.delete(check);
        child.off('exit', exited);
        if (error) reject(error);
        else resolve(match!);
      };
      const check = () => {
        const match = pattern.exec(out);
        if (match) done(undefined, match);
      };
      const exited = (code: number | null) => done(Object.assign(new Error(`exited with ${code} before ${what}:\n${out}`), { output: out, code }));
      const timer = setTimeout(() => {
        onTimeout?.();
        done(new Error(`no ${what} within ${readyTimeoutMs / 1000} s:\n${out}`));
      }, readyTimeoutMs);
      listeners.add(check);
      child.once('exit', exited);
      check();
    });

  return waitFor(/AIM \S+ is running at (http\S+)\n/, 'banner', () => child.kill('SIGTERM')).then(([, base]) => ({
    child,
    base: base!,
    pgPort: embeddedPostgresPort(out),
    output: () => out,
    setupLink: async () => (await waitFor(/\n {4}open (http\S+)\n/, 'setup link'))[1]!,
    stop: () =>
      new Promise<number | null>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve(child.exitCode);
        child.once('exit', (code) => resolve(code));
        child.kill('SIGTERM');
      }),
  }));
}

/** The port of the embedded PostgreSQL, from its `embedded PostgreSQL is ready` log line. */
function embeddedPostgresPort(output: string): number | null {
  for (const line of output.split('\n')) {
    if (!line.includes('embedded PostgreSQL is ready')) continue;
    try {
      const { port } = JSON.parse(line) as { port?: unknown };
      if (typeof port === 'number') return port;
    } catch {
      // not a log line
    }
  }
  return null;
}

/** `call(method, path, body?, expect?)`: the JSON answer; a status other than `expect` (or any ≥ 300) fails. */
export type ApiCall = (method: string, path: string, body?: unknown, expect?: number) => Promise<any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * Set a running AIM up as its first user does (POST /api/v1/setup with the bootstrap token) and answer
 * the admin's API key with a caller that sends it.
 */
export async function setUpOrganization(aim: AimProcess, input: { token: string; organization: string; adminEmail: string; adminName: string }): Promise<{ apiKey: string; call: ApiCall }> {
  const setup = await fetch(`${aim.base}/api/v1/setup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token: input.token, organization: { name: input.organization }, admin: { email: input.adminEmail, name: input.adminName } }),
  });
  assert.equal(setup.status, 201, await setup.clone().text());
  const apiKey = ((await setup.json()) as { apiKey: { key: string } }).apiKey.key;
  const call: ApiCall = async (method, path, body, expect) => {
    const res = await fetch(`${aim.base}${path}`, {
      method,
      headers: { authorization: `Bearer ${apiKey}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    if (expect !== undefined) assert.equal(res.status, expect, `${method} ${path}: ${text}`);
    else assert.ok(res.status < 300, `${method} ${path}: ${res.status} ${text}`);
    return text ? JSON.parse(text) : undefined;
  };
  return { apiKey, call };
}
