import { iso, num, result, SAMPLE_LIMIT, type CheckDefinition } from './check-types.js';

/** Monitoring and integrations: alerts answered in time, webhook transport, MCP servers approved. */

export const alertsAcknowledged: CheckDefinition = {
  id: 'alerts_acknowledged',
  title: 'Alerts are acknowledged within their target time',
  description:
    'Alerts raised in the period of severity low or above, and when each was first acknowledged or resolved, against the target minutes for its severity (alertAckMinutes). An alert not answered by the end of the period counts late once its target passed. Pass: alerts and none late; fail: any late; unknown: no alert in the period.',
  async run({ tx, period, settings }) {
    const targets = settings.alertAckMinutes;
    const target = `(case severity when 'critical' then $4::int when 'high' then $5::int when 'medium' then $6::int else $7::int end) * interval '1 minute'`;
    const answered = 'coalesce(acknowledged_at, resolved_at)';
    const late = `(${answered} is not null and ${answered} > created_at + ${target}) or (${answered} is null and created_at + ${target} < $3)`;
    const where = `organization_id = $1 and created_at >= $2 and created_at < $3 and severity <> 'info'`;
    const params = [tx.organizationId, period.from, period.to, targets.critical, targets.high, targets.medium, targets.low];
    const { rows } = await tx.query<{ alerts: string; late: string; answered: string }>(
      `select count(*) as alerts, count(*) filter (where ${late}) as late, count(*) filter (where ${answered} is not null) as answered from alerts where ${where}`,
      params,
    );
    const counts = { alerts: num(rows[0]?.alerts), answered: num(rows[0]?.answered), late: num(rows[0]?.late) };
    const query = 'alerts raised in the period (low and above), and those acknowledged or resolved after their target time';
    if (counts.alerts === 0) return result('unknown', 'No alert was raised in the period.', query, counts);
    const { rows: samples } = await tx.query<{ id: string; severity: string; created_at: Date; acknowledged_at: Date | null; resolved_at: Date | null }>(
      `select id, severity, created_at, acknowledged_at, resolved_at from alerts where ${where} ${counts.late ? `and (${late})` : 'and $4::int + $5::int + $6::int + $7::int is not null'} order by created_at limit ${SAMPLE_LIMIT}`,
      params,
    );
    const shown = samples.map((a) => ({ alertId: a.id, severity: a.severity, createdAt: iso(a.created_at), acknowledgedAt: iso(a.acknowledged_at), resolvedAt: iso(a.resolved_at) }));
    if (counts.late > 0) return result('fail', `${counts.late} of ${counts.alerts} alerts were not acknowledged within their target time.`, query, counts, shown);
    return result('pass', `All ${counts.alerts} alerts were acknowledged within their target time.`, query, counts, shown);
  },
};

export const webhooksHttps: CheckDefinition = {
  id: 'webhooks_https',
  title: 'Webhook deliveries leave over HTTPS',
  description:
    'Webhook endpoints created before the end of the period that are enabled, and those whose URL is not https (deliveries are signed per Standard Webhooks in any case). Pass: endpoints and none plain http; fail: any; unknown: no enabled endpoint.',
  async run({ tx, period }) {
    const where = `organization_id = $1 and created_at < $2 and enabled`;
    const params = [tx.organizationId, period.to];
    const { rows } = await tx.query<{ endpoints: string; plain: string }>(
      `select count(*) as endpoints, count(*) filter (where url not like 'https://%') as plain from webhook_endpoints where ${where}`,
      params,
    );
    const counts = { endpoints: num(rows[0]?.endpoints), notHttps: num(rows[0]?.plain) };
    const query = 'enabled webhook endpoints and those whose URL is not https';
    if (counts.endpoints === 0) return result('unknown', 'No enabled webhook endpoint.', query, counts);
    if (counts.notHttps === 0) return result('pass', `All ${counts.endpoints} endpoints use https.`, query, counts);
    const { rows: samples } = await tx.query<{ id: string; created_at: Date }>(
      `select id, created_at from webhook_endpoints where ${where} and url not like 'https://%' order by created_at limit ${SAMPLE_LIMIT}`,
      params,
    );
    return result('fail', `${counts.notHttps} of ${counts.endpoints} endpoints deliver over plain http.`, query, counts,
      samples.map((s) => ({ endpointId: s.id, createdAt: iso(s.created_at) })));
  },
};

export const mcpServersApproved: CheckDefinition = {
  id: 'mcp_servers_approved',
  title: 'MCP servers in use are approved',
  description:
    'MCP servers registered before the end of the period that are not suspended or revoked, and those not in status approved (pending, verified or drifted: tools not reviewed or changed since approval). Pass: servers and all approved; fail: any not; unknown: no server in use.',
  async run({ tx, period }) {
    const where = `organization_id = $1 and created_at < $2 and status not in ('suspended', 'revoked')`;
    const params = [tx.organizationId, period.to];
    const { rows } = await tx.query<{ servers: string; unapproved: string }>(
      `select count(*) as servers, count(*) filter (where status <> 'approved') as unapproved from mcp_servers where ${where}`,
      params,
    );
    const counts = { servers: num(rows[0]?.servers), notApproved: num(rows[0]?.unapproved) };
    const query = 'MCP servers in use and those not approved';
    if (counts.servers === 0) return result('unknown', 'No MCP server is in use.', query, counts);
    if (counts.notApproved === 0) return result('pass', `All ${counts.servers} MCP servers are approved.`, query, counts);
    const { rows: samples } = await tx.query<{ id: string; name: string; status: string }>(
      `select id, name, status from mcp_servers where ${where} and status <> 'approved' order by created_at limit ${SAMPLE_LIMIT}`,
      params,
    );
    return result('fail', `${counts.notApproved} of ${counts.servers} MCP servers are not approved.`, query, counts,
      samples.map((s) => ({ mcpServerId: s.id, name: s.name, status: s.status })));
  },
};
