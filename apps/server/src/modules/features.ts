import type { Platform } from '../platform/platform.js';
import type { Feature } from '../platform/http/operation.js';
import type { Services } from './services.js';
import { isHttps } from '../platform/config/env.js';
import { limitSignIn } from '../platform/http/rate-limit.js';
import { originCheck } from '../platform/auth/authenticate.js';
import { agentFeature } from './agents/agent-operations.js';
import { auditFeature } from './audit/audit-operations.js';
import { capabilityFeature } from './capabilities/capability-operations.js';
import { policyFeature } from './policies/policy-operations.js';
import { decisionFeature } from './decisions/decision-operations.js';
import { trustFeature } from './trust/trust-operations.js';
import { liveFeature } from './live/live-operations.js';
import { overviewFeature } from './overview/overview-operations.js';
import { dashboardFeature } from './dashboard/dashboard-operations.js';
import { systemJobsFeature } from './system/system-jobs-operations.js';
import { oauthFeature } from './agents/oauth-operations.js';
import { apiKeyFeature } from './api-keys/api-key-operations.js';
import { privacyFeature } from './privacy/privacy-operations.js';
import { privacyJobs } from './privacy/privacy-jobs.js';
import { domainFeature } from './domains/domain-operations.js';
import { identityProviderFeature } from './identity-providers/identity-provider-operations.js';
import { invitationFeature } from './invitations/invitation-operations.js';
import { meFeature } from './me/me-operations.js';
import { memberFeature } from './members/member-operations.js';
import { oidcFeature } from './oidc/oidc-operations.js';
import { passkeyFeature } from './passkeys/passkey-operations.js';
import { organizationFeature } from './organizations/organization-operations.js';
import { setupFeature } from './setup/setup-operations.js';
import { systemFeature } from './system/system-operations.js';
import { platformJobs } from '../platform/jobs/platform-jobs.js';
import { auditJobs } from './audit/audit-jobs.js';
import { complianceFeature, complianceJobs } from './compliance/compliance-operations.js';
import { createCheckpointFollower } from './audit/audit-follower.js';
import { capabilityJobs } from './capabilities/capability-jobs.js';
import { decisionJobs } from './decisions/decision-jobs.js';
import { trustJobs } from './trust/trust-jobs.js';
import { mcpServerFeature } from './mcp-servers/mcp-server-operations.js';
import { mcpFindingsFeature, recomputeMcpConfidence } from './mcp-servers/findings/index.js';
import { mcpApprovalFeature } from './mcp-servers/approvals/index.js';
import { mcpIdentityFeature } from './mcp-servers/identity/identity-operations.js';
import { mcpScanFeature, scanJobs } from './mcp-servers/scans/scan-operations.js';
import { mcpAttestationFeature } from './mcp-servers/attestations/attestation-operations.js';
import { siemFeature } from './siem/siem-operations.js';
import { webhookFanOutSubscription, webhookFeature, webhookJobs } from './webhooks/index.js';
import { notificationFeature } from './notifications/notification-operations.js';
import { webhookDeliveryFeature } from './webhooks/delivery/delivery-feature.js';
import { securityOverviewFeature } from './monitoring/overview/security-overview-operations.js';
import { autoSuspensionSubscription } from './monitoring/responses/auto-suspension.js';
import { detectionEngineFeature } from './monitoring/detection/engine-feature.js';
import { alertFeature, alertJobs } from './monitoring/alerts/alert-operations.js';
import { monitoringSettingsFeature } from './monitoring/settings/settings-operations.js';
import { retentionFeature, retentionJobs } from './retention/index.js';
import { accessReviewFeature } from './access-reviews/access-review-operations.js';
import { accessReviewJobs } from './access-reviews/review-jobs.js';

/**
 * Every feature of the API, in the order the reference lists them. Each is built from the narrow
 * dependencies it uses; this is the one place that knows them all.
 */
export function createFeatures(platform: Platform, services: Services): Feature[] {
  const { config, publicOrigin } = platform;
  const secureCookies = isHttps(config);
  const limitSignInBy = (key: string) => limitSignIn(platform.store, key, config.rateLimit.signInMax);
  // Sends the deliveries the webhook fan-out schedules (a worker on every instance; no operations), woken by the fan-out.
  const webhookDelivery = webhookDeliveryFeature({
    db: platform.db,
    domainEvents: platform.domainEvents,
    keyring: platform.keyring,
    outbound: platform.outbound,
    logger: platform.logger,
    metrics: platform.metrics?.registry,
    config: config.webhookDelivery,
    version: platform.version,
  });
  return [
    // The platform's own scheduled work (no operations).
    { name: 'platform', operations: [], jobs: platformJobs({ db: platform.db, keys: [platform.sessionKeys, platform.checkpointKeys, platform.agentTokenKeys] }) },
    systemFeature({
      version: platform.version,
      publicOrigin,
      logger: platform.logger,
      ping: { database: () => platform.db.query('select 1'), store: () => platform.store.ping() },
      metrics: platform.metrics?.registry,
      metricsToken: config.metricsToken,
    }),
    setupFeature({ setup: services.setup, limitSignIn: limitSignInBy, secureCookies }),
    dashboardFeature({ serve: config.serveDashboard, logger: platform.logger }),
    meFeature({
      me: services.me,
      sessions: services.sessions,
      membershipRole: (organizationId, userId) => platform.accessCache.membershipRole(organizationId, userId),
      secureCookies,
      isAllowedOrigin: originCheck(publicOrigin, config.corsOrigins),
    }),
    oidcFeature({ oidc: services.oidc, identityProviders: services.identityProviders, publicOrigin, limitSignIn: limitSignInBy, secureCookies }),
    passkeyFeature({ passkeys: services.passkeys, publicOrigin, limitSignIn: limitSignInBy, secureCookies }),
    notificationFeature({ notifications: services.notifications }),
    organizationFeature({ organizations: services.organizations }),
    memberFeature({ members: services.members }),
    apiKeyFeature({ apiKeys: services.apiKeys }),
    invitationFeature({ invitations: services.invitations, join: services.join, publicOrigin, limitSignIn: limitSignInBy, secureCookies }),
    identityProviderFeature({ identityProviders: services.organizationIdentityProviders }),
    domainFeature({ domains: services.domains }),
    {
      ...auditFeature({
        audit: services.audit,
        follower: createCheckpointFollower({
          audit: services.audit,
          anchoring: services.auditAnchoring,
          delayMs: config.auditAnchoring.checkpointDelayMs,
          pollMs: Math.min(config.auditAnchoring.retryMs, 5_000),
          logger: platform.logger,
        }),
      }),
      jobs: auditJobs({ audit: services.audit, exportDir: platform.config.auditRetentionExportDir }),
    },
    { ...privacyFeature({ privacy: services.privacy }), jobs: privacyJobs({ db: platform.db, keyring: platform.keyring, personalData: platform.personalData }) },
    accessReviewFeature({ accessReviews: services.accessReviews, jobs: accessReviewJobs({ deadlines: services.accessReviewDeadlines }) }),
    complianceFeature({ ...services.compliance, jobs: complianceJobs({ db: platform.db, reports: services.compliance.reports }) }),
    agentFeature({
      agents: services.agents,
      enrollmentTokens: services.enrollmentTokens,
      challenges: platform.agentChallenges,
      originFor: (request) => platform.agentAuth.originFor(request),
    }),
    mcpServerFeature({ mcpServers: services.mcpServers }),
    mcpFindingsFeature({ mcpFindings: services.mcpFindings }),
    mcpApprovalFeature({ approvals: services.mcpApprovals, settings: services.mcpSettings }),
    mcpIdentityFeature({ serverKeys: services.mcpServerKeys, originFor: (request) => platform.agentAuth.originFor(request) }),
    mcpScanFeature({ scans: services.mcpScans, jobs: scanJobs({ db: platform.db, scans: services.mcpScans, logger: platform.logger }) }),
    mcpAttestationFeature({ db: platform.db, events: platform.domainEvents, afterAttestation: async (tx, mcpServerId) => void (await recomputeMcpConfidence(tx, mcpServerId)) }),
    { ...capabilityFeature({ capabilities: services.capabilities }), jobs: capabilityJobs({ capabilities: services.capabilities }) },
    policyFeature({ policies: services.policies }),
    { ...decisionFeature({ decisions: services.decisions }), jobs: decisionJobs({ decisions: services.decisions }) },
    {
      ...trustFeature({ trust: services.trust, evidence: services.trustEvidence }),
      jobs: trustJobs({ db: platform.db, trust: services.trust, historyMonths: platform.config.trust.historyMonths }),
      // Recalculation on new evidence; what is due when closing runs first.
      subscriptions: [services.trustScheduler.subscription],
      stop: () => services.trustScheduler.close(),
    },
    // Every chained audit event to the deployment's syslog collector (background work only).
    siemFeature({
      db: platform.db,
      logger: platform.logger,
      siem: config.siem,
      publicOrigin,
      listen: (listener) => platform.domainEvents.listen(listener),
      metrics: platform.metrics,
    }),
    alertFeature({ alerts: services.alerts, learningFindings: services.learningFindings, jobs: alertJobs({ alerts: services.alerts }) }),
    monitoringSettingsFeature({ settings: services.monitoringSettings }),
    // Retention of decisions and the legal hold (docs/retention.md).
    retentionFeature({ retention: services.retention, jobs: retentionJobs({ retention: services.retention }) }),
    // The security overview, and the automatic suspension of agents on critical alerts (organizations that opt in).
    securityOverviewFeature({
      overview: services.securityOverview,
      subscriptions: [autoSuspensionSubscription({ db: platform.db, suspend: (...args) => services.agents.suspendAsSystem(...args), logger: platform.logger })],
    }),
    webhookFeature({
      webhooks: services.webhooks,
      deliveries: services.webhookLog,
      // The fan-out schedules deliveries; the delivery engine (webhooks/delivery/) sends them.
      subscriptions: [webhookFanOutSubscription({ db: platform.db, scheduled: () => webhookDelivery.wake() })],
      jobs: webhookJobs({ db: platform.db, retentionDays: config.webhookRetentionDays }),
    }),
    webhookDelivery,
    // Detection (docs/monitoring.md): ingests decisions and refusals from the outbox, sweeps and baselines by schedule.
    detectionEngineFeature({
      db: platform.db,
      events: platform.domainEvents,
      authFailures: platform.authFailures,
      observe: platform.metrics ? (update) => platform.metrics!.observeDetection(update) : undefined,
    }),
    liveFeature({ domainEvents: platform.domainEvents, streamMaxMs: platform.config.live.streamMaxMs }),
    overviewFeature({ overview: services.overview }),
    systemJobsFeature({ systemJobs: services.systemJobs }),
    oauthFeature({
      tokens: services.agentTokenIssuer,
      agentAuth: platform.agentAuth,
      tokenKeys: platform.agentTokenKeys,
      issuer: () => platform.agentTokens.issuer,
    }),
  ];
}
