import type { Keyring } from '../../platform/crypto/keyring.js';
import type { PersonalData } from '../../platform/crypto/personal-data.js';
import type { Database } from '../../platform/db/database.js';
import type { FeatureJob } from '../../platform/jobs/feature-jobs.js';
import { resealSessions } from '../sessions/index.js';
import { resealUsers } from '../users/index.js';

const BATCH = 500;

/**
 * `aim.privacy-reseal`, hourly: what was written before per-person keys (people's email and name under
 * the deployment keyring, sessions' address and user agent in clear) is moved under each person's key,
 * in batches of short transactions, until nothing is left; afterwards each run finds nothing. Audit
 * events are never touched: they cannot change without breaking the chain (docs/privacy.md §2).
 */
export function privacyJobs(deps: { db: Database; keyring: Keyring; personalData: PersonalData }): FeatureJob[] {
  return [
    {
      name: 'aim.privacy-reseal',
      cron: '23 * * * *',
      async run() {
        let moved = BATCH;
        while (moved === BATCH) moved = await deps.db.transaction({ organizationId: null }, (tx) => resealUsers(tx, deps.keyring, deps.personalData, BATCH));
        moved = BATCH;
        while (moved === BATCH) moved = await deps.db.transaction({ organizationId: null }, (tx) => resealSessions(tx, deps.personalData, BATCH));
      },
    },
  ];
}
