// The public surface of modules/access for other modules (ARCHITECTURE.md "Boundaries").
export { can } from './permissions.js';
