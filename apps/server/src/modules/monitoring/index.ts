/**
 * Monitoring (docs/monitoring.md): detectors, alerts and their settings. The public surface for other
 * modules (ARCHITECTURE.md "Boundaries"): an alert row as the API answers it.
 */
export { alertJson, type AlertRow } from './alerts/alert-repository.js';
