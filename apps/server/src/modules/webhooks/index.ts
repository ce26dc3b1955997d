/**
 * Webhooks (docs/webhooks.md): an organization's endpoints and the fan-out of domain events to them
 * (this folder), and the delivery engine that sends, signs, retries and logs (delivery/).
 */
export { createWebhookService, newWebhookSecret, previousSecretAad, secretAad, MAX_WEBHOOK_ENDPOINTS, type WebhookService } from './webhook-service.js';
export { createWebhookLogService, MAX_REPLAY, type WebhookLogService } from './webhook-log-service.js';
export { fanOut, webhookFanOutSubscription } from './webhook-fan-out.js';
export { webhookJobs } from './webhook-jobs.js';
export { webhookFeature } from './webhook-operations.js';
export { checkWebhookUrl, urlForAudit, type WebhookUrlPolicy } from './webhook-url.js';
export { DISABLED_BY_A_PERSON, webhookEndpointRepository, webhookEndpointJson, type WebhookEndpointRow, type WebhookDeliveryRow } from './webhook-repository.js';
export { endpointOwner } from './webhook-owner.js';
