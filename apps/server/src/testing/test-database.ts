import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { withCredentials } from '../platform/db/provision.js';
import type { TestTarget } from './targets.js';

/** A fresh database cloned from the target's migrated template, dropped by `drop()`. */
export interface TestDatabase {
  name: string;
  ownerUrl: string;
  appUrl: string;
  drop(): Promise<void>;
}

export function databaseUrl(adminUrl: string, database: string): string {
  const u = new URL(adminUrl);
  u.pathname = `/${database}`;
  return u.toString();
}

async function admin<T>(target: TestTarget, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: target.adminUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export async function createTestDatabase(target: TestTarget, options: { empty?: boolean } = {}): Promise<TestDatabase> {
  const name = `${target.databasePrefix}${randomBytes(6).toString('hex')}`;
  await admin(target, async (c) => {
    const template = options.empty ? 'template0' : target.templateDatabase;
    // Cloning needs the template to be free of sessions; retry briefly if another suite is cloning it.
    for (let attempt = 0; ; attempt++) {
      try {
        await c.query(`create database ${c.escapeIdentifier(name)} template ${c.escapeIdentifier(template)}`);
        break;
      } catch (error) {
        if ((error as { code?: string }).code !== '55006' || attempt > 50) throw error;
        await new Promise((r) => setTimeout(r, 50 + Math.random() * 100));
      }
    }
  });
  const ownerUrl = databaseUrl(target.adminUrl, name);
  return {
    name,
    ownerUrl,
    appUrl: withCredentials(ownerUrl, target.appRole, target.appPassword),
    drop: () => admin(target, (c) => c.query(`drop database if exists ${c.escapeIdentifier(name)} with (force)`)).then(() => undefined),
  };
}
