/**
 * The tags of the API reference, in the order it shows them. Every tag a route uses must be here
 * (contract-guard.ts stops the app otherwise), so the reference never shows an undescribed group.
 */
export const API_TAGS = [
  { name: 'system', description: 'Health, readiness, metrics and service description' },
  { name: 'setup', description: 'First run' },
  { name: 'auth', description: 'Sign-in, session refresh and sign-out' },
  { name: 'me', description: 'The signed-in person' },
  { name: 'organizations', description: 'Organizations, their identity providers, domains and invitations' },
  { name: 'members', description: 'People in an organization and their roles' },
  { name: 'invitations', description: 'Joining an organization through an invitation link' },
  { name: 'api-keys', description: 'API keys for automation' },
  { name: 'overview', description: 'The organization at a glance (the dashboard’s first page)' },
  { name: 'agents', description: 'Agent identities, enrollment, signed requests and agent tokens (docs/agent-identity.md)' },
  { name: 'mcp-servers', description: 'The registry of MCP servers: owner, publisher, transport, status and lifecycle (docs/mcp.md)' },
  { name: 'capabilities', description: 'The capability catalog, grants to agents and capability requests (docs/authorization.md)' },
  { name: 'policies', description: 'Versioned policies evaluated for every decision (docs/authorization.md)' },
  { name: 'decisions', description: 'Verify-action decisions, approvals, outcomes and violations (docs/authorization.md)' },
  { name: 'trust', description: 'Trust scores, their history and evidence: ratings, reviews, incidents, attestations (docs/trust-scoring.md)' },
  { name: 'audit', description: 'The hash-chained audit log' },
  { name: 'access-reviews', description: 'Access review campaigns: items, reviewers, decisions, reminders, deadlines and the report (docs/access-reviews.md)' },
  { name: 'compliance', description: 'Compliance: frameworks mapped to checks over real evidence and signed reports (docs/compliance.md); retention of every kind of data and the legal hold (docs/retention.md)' },
  { name: 'privacy', description: 'Personal data: a person’s export and erasure, and the record of both (docs/privacy.md)' },
  { name: 'webhooks', description: 'Webhook endpoints: signed deliveries of domain events, the delivery log, redelivery and replay (docs/webhooks.md)' },
  {
    name: 'monitoring',
    description:
      'Alerts from behavioural baselines and rules: their lifecycle, notes and bulk actions; learning findings; the monitoring settings (docs/monitoring.md)',
  },
  { name: 'live', description: 'Server-sent events for the dashboard' },
] as const;

export const API_TAG_NAMES: ReadonlySet<string> = new Set(API_TAGS.map((t) => t.name));
export type ApiTagName = (typeof API_TAGS)[number]['name'];
