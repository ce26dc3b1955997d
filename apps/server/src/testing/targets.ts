import { describe } from 'node:test';

/**
 * The services a test run talks to. `scripts/test.mjs` starts an embedded PostgreSQL for every
 * run and, when TEST_DATABASE_URL / TEST_REDIS_URL are set, adds the external services as a
 * second target; each target gets a migrated template database. Integration suites run once
 * per target.
 */
export interface TestTarget {
  name: string;
  /** Superuser/owner connection to the `postgres` maintenance database of the server. */
  adminUrl: string;
  /** A migrated database to clone for each suite. */
  templateDatabase: string;
  /** Names of this run's databases start with it. */
  databasePrefix: string;
  appRole: string;
  appPassword: string;
  redisUrl: string | undefined;
}

export function testTargets(): TestTarget[] {
  const raw = process.env.AIM_TEST_TARGETS;
  if (!raw) {
    throw new Error('AIM_TEST_TARGETS is not set: run the tests with `npm test`, which prepares the databases.');
  }
  return JSON.parse(raw) as TestTarget[];
}

/** The Redis URL of the run, if any (for the store contract suite). */
export function testRedisUrl(): string | undefined {
  return testTargets().find((t) => t.redisUrl)?.redisUrl;
}

/** Declare an integration suite once per target: `forEachTarget('tenancy', (target) => { … })`. */
export function forEachTarget(title: string, body: (target: TestTarget) => void): void {
  for (const target of testTargets()) {
    describe(`${title} [${target.name}]`, () => body(target));
  }
}
