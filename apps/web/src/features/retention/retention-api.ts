import type { components } from '@/api/schema';
import { api } from '@/api/client';

/** Retention and the legal hold (docs/retention.md), through the typed client. */
export type RetentionSettings = components['schemas']['RetentionSettings'];
export type LegalHold = components['schemas']['LegalHold'];

/** Changes are audited on the organization (`retention.updated`, `legal_hold.*`). */
export const RETENTION_TOPICS = ['organization'] as const;

export const retention = {
  get: () => api.GET('/api/v1/compliance/retention'),
  save: (body: { auditEventDays?: number | null; decisionDays?: number | null }) => api.PUT('/api/v1/compliance/retention', { body }),
  hold: (body: { enabled: boolean; reason?: string }) => api.PUT('/api/v1/compliance/legal-hold', { body }),
};
