/**
 * Monitoring (docs/monitoring.md): detectors, alerts and their settings. The public surface for other
 * modules (ARCHITECTURE.md "Boundaries"): an alert row as the API answers it.
 */
export { alertJson, type AlertRow } from './alerts/alert-repository.js';
/** The alert writer every detection path uses, and what it takes (other modules' detectors, e.g. MCP findings). */
export { writeFindings } from './detection/engine-alerts.js';
export type { Finding } from './detection/model.js';
export { loadMonitoringSettings } from './settings/settings-store.js';
