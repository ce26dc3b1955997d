// The public surface of modules/access for other modules (ARCHITECTURE.md "Boundaries").
export { authorize, can } from './permissions.js';
