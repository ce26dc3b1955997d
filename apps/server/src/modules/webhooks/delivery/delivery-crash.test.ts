import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import pg from 'pg';
import { createKeyring, parseEncryptionKeys } from '../../../platform/crypto/keyring.js';
import { newId } from '../../../platform/ids.js';
import { startAim, type AimProcess } from '../../../testing/aim-process.js';
import { createTestDatabase, type TestDatabase } from '../../../testing/test-database.js';
import { TEST_ENCRYPTION_KEYS, TEST_LOOKUP_KEY } from '../../../testing/test-app.js';
import { testTargets } from '../../../testing/targets.js';
import { eventually, insertEndpoint, insertEvent, scheduleDelivery, startReceiver, verifyReceived, type Receiver } from './delivery-fixtures.js';

/**
 * At least once, as `npm start` runs it: the real server process sends deliveries to two receivers, is
 * killed (SIGKILL) while attempts are in flight (the receivers hold them unanswered), and started again.
 * Every event reaches every endpoint, validly signed; what was in flight at the kill arrives again,
 * with the same webhook-id (a duplicate the receiver can recognise), and nothing is lost.
 */
const EVENTS = 60;
const ANSWERED_BEFORE_KILL = 40;

describe('webhook delivery across a crash', () => {
  const target = testTargets()[0]!;
  const keyring = createKeyring({ keys: parseEncryptionKeys(TEST_ENCRYPTION_KEYS), lookupKey: Buffer.from(TEST_LOOKUP_KEY, 'base64url') });
  let database: TestDatabase;
  let db: pg.Client;
  let aim: AimProcess | undefined;
  const receivers: Receiver[] = [];
  const held: ServerResponse[] = [];
  let killed = false;

  const start = () =>
    startAim({
      DATABASE_URL: database.ownerUrl,
      DATABASE_APP_ROLE: target.appRole,
      DATABASE_APP_PASSWORD: target.appPassword,
      AIM_ENCRYPTION_KEYS: TEST_ENCRYPTION_KEYS,
      AIM_LOOKUP_KEY: TEST_LOOKUP_KEY,
      PORT: '0',
      SERVE_DASHBOARD: 'false',
      OUTBOUND_ALLOW_PRIVATE_NETWORKS: 'true',
      // A lease lasts 2 × the timeout + 5 s: what the killed process held goes again 7 s later.
      WEBHOOK_TIMEOUT_MS: '1000',
    });

  before(async () => {
    database = await createTestDatabase(target);
    db = new pg.Client({ connectionString: database.ownerUrl });
    await db.connect();
  });
  after(async () => {
    await aim?.stop();
    for (const res of held) res.destroy();
    for (const r of receivers) await r.close();
    await db?.end();
    await database?.drop();
  });

  it('delivers every event to every endpoint after a SIGKILL mid-delivery, duplicates allowed, none lost', async () => {
    let answered = 0;
    // Answer the first deliveries at once, then hold every request unanswered until the kill; answer all after it.
    const answer = (_req: unknown, res: ServerResponse) => {
      if (killed || answered < ANSWERED_BEFORE_KILL) {
        answered++;
        res.end('ok');
      } else held.push(res);
    };
    for (let i = 0; i < 2; i++) receivers.push(await startReceiver(answer));
    const organizationId = newId('org');
    await db.query(`insert into organizations (id, name) values ($1, 'Crashing')`, [organizationId]);
    const endpoints = [];
    for (const r of receivers) endpoints.push({ ...(await insertEndpoint(db, keyring, organizationId, { url: r.url })), receiver: r });
    const events = [];
    for (let i = 0; i < EVENTS; i++) {
      const event = await insertEvent(db, organizationId, `event ${i}`);
      events.push(event);
      for (const e of endpoints) await scheduleDelivery(db, e.id, event);
    }

    aim = await start();
    await eventually('attempts held in flight', async () => (held.length >= 4 ? true : undefined));
    const exited = new Promise((resolve) => aim!.child.once('exit', resolve));
    aim.child.kill('SIGKILL');
    await exited;
    killed = true;
    aim = undefined;
    const heldAtKill = held.length;
    const { rows: unfinished } = await db.query(`select count(*)::int as n from webhook_deliveries where status <> 'succeeded'`);
    assert.ok(unfinished[0]!.n >= heldAtKill, `${unfinished[0]!.n} deliveries unfinished at the kill, ${heldAtKill} in flight`);

    aim = await start();
    await eventually(
      'every delivery succeeded',
      async () => {
        const { rows } = await db.query(`select count(*)::int as n from webhook_deliveries where status = 'succeeded'`);
        return rows[0]!.n === EVENTS * endpoints.length ? true : undefined;
      },
      60_000,
    );

    // Every event reached every endpoint, signed with that endpoint's secret; repeats carry the same webhook-id.
    let total = 0;
    for (const e of endpoints) {
      const seen = new Map<string, number>();
      for (const got of e.receiver.received) {
        const body = verifyReceived(e.secret, got) as { id: string };
        assert.equal(got.headers['webhook-id'], body.id);
        seen.set(body.id, (seen.get(body.id) ?? 0) + 1);
      }
      assert.deepEqual([...seen.keys()].sort(), events.map((ev) => ev.id).sort());
      total += e.receiver.received.length;
    }
    // What was in flight at the kill came again: duplicates, never losses.
    assert.ok(total - EVENTS * endpoints.length >= heldAtKill, `${total} requests for ${EVENTS * endpoints.length} deliveries, ${heldAtKill} held at the kill`);
  });
});
