import type { Logger } from 'pino';
import { ACTIVE_ALERT_STATUSES } from '@aim/contracts';
import type { Database, Tx } from '../../../platform/db/database.js';
import { orgOf } from '../../../platform/db/database.js';
import type { DomainEvent, EventSubscription } from '../../../platform/events/domain-events.js';
import { SYSTEM_CONTEXT } from '../../../platform/http/request-context.js';
import { newId } from '../../../platform/ids.js';
import type { SuspendAgentAsSystem } from '../../agents/index.js';
import { alertRepository } from '../alerts/alert-repository.js';
import { loadMonitoringSettings } from '../settings/settings-store.js';

/**
 * Automatic suspension (docs/monitoring.md): an organization that opted in (`autoSuspendOnCritical`)
 * has an active agent suspended when a critical alert about it is raised. The suspension is the agents
 * module's own, as the system: audited (`agent.suspend`, actor system, the alert id in its details),
 * rescored, the cache invalidated, so the agent's next request is refused on every instance. The
 * alert gets a note saying so in the same transaction. A person reactivates the agent with the usual
 * operation; nothing here suspends it again for the same alert.
 */

/** How the note the system adds begins: also how a repeated delivery of the event recognises it. */
export const SUSPENSION_NOTE_PREFIX = 'AIM suspended the agent';

const CONTEXT = { ...SYSTEM_CONTEXT, requestId: 'monitoring:auto-suspend', actor: { type: 'system' as const, id: null } };

/** Whether this alert is still active and has not suspended its agent already (a repeated delivery, or a reactivation since). */
async function stillDue(tx: Tx, alertId: string): Promise<boolean> {
  const { rows } = await tx.query<{ due: boolean }>(
    `select a.status = any($3::text[])
            and not exists (select 1 from alert_notes n where n.organization_id = a.organization_id and n.alert_id = a.id
                             and n.author_type = 'system' and starts_with(n.body, $4)) as due
       from alerts a where a.organization_id = $1 and a.id = $2`,
    [orgOf(tx), alertId, ACTIVE_ALERT_STATUSES, SUSPENSION_NOTE_PREFIX],
  );
  return rows[0]?.due ?? false;
}

export function autoSuspensionSubscription(deps: { db: Database; suspend: SuspendAgentAsSystem; logger: Pick<Logger, 'info'> }): EventSubscription {
  async function handle(event: DomainEvent): Promise<void> {
    if (event.type !== 'alert.raised') return;
    const { alertId, severity, subject, title } = event.data;
    if (severity !== 'critical' || subject.type !== 'agent') return;
    const organizationId = event.organizationId;
    const due = await deps.db.transaction({ organizationId }, async (tx) => (await loadMonitoringSettings(tx)).settings.autoSuspendOnCritical && stillDue(tx, alertId));
    if (!due) return;
    const reason = `Suspended automatically: critical alert ${alertId} (${title})`.slice(0, 500);
    const suspended = await deps.suspend({ ...CONTEXT, organizationId }, organizationId, subject.id, {
      reason,
      details: { alertId, alertType: event.data.type },
      alongside: async (tx) => {
        const body = `${SUSPENSION_NOTE_PREFIX} ${subject.id} because this critical alert was raised and the organization suspends agents on critical alerts. A person can reactivate it (POST /api/v1/agents/${subject.id}/reactivate).`;
        await alertRepository.insertNote(tx, { id: newId('aln'), alertId, authorType: 'system', authorId: null, body });
      },
    });
    if (suspended) deps.logger.info({ organizationId, agentId: subject.id, alertId }, 'agent suspended automatically on a critical alert');
  }
  return { name: 'monitoring.auto-suspend', types: ['alert.raised'], handle };
}
