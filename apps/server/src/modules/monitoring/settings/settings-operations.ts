import { monitoringSettingsEnvelopeSchema, updateMonitoringSettingsSchema } from '@aim/contracts';
import { defineOperation, type Feature } from '../../../platform/http/operation.js';
import type { MonitoringSettingsService } from './settings-service.js';

const path = '/api/v1/monitoring/settings';

/** The organization's monitoring settings (docs/monitoring.md, "settings"). */
export function monitoringSettingsFeature(deps: { settings: MonitoringSettingsService }): Feature {
  return {
    name: 'monitoring-settings',
    operations: [
      defineOperation({
        method: 'GET',
        path,
        tag: 'monitoring',
        summary: 'The monitoring settings: learning days, automatic suspension, and each detector’s switch, severity and parameters',
        description: 'Whole: what the organization never changed has its default. updatedAt is null while every value is the default.',
        access: { auth: 'org', permission: 'alert.read' },
        responses: { 200: monitoringSettingsEnvelopeSchema },
        handle: ({ ctx }) => deps.settings.get(ctx),
      }),
      defineOperation({
        method: 'PUT',
        path,
        tag: 'monitoring',
        summary: 'Change the monitoring settings: what the body names is merged over the current settings',
        description:
          'Detectors merge detector by detector and parameter by parameter; what is left out keeps its value. A value out of its range answers validation_failed naming the field. Applies from the next event; alerts keep the evidence they fired with. Audited as monitoring.settings_updated with each changed field, before and after; a body that changes nothing changes and audits nothing.',
        access: { auth: 'org', permission: 'monitoring.manage' },
        body: updateMonitoringSettingsSchema,
        responses: { 200: monitoringSettingsEnvelopeSchema },
        handle: ({ ctx, body }) => deps.settings.update(ctx, body),
      }),
    ],
  };
}
