import type { Platform } from '../../platform/platform.js';
import { createChainVerifier } from './chain-verification.js';
import { createComplianceEvaluator } from './compliance-evaluator.js';
import { createComplianceSettingsService } from './compliance-settings.js';
import { createComplianceReportService } from './report-service.js';

/** The compliance services, built once from the platform pieces they use (modules/services.ts). */
export function createComplianceServices(platform: Pick<Platform, 'db' | 'checkpointKeys' | 'auditSequencer' | 'config'>) {
  const { db, config } = platform;
  const chain = createChainVerifier({ db, drain: (organizationId) => platform.auditSequencer.drain(organizationId) });
  const evaluator = createComplianceEvaluator({
    db,
    chain,
    checkpointKeys: async () => ({ keys: (await db.query<{ public_jwk: Record<string, unknown> }>('select public_jwk from aim_audit_checkpoint_keys()')).rows.map((r) => r.public_jwk) }),
    signingKeyMaxAgeDays: {
      session: config.sessions.keyRotationDays,
      agent_token: config.agents.tokenKeyRotationDays,
      // The checkpoint key rotates yearly (platform/platform.ts).
      audit_checkpoint: 365,
    },
  });
  return {
    evaluator,
    reports: createComplianceReportService({ db, evaluator, reportKeys: platform.checkpointKeys }),
    settings: createComplianceSettingsService({ db }),
  };
}

export type ComplianceServices = ReturnType<typeof createComplianceServices>;
