export * from './errors.js';
export * from './system.js';
export * from './roles.js';
export * from './people.js';
export * from './audit.js';
export * from './agents.js';
