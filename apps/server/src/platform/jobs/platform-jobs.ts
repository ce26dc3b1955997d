import type { Queryable } from '../db/database.js';
import type { SigningKeys } from '../auth/signing-keys.js';
import type { FeatureJob } from './feature-jobs.js';

/** The platform's own scheduled work: monthly partitions ahead of time, and key rotation. */
export function platformJobs(deps: { db: Queryable; keys: readonly SigningKeys[] }): FeatureJob[] {
  return [
    {
      name: 'aim.partitions',
      cron: '17 * * * *',
      async run() {
        await deps.db.query('select aim_ensure_partitions(3)');
      },
    },
    {
      name: 'aim.rotate-keys',
      cron: '5 3 * * *',
      // current() replaces a key older than its rotation period; retired keys keep verifying.
      async run() {
        for (const keys of deps.keys) await keys.current();
      },
    },
  ];
}
