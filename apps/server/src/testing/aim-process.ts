import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The real entry point, as `npm start` runs it. */
export const MAIN = fileURLToPath(new URL('../main.js', import.meta.url));

export interface AimProcess {
  child: ChildProcess;
  /** The address the banner prints: `AIM <version> is running at <base>`. */
  base: string;
  output(): string;
  /** The one-time setup link exactly as printed (`open <link>`), once it is. */
  setupLink(): Promise<string>;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

const READY_TIMEOUT_MS = 60_000;

/**
 * Start `main.js` with `env` added to a clean environment (none of the test runner's own
 * variables) and resolve once the banner is printed. Rejects with the output if it exits first.
 */
export function startAim(env: NodeJS.ProcessEnv): Promise<AimProcess> {
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

  const waitFor = (pattern: RegExp, what: string): Promise<RegExpExecArray> =>
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
      const timer = setTimeout(() => done(new Error(`no ${what} within ${READY_TIMEOUT_MS / 1000} s:\n${out}`)), READY_TIMEOUT_MS);
      listeners.add(check);
      child.once('exit', exited);
      check();
    });

  return waitFor(/AIM \S+ is running at (http\S+)\n/, 'banner').then(([, base]) => ({
    child,
    base: base!,
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
