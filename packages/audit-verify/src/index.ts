export * from './chain.js';
export * from './verify-export.js';
export * from './checkpoints.js';
export * from './report.js';
export * from './timestamp.js';
export * from './witness.js';
export * from './anchors.js';
export { canonicalJsonText } from './json-text.js';
