import type { DomainEvents } from '../../../platform/events/domain-events.js';
import type { Tx } from '../../../platform/db/database.js';
import { recordMcpFinding, resolveMcpFindings } from '../shared/findings-store.js';
import type { McpScanHook, ScanHookInput, ScanHookOutcome } from '../shared/scan-hooks.js';
import { latestScan } from '../shared/scan-store.js';
import { verifyServerCard, type CardVerdict } from './server-card.js';
import { serverKeyRepository } from './server-key-repository.js';

/**
 * The identity hook (docs/mcp.md, "Identity"), first after a scan: verifies the server card with the
 * server's active keys and compares the TLS certificate with the previous successful scan's.
 *
 * Findings: an invalid card (`server_card_invalid`, high); a server holding a key that serves no card or
 * an unsigned one (`server_card_invalid`, medium: the key says the server proves itself, and an
 * impostor cannot); a certificate that differs from the previous successful scan's
 * (`tls_certificate_changed`, medium: certificates rotate legitimately, so a person confirms it).
 * Card findings resolve by themselves once a scan sees a valid card (or the server holds no key).
 */
export function createIdentityScanHook(deps: { events: Pick<DomainEvents, 'record'> }): McpScanHook {
  return {
    name: 'identity',
    async afterScan(tx, input): Promise<ScanHookOutcome | void> {
      const { scan } = input;
      // A failed scan proves nothing about identity: no card verdict, no certificate comparison.
      if (scan.status !== 'succeeded') return;
      const serverCard = await checkCard(tx, deps, input);
      await checkCertificate(tx, deps, input);
      return { serverCard };
    },
  };
}

type Deps = { events: Pick<DomainEvents, 'record'> };

const cardKey = (mcpServerId: string, what: string) => `server_card:${mcpServerId}:${what}`;

async function checkCard(tx: Tx, deps: Deps, { ctx, server, scan, live, known }: ScanHookInput): Promise<ScanHookOutcome['serverCard']> {
  // Without a card the keys matter only by their number, which the scanner read already.
  const keys = scan.serverCard === null && known?.activeServerKeys === 0 ? [] : await serverKeyRepository.active(tx, server.id);
  const verdict = await verifyServerCard(scan.serverCard, keys, server.endpoint_url ?? '');
  const finding = cardFinding(verdict, keys.length > 0);
  if (finding) {
    await recordMcpFinding(tx, deps, ctx, {
      mcpServerId: server.id,
      kind: 'server_card_invalid',
      severity: finding.severity,
      dedupKey: cardKey(server.id, finding.what),
      title: `${server.name}: ${finding.title}`,
      summary: verdict.message ?? finding.title,
      evidence: { status: verdict.status, problem: verdict.problem, keyId: verdict.keyId, message: verdict.message, activeKeys: keys.length },
      scanId: scan.id,
      at: scan.finishedAt,
    });
  }
  await resolveMcpFindings(tx, { mcpServerId: server.id, kind: 'server_card_invalid', stillTrue: finding ? [cardKey(server.id, finding.what)] : [], at: scan.finishedAt, live });
  return { status: verdict.status, keyId: verdict.keyId, message: verdict.message };
}

/** What a card verdict says about a server, given whether it holds a key: null when nothing is wrong. */
export function cardFinding(verdict: CardVerdict, holdsKey: boolean): { what: string; severity: 'high' | 'medium'; title: string } | null {
  if (verdict.status === 'invalid') return { what: verdict.problem ?? 'invalid', severity: 'high', title: 'the server card does not verify' };
  if (!holdsKey || verdict.status === 'valid') return null;
  return verdict.status === 'absent'
    ? { what: 'absent', severity: 'medium', title: 'holds a key but serves no server card' }
    : { what: 'unsigned', severity: 'medium', title: 'holds a key but its server card is unsigned' };
}

async function checkCertificate(tx: Tx, deps: Deps, { ctx, server, scan, previous }: ScanHookInput): Promise<void> {
  const current = scan.tlsCertificateSha256;
  if (!current) return;
  const before = previous && previous.status === 'succeeded' && previous.id !== scan.id ? previous : await latestScan(tx, server.id, { succeededOnly: true, beforeId: scan.id });
  const from = before?.tlsCertificateSha256 ?? null;
  if (!from || from === current) return;
  await recordMcpFinding(tx, deps, ctx, {
    mcpServerId: server.id,
    kind: 'tls_certificate_changed',
    severity: 'medium',
    dedupKey: `tls:${server.id}:${current}`,
    title: `${server.name}: the TLS certificate changed`,
    summary: `The certificate presented at ${server.endpoint_url} is not the one the previous successful scan saw (SHA-256 ${from.slice(0, 16)}… → ${current.slice(0, 16)}…). Certificates rotate legitimately (renewals); confirm this one is the operator's, then dismiss.`,
    evidence: { from, to: current, previousScanId: before!.id, endpoint: server.endpoint_url },
    scanId: scan.id,
    at: scan.finishedAt,
  });
}
