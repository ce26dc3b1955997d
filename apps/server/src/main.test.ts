import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { newId } from './platform/ids.js';
import { MAIN, startAim, type AimProcess } from './testing/aim-process.js';
import { DEFAULT_DASHBOARD_DIR } from './modules/dashboard/dashboard-files.js';
import { existsSync } from 'node:fs';

/**
 * The real entry point, as `npm start` runs it: no configuration but a data folder and a free
 * port, an embedded PostgreSQL, migrations, serving, clean shutdown, restart with the data kept.
 */
async function start(dataDir: string): Promise<AimProcess & { pgPort: number }> {
  const aim = await startAim({ AIM_DATA_DIR: dataDir, PORT: '0' });
  if (!aim.pgPort) {
    await aim.stop();
    assert.fail(`no embedded PostgreSQL port in the output:\n${aim.output()}`);
  }
  return Object.assign(aim, { pgPort: aim.pgPort });
}

const stop = (running: AimProcess) => running.stop();

async function ownerQuery(dataDir: string, port: number, sql: string, params: unknown[] = []) {
  const secrets = JSON.parse(await readFile(join(dataDir, 'secrets.json'), 'utf8')) as { postgresPassword: string };
  const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', password: secrets.postgresPassword, database: 'aim' });
  await client.connect();
  try {
    return await client.query(sql, params);
  } finally {
    await client.end();
  }
}

describe('npm start with no configuration', () => {
  const dirs: string[] = [];
  after(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('serves on the embedded database, keeps data across a restart, and refuses a second process on the same folder', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'aim-main-'));
    dirs.push(dataDir);

    const first = await start(dataDir);
    try {
      assert.equal((await fetch(`${first.base}/healthz`)).status, 200);
      const ready = await fetch(`${first.base}/readyz`);
      assert.equal(ready.status, 200);
      assert.equal(((await ready.json()) as { status: string }).status, 'ready');
      const doc = (await (await fetch(`${first.base}/openapi.json`)).json()) as { openapi: string };
      assert.equal(doc.openapi, '3.1.0');
      assert.match(await (await fetch(`${first.base}/metrics`)).text(), /aim_http_request_duration_seconds_bucket/);

      const secretsMode = (await import('node:fs')).statSync(join(dataDir, 'secrets.json')).mode & 0o777;
      assert.equal(secretsMode, 0o600);

      const org = newId('org');
      await ownerQuery(dataDir, first.pgPort, `insert into organizations (id, name) values ($1, 'Survivor')`, [org]);

      // A second AIM on the same folder stops with a clear message and harms nothing.
      await assert.rejects(start(dataDir), (e: { code?: number; output?: string }) => {
        assert.equal(e.code, 1);
        assert.match(e.output ?? '', /data folder .* is in use by another AIM process \(pid \d+\)/);
        return true;
      });
      assert.equal((await fetch(`${first.base}/readyz`)).status, 200);

      assert.equal(await stop(first), 0);
      assert.match(first.output(), /stopped cleanly/);
      // PostgreSQL is gone with it.
      await assert.rejects(ownerQuery(dataDir, first.pgPort, 'select 1'));

      const second = await start(dataDir);
      try {
        const { rows } = await ownerQuery(dataDir, second.pgPort, 'select name from organizations where id = $1', [org]);
        assert.deepEqual(rows, [{ name: 'Survivor' }]);
        assert.doesNotMatch(second.output(), /migration applied/);
      } finally {
        assert.equal(await stop(second), 0);
      }
    } finally {
      if (first.child.exitCode === null) first.child.kill('SIGKILL');
    }
  });

  it('prints AIM’s public address, http://localhost:<bound port>, everywhere, and sends pages opened elsewhere there', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'aim-main-'));
    dirs.push(dataDir);
    const aim = await startAim({ AIM_DATA_DIR: dataDir, PORT: '0' });
    try {
      const base = aim.base;
      const port = Number(new URL(base).port);
      assert.equal(base, `http://localhost:${port}`);
      assert.ok(port > 0, 'the port actually bound, not PORT=0');
      const link = await aim.setupLink();
      assert.match(link, new RegExp(`^${base}/setup\\?token=[A-Za-z0-9_-]+$`));
      const banner = aim.output();
      const dashboard = existsSync(join(DEFAULT_DASHBOARD_DIR, 'index.html'));
      for (const line of [
        ...(dashboard ? [`Dashboard    ${base}/`] : []),
        `API          ${base}/api/v1`,
        `API docs     ${base}/docs`,
        `Health       ${base}/healthz  ${base}/readyz`,
        `curl -X POST ${base}/api/v1/setup`,
      ]) {
        assert.ok(banner.includes(line), `the banner prints "${line}":\n${banner}`);
      }
      assert.doesNotMatch(banner, /127\.0\.0\.1:\d+\/(api|setup|docs)/, 'no other address is offered to people');

      const meta = (await (await fetch(`${base}/api/v1/meta`)).json()) as { baseUrl: string };
      assert.equal(meta.baseUrl, base);

      // Where AIM listens (HOST 127.0.0.1) under its address: pages go to the public URL, the rest is answered.
      const direct = `http://127.0.0.1:${port}`;
      const setupPage = await fetch(link.replace(base, direct), { redirect: 'manual' });
      assert.equal(setupPage.status, 307);
      assert.equal(setupPage.headers.get('location'), link, 'the same setup link, at the public address');
      if (dashboard) {
        const home = await fetch(`${direct}/agents/?id=x`, { redirect: 'manual' });
        assert.equal(home.status, 307);
        assert.equal(home.headers.get('location'), `${base}/agents/?id=x`);
      }
      assert.equal((await fetch(`${direct}/healthz`, { redirect: 'manual' })).status, 200);
      assert.equal((await fetch(`${direct}/metrics`, { redirect: 'manual' })).status, 200);
      const metaDirect = await fetch(`${direct}/api/v1/meta`, { redirect: 'manual' });
      assert.equal(metaDirect.status, 200);
      assert.equal(((await metaDirect.json()) as { baseUrl: string }).baseUrl, base);
      assert.equal((await fetch(`${base}/setup`, { redirect: 'manual' })).status, 200, 'at the public address, the page itself');
    } finally {
      assert.equal(await aim.stop(), 0);
    }
  });

  it('refuses to start at an address where passkeys cannot work, saying what to set', async () => {
    for (const [publicUrl, message] of [
      ['http://127.0.0.1:8080', /PUBLIC_URL: 127\.0\.0\.1 is an IP address, and browsers refuse passkeys on one .* http:\/\/localhost:<PORT>/],
      ['https://aim.example.com/aim?x=1', /PUBLIC_URL: must not carry a query or a fragment/],
    ] as const) {
      const child = spawn(process.execPath, [MAIN], { env: { PATH: process.env.PATH, PUBLIC_URL: publicUrl }, stdio: ['ignore', 'pipe', 'pipe'] });
      let err = '';
      child.stderr.on('data', (c: Buffer) => (err += c.toString()));
      const code = await new Promise((resolve) => child.once('exit', resolve));
      assert.equal(code, 1, err);
      assert.match(err, message);
    }
  });

  it('lists every configuration problem and exits 1', async () => {
    const child = spawn(process.execPath, [MAIN], {
      env: { PATH: process.env.PATH, PORT: 'x', LOG_LEVEL: 'chatty' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const code = await new Promise((resolve) => child.once('exit', resolve));
    assert.equal(code, 1);
    assert.match(err, /PORT: must be a whole number/);
    assert.match(err, /LOG_LEVEL:/);
  });
});
