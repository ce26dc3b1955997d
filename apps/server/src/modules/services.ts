import type { Platform } from '../platform/platform.js';
import { limitSignIn } from '../platform/http/rate-limit.js';
import { createAuditService } from './audit/audit-service.js';
import { createComplianceServices } from './compliance/index.js';
import { anchoringFromConfig } from './audit/audit-anchoring.js';
import { createApiKeyService } from './api-keys/api-key-service.js';
import { createAgentService } from './agents/agent-service.js';
import { createMcpServerService } from './mcp-servers/mcp-server-service.js';
import { createMcpFindingsService } from './mcp-servers/findings/index.js';
import { createApprovalScanHook, createMcpApprovalService, createMcpSettingsService } from './mcp-servers/approvals/index.js';
import { createMcpServerKeyService } from './mcp-servers/identity/server-key-service.js';
import { createIdentityScanHook } from './mcp-servers/identity/identity-hook.js';
import { createAttestationScanHook } from './mcp-servers/attestations/attestation-scan-hook.js';
import { createConfidenceScanHook, createPoisoningScanHook } from './mcp-servers/findings/index.js';
import { createMcpScanner } from './mcp-servers/scans/mcp-scanner.js';
import { createScanMetrics } from './mcp-servers/scans/scan-metrics.js';
import { createScanService } from './mcp-servers/scans/scan-service.js';
import { createEnrollmentTokenService } from './agents/enrollment-token-service.js';
import { createAgentTokenService } from './agents/agent-token-service.js';
import { createCapabilityService } from './capabilities/capability-service.js';
import { createPolicyService } from './policies/policy-service.js';
import { createDecisionService } from './decisions/decision-service.js';
import { createDomainService } from './domains/domain-service.js';
import { createIdentityProviderService } from './identity-providers/identity-provider-service.js';
import { createInvitationService } from './invitations/invitation-service.js';
import { createJoinService } from './invitations/join-service.js';
import { createMemberService } from './members/member-service.js';
import { createMeService } from './me/me-service.js';
import { createIdentityProviders } from './oidc/identity-providers.js';
import { createOidcService } from './oidc/oidc-service.js';
import { createPasskeyService } from './passkeys/passkey-service.js';
import { createOrganizationService } from './organizations/organization-service.js';
import { createSessionService } from './sessions/session-service.js';
import { createSetupService } from './setup/setup-service.js';
import { createUserRepository } from './users/user-repository.js';
import { createPrivacyService } from './privacy/privacy-service.js';
import { createTrustEvidenceService } from './trust/evidence-service.js';
import { createTrustService } from './trust/trust-service.js';
import { createTrustScheduler } from './trust/trust-scheduler.js';
import { createOverviewService } from './overview/overview.js';
import { createSecurityOverviewService } from './monitoring/overview/security-overview.js';
import { createSystemJobsService } from './system/jobs.js';
import { createWebhookLogService, createWebhookService } from './webhooks/index.js';
import { createNotificationService } from './notifications/notification-service.js';
import { createAlertService } from './monitoring/alerts/alert-service.js';
import { createLearningFindingService } from './monitoring/alerts/learning-findings.js';
import { createMonitoringSettingsService } from './monitoring/settings/settings-service.js';
import { createRetentionService } from './retention/index.js';
import { createAccessReviewService } from './access-reviews/access-review-service.js';
import { createReviewDeadlines } from './access-reviews/review-jobs.js';
import { createAgentReviewActions } from './agents/agent-review-actions.js';
import { createApiKeyReviewActions } from './api-keys/api-key-review-actions.js';
import { grantReviewActions } from './capabilities/grant-review-actions.js';

/** Every service, built once from the platform; route modules receive what they need from here. */
export function createServices(platform: Platform) {
  const { db, keyring, accessCache: cache, store, config } = platform;
  const users = createUserRepository(keyring, platform.personalData);
  const auditAnchoring = anchoringFromConfig({
    db,
    logger: platform.logger,
    config: config.auditAnchoring,
    outboundFetch: platform.outbound.fetch,
    ownPublicJwk: async (kid) => (await platform.checkpointKeys.ownPublicJwk(kid)) as Record<string, unknown> | undefined,
  });
  const sessions = createSessionService({
    db,
    keyring,
    cache,
    tokens: platform.sessionTokens,
    refreshTtlSeconds: config.sessions.refreshTtlSeconds,
    personalData: platform.personalData,
  });
  const identityProviders = createIdentityProviders({
    db,
    keyring,
    deployment: config.identityProviders,
    outbound: platform.outbound,
    allowPrivateNetworks: config.outboundAllowPrivateNetworks,
  });
  const invitations = createInvitationService({
    db,
    keyring,
    cache,
    mailer: platform.mailer,
    users,
    ttlHours: config.invitationTtlHours,
    publicBaseUrl: () => platform.publicOrigin.baseUrl,
    deploymentProviders: () => identityProviders.deploymentProviders(),
  });
  const enrollmentTokens = createEnrollmentTokenService({ db });
  const capabilities = createCapabilityService({ db, events: platform.domainEvents });
  const trust = createTrustService({ db, store, events: platform.domainEvents, logger: platform.logger });
  const trustScheduler = createTrustScheduler({
    store,
    logger: platform.logger,
    debounceMs: config.trust.recalculationDebounceMs,
    recalculate: (ctx, organizationId, agentIds, trigger) => trust.recalculate(ctx, organizationId, agentIds, trigger),
  });
  // What an access review's decisions do, each through the subject's own module, in the review's transaction.
  const reviewEffects = {
    agents: createAgentReviewActions({ cache, rescore: async (tx, ctx, agentId, trigger) => trust.announce(tx, await trust.scoreInTx(tx, ctx, [agentId], trigger)) }),
    grants: grantReviewActions,
    apiKeys: createApiKeyReviewActions({ cache }),
  };
  return {
    accessReviews: createAccessReviewService({ db, users, effects: reviewEffects }),
    accessReviewDeadlines: createReviewDeadlines({
      db,
      users,
      mailer: platform.mailer,
      effects: reviewEffects,
      publicBaseUrl: () => platform.publicOrigin.baseUrl,
      logger: platform.logger,
    }),
    overview: createOverviewService({ db }),
    securityOverview: createSecurityOverviewService({ db }),
    systemJobs: createSystemJobsService({ jobHealth: platform.jobHealth }),
    trust,
    trustScheduler,
    trustEvidence: createTrustEvidenceService({ db, evidenceAdded: trust.evidenceAdded }),
    capabilities,
    policies: createPolicyService({ db }),
    decisions: createDecisionService({ db, store, events: platform.domainEvents }),
    agents: createAgentService({
      db,
      cache,
      challenges: platform.agentChallenges,
      defaultOverlapSeconds: config.agents.keyRotationOverlapSeconds,
      findEnrollmentToken: (token) => enrollmentTokens.find(token),
      consumeEnrollmentToken: (tx, id) => enrollmentTokens.consume(tx, id),
      declareCapabilities: (tx, ctx, agent, names) => capabilities.declareAtRegistration(tx, ctx, agent, names),
      rescore: async (tx, ctx, agentId, trigger) => trust.announce(tx, await trust.scoreInTx(tx, ctx, [agentId], trigger)),
      evidenceAdded: trust.evidenceAdded,
    }),
    enrollmentTokens,
    mcpServers: createMcpServerService({ db, outbound: platform.outbound, allowPrivateNetworks: config.outboundAllowPrivateNetworks }),
    mcpFindings: createMcpFindingsService({ db }),
    mcpApprovals: createMcpApprovalService({ db }),
    mcpSettings: createMcpSettingsService({ db }),
    mcpServerKeys: createMcpServerKeyService({ db, challenges: platform.agentChallenges }),
    // Discovery (docs/mcp.md, "Scans"); the hooks (identity, approval, poisoning, confidence) come with their parts.
    mcpScans: createScanService({
      db,
      scanner: createMcpScanner({ guard: platform.outbound, clientInfo: { name: 'aim', version: platform.version } }),
      // In order: identity (card, TLS), approval (status, drift), attestations (agents' views against this scan), poisoning, confidence (reads what the others wrote).
      hooks: [
        createIdentityScanHook({ events: platform.domainEvents }),
        createApprovalScanHook({ events: platform.domainEvents }),
        createAttestationScanHook({ events: platform.domainEvents }),
        createPoisoningScanHook({ events: platform.domainEvents }),
        createConfidenceScanHook(),
      ],
      logger: platform.logger,
      metrics: platform.metrics ? createScanMetrics(platform.metrics.registry) : undefined,
    }),
    agentTokenIssuer: createAgentTokenService({ db, agentTokens: platform.agentTokens }),
    audit: createAuditService({ db, users, personalData: platform.personalData, checkpointKeys: platform.checkpointKeys, sequencer: platform.auditSequencer, anchoring: auditAnchoring, logger: platform.logger }),
    auditAnchoring,
    compliance: createComplianceServices(platform),
    users,
    sessions,
    privacy: createPrivacyService({ db, users, personalData: platform.personalData, cache }),
    me: createMeService({ db, users, keyring }),
    identityProviders,
    invitations,
    join: createJoinService({ db, store, keyring, cache, users, sessions, invitations }),
    organizationIdentityProviders: createIdentityProviderService({
      db,
      keyring,
      providers: identityProviders,
      outbound: platform.outbound,
      publicBaseUrl: () => platform.publicOrigin.baseUrl,
    }),
    domains: createDomainService({ db, dnsTxt: platform.dnsTxt }),
    passkeys: createPasskeyService({ db, store, users, sessions }),
    oidc: createOidcService({
      db,
      store,
      cache,
      providers: identityProviders,
      users,
      sessions,
      invitations,
      limitAccount: (key) => limitSignIn(store, `account:${key}`, config.rateLimit.signInMax),
    }),
    organizations: createOrganizationService({ db, cache }),
    webhooks: createWebhookService({
      db,
      keyring,
      urls: { outbound: platform.outbound, allowPrivateNetworks: config.outboundAllowPrivateNetworks, publicHttps: () => platform.publicOrigin.https },
    }),
    webhookLog: createWebhookLogService({ db }),
    notifications: createNotificationService({
      db,
      users,
      mailer: platform.mailer,
      publicBaseUrl: () => platform.publicOrigin.baseUrl,
      logger: platform.logger,
    }),
    alerts: createAlertService({ db, events: platform.domainEvents }),
    learningFindings: createLearningFindingService({ db }),
    monitoringSettings: createMonitoringSettingsService({ db }),
    retention: createRetentionService({
      db,
      deployment: { decisionDefaultDays: config.decisionRetentionDays, trustHistoryMonths: config.trust.historyMonths, webhookDays: config.webhookRetentionDays },
    }),
    members: createMemberService({ db, cache, users, sessions }),
    apiKeys: createApiKeyService({ db, cache }),
    setup: createSetupService({ db, store, users, sessions, bootstrapToken: config.secrets.bootstrapToken }),
  };
}

export type Services = ReturnType<typeof createServices>;
