import type { Platform } from '../platform/platform.js';
import type { Feature } from '../platform/http/operation.js';
import type { AppInstance } from '../app.js';
import type { Services } from './services.js';
import { agentFeature } from './agents/agent-operations.js';
import { mcpServerFeature } from './mcp-servers/mcp-server-operations.js';
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
    routes('audit', (app) => registerAuditRoutes(app, services)),
    agentFeature({
      agents: services.agents,
      enrollmentTokens: services.enrollmentTokens,
      challenges: platform.agentChallenges,
      originFor: (request) => platform.agentAuth.originFor(request),
    }),
    mcpServerFeature({ mcpServers: services.mcpServers }),
    routes('capabilities', (app) => registerCapabilityRoutes(app, services)),
    routes('policies', (app) => registerPolicyRoutes(app, services)),
    routes('decisions', (app) => registerDecisionRoutes(app, services)),
    routes('trust', (app) => registerTrustRoutes(app, services)),
    routes('live', (app) => registerLiveRoutes(app, platform)),
    routes('overview', (app) => registerOverviewRoutes(app, services)),
    routes('system-jobs', (app) => registerSystemJobRoutes(app, services)),
    routes('oauth', (app) => registerOAuthRoutes(app, services, platform)),
  ];
}
