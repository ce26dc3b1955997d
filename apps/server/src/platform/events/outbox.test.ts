import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { newId } from '../ids.js';
import { forEachTarget } from '../../testing/targets.js';
import { acrossInstances, createTestApp, type TestApp } from '../../testing/test-app.js';
import type { DomainEvent } from './domain-events.js';

/** Poll until `done` holds (the dispatcher runs on its own); fail with `what`. */
async function until(what: string, done: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) assert.fail(`${what} did not happen within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Record `n` trust.evidence events for the organization, one transaction after another (through the
 * given instances in turn), so that their commit order is their `seq` order. (The order of events of
 * transactions that overlap is not defined: neither could see the other.)
 */
async function recordMany(t: TestApp | TestApp[], organizationId: string, n: number): Promise<string[]> {
  const through = Array.isArray(t) ? t : [t];
  const agentId = newId('agt');
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const instance = through[i % through.length]!;
    const event = await instance.platform.db.transaction({ organizationId }, (tx) =>
      instance.platform.domainEvents.record(tx, 'trust.evidence', { agentId, kind: 'rating' }),
    );
    ids.push(event.id);
  }
  return ids;
}

/** The organization's events in the outbox, in commit (seq) order. */
async function outboxOf(t: TestApp, organizationId: string) {
  const owner = await t.owner();
  return (
    await owner.query<{ id: string; attempts: number }>(
      'select id, attempts from event_outbox where organization_id = $1 order by seq',
      [organizationId],
    )
  ).rows;
}

forEachTarget('domain event outbox', (target) => {
  let t: TestApp;
  const seen: DomainEvent[] = [];
  let failOnce: string | null = null;
  before(async () => {
    t = await createTestApp(target);
    t.platform.domainEvents.subscribe({
      name: 'test.collect',
      types: ['trust.*'],
      handle(event) {
        if (event.id === failOnce) {
          failOnce = null;
          throw new Error('a subscriber failing once');
        }
        seen.push(event);
      },
    });
  });
  after(async () => t?.close());

  it('records an event with its change, checked against the contract, and none when the change rolls back', async () => {
    const org = newId('org');
    const agentId = newId('agt');
    await assert.rejects(
      t.platform.db.transaction({ organizationId: org }, async (tx) => {
        await t.platform.domainEvents.record(tx, 'trust.evidence', { agentId, kind: 'rating' });
        throw new Error('the change fails');
      }),
      /the change fails/,
    );
    await assert.rejects(
      t.platform.db.transaction({ organizationId: org }, (tx) =>
        t.platform.domainEvents.record(tx, 'trust.evidence', { agentId, kind: 'gossip' } as never),
      ),
      (error: Error) => error.name === 'ZodError',
    );
    assert.deepEqual(await outboxOf(t, org), []);
    const recorded = await t.platform.db.transaction({ organizationId: org }, (tx) => t.platform.domainEvents.record(tx, 'trust.evidence', { agentId, kind: 'rating' }));
    assert.match(recorded.id, /^dev_/);
    assert.equal(recorded.version, 1);
    await until('the delivery', () => seen.some((e) => e.id === recorded.id));
    // Deleted in the dispatcher's transaction, which commits after the delivery.
    await until('the outbox emptied', async () => (await outboxOf(t, org)).length === 0);
    assert.deepEqual(seen.find((e) => e.id === recorded.id), recorded, 'delivered exactly as recorded');
  });

  it('delivers every committed event, in commit order per organization, to subscriptions and every listener', async () => {
    const heard: DomainEvent[] = [];
    const stop = await t.platform.domainEvents.listen((e) => heard.push(e));
    try {
      const orgs = [newId('org'), newId('org')];
      const recorded = await Promise.all(orgs.map((org) => recordMany(t, org, 25)));
      for (const [i, org] of orgs.entries()) {
        const ids = recorded[i]!;
        await until(`delivery of ${org}'s events`, () => seen.filter((e) => e.organizationId === org).length >= ids.length);
        assert.deepEqual(seen.filter((e) => e.organizationId === org).map((e) => e.id), ids, 'subscription: each once, in commit order');
        await until(`the listeners hearing ${org}'s events`, () => heard.filter((e) => e.organizationId === org).length >= ids.length);
        assert.deepEqual(heard.filter((e) => e.organizationId === org).map((e) => e.id), ids, 'pub/sub: each once, in commit order');
      }
    } finally {
      stop();
    }
  });

  it('delivers again after a subscription throws, and no later event of the organization overtakes it', async () => {
    const org = newId('org');
    const agentId = newId('agt');
    const first = await t.platform.db.transaction({ organizationId: org }, async (tx) => {
      const e = await t.platform.domainEvents.record(tx, 'trust.evidence', { agentId, kind: 'incident' });
      failOnce = e.id;
      return e;
    });
    const ids = [first.id, ...(await recordMany(t, org, 3))];
    // The first delivery fails and is counted; the retry comes after a back-off of a few seconds.
    await until('the failed attempt counted', async () => (await outboxOf(t, org))[0]?.attempts === 1);
    assert.deepEqual(seen.filter((e) => e.organizationId === org), [], 'nothing of the organization overtook it');
    await until('the redelivery', () => seen.filter((e) => e.organizationId === org).length === 4, 30_000);
    assert.deepEqual(seen.filter((e) => e.organizationId === org).map((e) => e.id), ids);
    await until('the outbox emptied', async () => (await outboxOf(t, org)).length === 0);
  });
});

forEachTarget('domain event batch subscriptions', (target) => {
  let t: TestApp;
  after(async () => t?.close());

  it('hands a batch subscription the organization\'s events in commit order; a throw hands the batch again, nothing lost', async () => {
    t = await createTestApp(target);
    const batches: DomainEvent[][] = [];
    let failWith: string | null = null;
    const oneAtATime: string[] = [];
    t.platform.domainEvents.subscribe({
      name: 'test.batch',
      types: ['trust.*'],
      async handleBatch(events) {
        if (failWith && events.some((e) => e.id === failWith)) {
          failWith = null;
          throw new Error('a batch subscriber failing once');
        }
        batches.push([...events]);
      },
    });
    t.platform.domainEvents.subscribe({ name: 'test.single', types: ['trust.*'], handle: (e) => void oneAtATime.push(e.id) });
    const org = newId('org');
    const ids = await recordMany(t, org, 12);
    await until('the batches', () => batches.flat().filter((e) => e.organizationId === org).length >= ids.length);
    assert.deepEqual(batches.flat().filter((e) => e.organizationId === org).map((e) => e.id), ids, 'each once, in commit order');
    assert.ok(batches.every((b) => b.every((e) => e.type.startsWith('trust.'))), 'only the types it takes');

    const later = await recordMany(t, org, 1);
    failWith = later[0]!;
    const more = [...later, ...(await recordMany(t, org, 3))];
    await until('the failed batch counted', async () => (await outboxOf(t, org))[0]?.attempts === 1);
    await until('the redelivered batch', () => more.every((id) => batches.flat().some((e) => e.id === id)), 30_000);
    const after = batches.flat().map((e) => e.id).filter((id) => more.includes(id));
    assert.deepEqual([...new Set(after)], more, 'every event of the failed batch arrives, in order');
    await until('the one-at-a-time subscription too', () => more.every((id) => oneAtATime.includes(id)));
    await until('the outbox emptied', async () => (await outboxOf(t, org)).length === 0);
  });
});

forEachTarget('domain event dispatch paused', (target) => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp(target, { env: { EVENT_DISPATCH_PAUSED: 'true' } });
  });
  after(async () => t?.close());

  it('holds every event in the outbox (EVENT_DISPATCH_PAUSED)', async () => {
    const org = newId('org');
    await recordMany(t, org, 4);
    await t.platform.domainEvents.drain();
    await new Promise((r) => setTimeout(r, 200));
    assert.equal((await outboxOf(t, org)).length, 4);
    assert.deepEqual(await t.platform.domainEvents.backlog().then((b) => b.pending >= 4), true);
  });
});

acrossInstances('domain events across instances', (instances, skip) => {
  it('two dispatchers on one database deliver each event once, in commit order per organization', { skip }, async () => {
    const delivered: DomainEvent[] = [];
    for (const instance of [instances.a, instances.b]) {
      instance.platform.domainEvents.subscribe({ name: 'test.both', types: ['*'], handle: (e) => void delivered.push(e) });
    }
    const orgs = [newId('org'), newId('org'), newId('org')];
    // Changes commit through both instances in turn, each nudging its own dispatcher; the organizations at once.
    const recorded = await Promise.all(orgs.map((org) => recordMany([instances.a, instances.b], org, 30)));
    for (const [i, org] of orgs.entries()) {
      const ids = recorded[i]!;
      await until(`delivery of ${org}'s events`, () => delivered.filter((e) => e.organizationId === org).length >= ids.length);
      assert.deepEqual(delivered.filter((e) => e.organizationId === org).map((e) => e.id), ids);
    }
  });
});
