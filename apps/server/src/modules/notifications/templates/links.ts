/** The dashboard's addresses a mail links to, absolute, from AIM's public URL (publicOrigin.baseUrl). */
export function dashboardLinks(baseUrl: string) {
  const page = (path: string, id?: string) => `${baseUrl}${path}${id === undefined ? '' : `?id=${encodeURIComponent(id)}`}`;
  return {
    /** "Your account": where a person changes their notification preferences. */
    preferences: page('/account/'),
    decision: (decisionId: string) => page('/decisions/detail/', decisionId),
    capabilityRequests: page('/capability-requests/'),
    webhooks: page('/webhooks/'),
    alert: (alertId: string) => page('/alerts/detail/', alertId),
  };
}
export type DashboardLinks = ReturnType<typeof dashboardLinks>;

/** A time as people read it in mail: `2026-12-07 09:30 UTC`. */
export function utcTime(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
