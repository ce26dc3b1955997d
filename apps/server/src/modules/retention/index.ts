export { createRetentionService, DECISION_RETENTION_BATCH, type RetentionService } from './retention-service.js';
export { retentionFeature } from './retention-operations.js';
export { retentionJobs } from './retention-jobs.js';
