import { accessReviewsCompleted, adminStrongSignIn, agentsOwned, highRiskApproval } from './checks-access.js';
import { agentKeysRotated, personalDataEncrypted, privacyRequestsAnswered, retentionConfigured, signingKeysRotated } from './checks-data.js';
import { alertsAcknowledged, mcpServersApproved, webhooksHttps } from './checks-monitoring.js';
import { chainIntact, checkpointCoversPeriod, checkpointTimestamped, decisionsRecorded, policyChangesRecorded } from './checks-records.js';
import type { CheckDefinition } from './check-types.js';

/** Every check, by id. A control lists the checks it rests on; a check used by several runs once per report. */
export const CHECKS: readonly CheckDefinition[] = [
  agentsOwned, accessReviewsCompleted, highRiskApproval, adminStrongSignIn,
  decisionsRecorded, policyChangesRecorded, chainIntact, checkpointCoversPeriod, checkpointTimestamped,
  agentKeysRotated, signingKeysRotated, personalDataEncrypted, retentionConfigured, privacyRequestsAnswered,
  alertsAcknowledged, webhooksHttps, mcpServersApproved,
];
export const CHECKS_BY_ID = new Map(CHECKS.map((c) => [c.id, c]));

export interface ControlDefinition {
  id: string;
  title: string;
  checks: readonly string[];
}

export interface FrameworkDefinition {
  id: string;
  name: string;
  version: string;
  controls: readonly ControlDefinition[];
}

const c = (id: string, title: string, checks: string[]): ControlDefinition => ({ id, title, checks });

/** The catalogue (docs/compliance.md §1 says the same in words; a test keeps them equal). */
export const FRAMEWORKS: readonly FrameworkDefinition[] = [
  {
    id: 'soc2',
    name: 'SOC 2 (Trust Services Criteria: Security)',
    version: '2017 TSC, revised 2022',
    controls: [
      c('CC6.1', 'Logical access security: identities, ownership and authentication', ['agents_owned', 'admin_strong_sign_in', 'agent_keys_rotated', 'signing_keys_rotated']),
      c('CC6.2', 'Access is authorized, reviewed and removed', ['access_reviews_completed', 'agents_owned']),
      c('CC6.3', 'Access is limited by role and approval', ['high_risk_approval', 'access_reviews_completed']),
      c('CC6.6', 'Protection against threats from outside the system boundary', ['mcp_servers_approved', 'webhooks_https']),
      c('CC6.7', 'Data in transmission and at rest is protected', ['personal_data_encrypted', 'webhooks_https']),
      c('CC7.2', 'System components are monitored for anomalies', ['alerts_acknowledged', 'decisions_recorded']),
      c('CC7.3', 'Security events are evaluated and responded to', ['alerts_acknowledged']),
      c('CC7.4', 'Records of security events are complete and intact', ['audit_chain_intact', 'checkpoint_covers_period', 'checkpoint_timestamped']),
      c('CC8.1', 'Changes are authorized, recorded and traceable', ['policy_changes_recorded', 'audit_chain_intact']),
    ],
  },
  {
    id: 'iso27001',
    name: 'ISO/IEC 27001:2022 Annex A',
    version: '2022',
    controls: [
      c('A.5.15', 'Access control', ['agents_owned', 'high_risk_approval']),
      c('A.5.18', 'Access rights', ['access_reviews_completed']),
      c('A.5.33', 'Protection of records', ['retention_configured', 'checkpoint_covers_period', 'checkpoint_timestamped']),
      c('A.8.2', 'Privileged access rights', ['admin_strong_sign_in', 'access_reviews_completed']),
      c('A.8.5', 'Secure authentication', ['admin_strong_sign_in', 'agent_keys_rotated']),
      c('A.8.15', 'Logging', ['decisions_recorded', 'policy_changes_recorded', 'audit_chain_intact', 'checkpoint_covers_period']),
      c('A.8.16', 'Monitoring activities', ['alerts_acknowledged', 'mcp_servers_approved']),
      c('A.8.24', 'Use of cryptography', ['signing_keys_rotated', 'agent_keys_rotated', 'personal_data_encrypted', 'webhooks_https']),
    ],
  },
  {
    id: 'hipaa',
    name: 'HIPAA Security Rule §164.312 (technical safeguards)',
    version: '45 CFR 164.312',
    controls: [
      c('164.312(a)(1)', 'Access control', ['agents_owned', 'high_risk_approval', 'access_reviews_completed']),
      c('164.312(b)', 'Audit controls', ['decisions_recorded', 'audit_chain_intact']),
      c('164.312(c)(1)', 'Integrity', ['audit_chain_intact', 'checkpoint_covers_period', 'checkpoint_timestamped']),
      c('164.312(d)', 'Person or entity authentication', ['admin_strong_sign_in', 'agent_keys_rotated']),
      c('164.312(e)(1)', 'Transmission security', ['webhooks_https', 'signing_keys_rotated']),
    ],
  },
  {
    id: 'gdpr',
    name: 'GDPR (Regulation (EU) 2016/679)',
    version: '2016/679',
    controls: [
      c('Art. 5', 'Principles: storage limitation, integrity and confidentiality', ['retention_configured', 'personal_data_encrypted', 'audit_chain_intact']),
      c('Art. 25', 'Data protection by design and by default', ['personal_data_encrypted', 'high_risk_approval']),
      c('Art. 30', 'Records of processing activities', ['decisions_recorded', 'audit_chain_intact', 'privacy_requests_answered']),
      c('Art. 32', 'Security of processing', ['personal_data_encrypted', 'admin_strong_sign_in', 'signing_keys_rotated', 'alerts_acknowledged']),
    ],
  },
  {
    id: 'eu_ai_act',
    name: 'EU AI Act (Regulation (EU) 2024/1689)',
    version: '2024/1689',
    controls: [
      c('Art. 12', 'Record-keeping: automatic logging over the lifetime', ['decisions_recorded', 'audit_chain_intact', 'checkpoint_covers_period', 'retention_configured']),
      c('Art. 14', 'Human oversight', ['high_risk_approval', 'alerts_acknowledged', 'agents_owned']),
    ],
  },
];

export const FRAMEWORKS_BY_ID = new Map(FRAMEWORKS.map((f) => [f.id, f]));
