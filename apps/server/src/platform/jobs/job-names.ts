/** Names of every job queue, known at install time (the migrator creates one queue each). */
export const QUEUES = ['aim.partitions', 'aim.audit-checkpoints', 'aim.audit-retention', 'aim.rotate-keys', 'aim.expire-pending', 'aim.trust-recalculate', 'aim.notification-digest', 'aim.monitoring-sweep', 'aim.monitoring-baselines', 'aim.mcp-scan', 'aim.decision-retention', 'aim.access-reviews', 'aim.compliance-reports', 'aim.privacy-reseal'] as const;
export type QueueName = (typeof QUEUES)[number];
