export * from './chain.js';
export * from './verify-export.js';
