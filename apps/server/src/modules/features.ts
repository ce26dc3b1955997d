import type { Platform } from '../platform/platform.js';
import type { Feature } from '../platform/http/operation.js';
import type { AppInstance } from '../app.js';
import type { Services } from './services.js';
import { agentFeature } from './agents/agent-operations.js';
import { registerAuditRoutes } from './audit/audit-routes.js';
import { registerCapabilityRoutes } from './capabilities/capability-routes.js';
import { registerPolicyRoutes } from './policies/policy-routes.js';
import { registerDecisionRoutes } from './decisions/decision-routes.js';
import { registerTrustRoutes } from './trust/trust-routes.js';
import { registerDashboard } from './dashboard/dashboard-routes.js';
import { registerLiveRoutes } from './live/live-routes.js';
import { registerOverviewRoutes } from './overview/overview.js';
import { registerSystemJobRoutes } from './system/jobs.js';
import { registerOAuthRoutes } from './agents/oauth-routes.js';
import { registerApiKeyRoutes } from './api-keys/api-key-routes.js';
import { registerDomainRoutes } from './domains/domain-routes.js';
import { registerIdentityProviderRoutes } from './identity-providers/identity-provider-routes.js';
import { registerInvitationRoutes } from './invitations/invitation-routes.js';
import { registerMeRoutes } from './me/me-routes.js';
import { registerMemberRoutes } from './members/member-routes.js';
import { registerOidcRoutes } from './oidc/oidc-routes.js';
import { registerPasskeyRoutes } from './passkeys/passkey-routes.js';
import { registerOrganizationRoutes } from './organizations/organization-routes.js';
import { registerSetupPage } from './setup/setup-page.js';
import { registerSetupRoutes } from './setup/setup-routes.js';
import { registerSystemRoutes } from './system/system-routes.js';
import { platformJobs } from '../platform/jobs/platform-jobs.js';
import { auditJobs } from './audit/audit-jobs.js';
import { capabilityJobs } from './capabilities/capability-jobs.js';
import { decisionJobs } from './decisions/decision-jobs.js';
import { trustJobs } from './trust/trust-jobs.js';

/** A module not yet declared as operations: its routes, registered as before. */
const routes = (name: string, register: (app: AppInstance) => void): Feature => ({
  name,
  operations: [],
  registerRoutes: (app) => register(app as AppInstance),
});

/**
 * Every feature of the API, in the order the reference lists them. Each is built from the narrow
 * dependencies it uses; this is the one place that knows them all.
 */
export function createFeatures(platform: Platform, services: Services): Feature[] {
  return [
    // The platform's own scheduled work (no operations).
    { name: 'platform', operations: [], jobs: platformJobs({ db: platform.db, keys: [platform.sessionKeys, platform.checkpointKeys, platform.agentTokenKeys] }) },
    routes('system', (app) => registerSystemRoutes(app, platform)),
    routes('setup', (app) => {
      registerSetupRoutes(app, services, platform);
      registerSetupPage(app);
    }),
    routes('dashboard', (app) => {
      if (!platform.config.serveDashboard) return;
      const dashboardFiles = registerDashboard(app);
      platform.logger.debug({ dashboardFiles }, dashboardFiles === null ? 'dashboard not built (npm run build)' : 'serving the dashboard');
    }),
    routes('me', (app) => registerMeRoutes(app, services, platform)),
    routes('oidc', (app) => registerOidcRoutes(app, services, platform)),
    routes('passkeys', (app) => registerPasskeyRoutes(app, services, platform)),
    routes('organizations', (app) => registerOrganizationRoutes(app, services)),
    routes('members', (app) => registerMemberRoutes(app, services)),
    routes('api-keys', (app) => registerApiKeyRoutes(app, services)),
    routes('invitations', (app) => registerInvitationRoutes(app, services, platform)),
    routes('identity-providers', (app) => registerIdentityProviderRoutes(app, services)),
    routes('domains', (app) => registerDomainRoutes(app, services)),
    { ...routes('audit', (app) => registerAuditRoutes(app, services)), jobs: auditJobs({ audit: services.audit, exportDir: platform.config.auditRetentionExportDir }) },
    agentFeature({
      agents: services.agents,
      enrollmentTokens: services.enrollmentTokens,
      challenges: platform.agentChallenges,
      originFor: (request) => platform.agentAuth.originFor(request),
    }),
    { ...routes('capabilities', (app) => registerCapabilityRoutes(app, services)), jobs: capabilityJobs({ capabilities: services.capabilities }) },
    routes('policies', (app) => registerPolicyRoutes(app, services)),
    { ...routes('decisions', (app) => registerDecisionRoutes(app, services)), jobs: decisionJobs({ decisions: services.decisions }) },
    {
      ...routes('trust', (app) => registerTrustRoutes(app, services)),
      jobs: trustJobs({ db: platform.db, trust: services.trust, historyMonths: platform.config.trust.historyMonths }),
      // Recalculation on new evidence; what is due when closing runs first.
      subscriptions: [services.trustScheduler.subscription],
      stop: () => services.trustScheduler.close(),
    },
    routes('live', (app) => registerLiveRoutes(app, platform)),
    routes('overview', (app) => registerOverviewRoutes(app, services)),
    routes('system-jobs', (app) => registerSystemJobRoutes(app, services)),
    routes('oauth', (app) => registerOAuthRoutes(app, services, platform)),
  ];
}
