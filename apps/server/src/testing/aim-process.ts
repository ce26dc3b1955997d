import { spawn, type ChildProcess } from 'node:child_process';
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
