'use client';

import { errorMessage } from '@/api/client';
import { Badge, button, when } from '@/components/ui';
import { ConfirmDialog } from '@/components/ui/dialog';
import { must, useApiQuery, type ApiQuery } from '@/data/query';
import { mcp, type McpScan, type McpServer, type McpServerKey } from './mcp-api';
import { Fact, Fingerprint, PartFailed, Section, useMcpPermissions } from './mcp-parts';

export type ScansQuery = ApiQuery<{ scans: McpScan[]; nextCursor: string | null }>;

const CARD_LABEL = {
  absent: 'no server card published',
  unsigned: 'published, not signed',
  valid: 'signed, signature verified',
  invalid: 'did not verify',
} as const;

/**
 * Who the server is: its registered keys (proof of possession), whether the server card of the last
 * scan verified, and the TLS certificate it presented (a change is a finding).
 */
export function IdentitySection({ server, scans }: { server: McpServer; scans: ScansQuery }) {
  const may = useMcpPermissions(server);
  const keys = useApiQuery({
    key: ['mcp-keys', server.id],
    topics: ['mcp_server'],
    fetch: async () => must(await mcp.keys(server.id)).keys,
  });
  const last = scans.data?.scans.find((s) => s.status !== 'running') ?? null;
  const tls = scans.data?.scans.find((s) => s.tlsCertificateSha256)?.tlsCertificateSha256 ?? null;
  return (
    <Section id="mcp-identity-title" title="Identity">
      <dl className="grid grid-cols-1 gap-3 text-sm sm:grid-cols-2">
        <Fact label="Server card (last scan)">
          {scans.error ? '—' : !scans.data ? '…' : !last ? 'not scanned yet' : <span data-server-card={last.serverCard.status}>{CARD_LABEL[last.serverCard.status]}{last.serverCard.message ? `: ${last.serverCard.message}` : ''}</span>}
        </Fact>
        <Fact label="TLS certificate (SHA-256)">{tls ? <Fingerprint value={tls} label="the TLS certificate" /> : server.transport.type === 'stdio' ? 'not applicable (stdio)' : 'not seen yet'}</Fact>
      </dl>
      <h3 className="mb-2 mt-4 font-medium">Keys</h3>
      {keys.error ? (
        <PartFailed message={keys.error} retry={keys.retry} />
      ) : !keys.data ? (
        <p className="text-sm text-slate-600">Loading the keys…</p>
      ) : keys.data.length === 0 ? (
        <p className="text-sm text-slate-700">No key registered: the server cannot sign a server card AIM would verify.</p>
      ) : (
        <ul className="space-y-2 text-sm">
          {keys.data.map((k) => (
            <li key={k.id} className="rounded border border-slate-100 p-2" data-key-id={k.id}>
              <div className="flex flex-wrap items-center gap-2">
                <code className="min-w-0 break-all text-xs" title="JWK thumbprint">
                  {k.id}
                </code>
                <Badge>{k.status}</Badge>
              </div>
              <div className="mt-1 text-xs text-slate-600">
                Registered {when(k.createdAt)}
                {k.revokedAt ? ` · revoked ${when(k.revokedAt)}${k.revokedReason ? `: ${k.revokedReason}` : ''}` : ''}
              </div>
              {may.change && k.status === 'active' && <RevokeKey server={server} serverKey={k} onDone={keys.refresh} />}
            </li>
          ))}
        </ul>
      )}
    </Section>
  );
}

function RevokeKey({ server, serverKey, onDone }: { server: McpServer; serverKey: McpServerKey; onDone: () => Promise<void> }) {
  return (
    <div className="mt-2">
      <ConfirmDialog
        trigger={
          <button type="button" className={button} aria-label={`Revoke key ${serverKey.id.slice(0, 8)}…`}>
            Revoke key
          </button>
        }
        title="Revoke this server key?"
        description={`A server card of ${server.name} signed with it no longer verifies, and the next scan reports it. Revocation is final.`}
        confirmLabel="Revoke key"
        onConfirm={async () => {
          const { error } = await mcp.revokeKey(server.id, serverKey.id);
          if (error) return errorMessage(error);
          await onDone();
        }}
      />
    </div>
  );
}
