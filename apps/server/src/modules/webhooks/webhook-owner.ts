import type { Database } from '../../platform/db/database.js';

/**
 * Who to tell about an endpoint, and where it points: for the delivery engine and notifications
 * (the webhook.disabled email). `createdById` is always a person (usr_…): the one signed in, or the
 * one whose API key created the endpoint. Null when the endpoint no longer exists.
 */
export async function endpointOwner(
  db: Pick<Database, 'transaction'>,
  organizationId: string,
  endpointId: string,
): Promise<{ url: string; description: string | null; createdById: string; createdByType: 'user' | 'api_key' } | null> {
  return db.transaction({ organizationId }, async (tx) => {
    const { rows } = await tx.query<{ url: string; description: string | null; created_by_id: string; created_by_type: 'user' | 'api_key' }>(
      'select url, description, created_by_id, created_by_type from webhook_endpoints where organization_id = $1 and id = $2',
      [organizationId, endpointId],
    );
    const row = rows[0];
    return row ? { url: row.url, description: row.description, createdById: row.created_by_id, createdByType: row.created_by_type } : null;
  });
}
