'use client';

import { mcpToolAction } from '@aim/contracts';
import { Cell, StackedTable, stacked } from '@/components/organization-parts';
import { when } from '@/components/ui';
import { must, useApiQuery } from '@/data/query';
import { MCP_TOPICS, mcp, type McpServer, type McpTool, type McpToolPin } from './mcp-api';
import type { ScansQuery } from './identity-section';
import { Fingerprint, PartFailed, Section } from './mcp-parts';

type PinState = McpToolPin['state'] | 'blocked' | 'not approved';

const PIN_STYLE: Record<PinState, string> = {
  pinned: 'bg-emerald-100 text-emerald-900 ring-1 ring-emerald-300',
  changed: 'bg-orange-100 text-orange-900 ring-1 ring-orange-300',
  removed: 'bg-red-100 text-red-900 ring-1 ring-red-300',
  blocked: 'bg-red-700 text-white',
  'not approved': 'bg-slate-100 text-slate-700 ring-1 ring-slate-300',
};

interface ToolRow {
  name: string;
  fingerprint: string | null;
  description: string | null;
  pin: McpToolPin | null;
}

/** The latest successful scan and its tools (one cached read, shared by the tools and the findings). */
export function useLatestTools(server: McpServer, scans: ScansQuery) {
  const latest = scans.data?.scans.find((s) => s.status === 'succeeded') ?? null;
  const tools = useApiQuery({
    key: ['mcp-scan-tools', server.id, latest?.id ?? null],
    topics: [],
    enabled: latest !== null,
    fetch: async () => must(await mcp.scan(server.id, latest!.id)).tools,
  });
  return { latest, tools };
}

/**
 * The tools of the latest successful scan with their fingerprints, each with its pin (pinned, changed,
 * removed, and blocked when the organization blocks drifted tools), and the decision action that
 * names it in grants and policies. Approved tools no longer offered are listed as removed.
 */
export function ToolsSection({ server, scans }: { server: McpServer; scans: ScansQuery }) {
  const { latest, tools } = useLatestTools(server, scans);
  const pins = useApiQuery({
    key: ['mcp-pins', server.id],
    topics: MCP_TOPICS,
    fetch: async () => must(await mcp.pins(server.id)),
  });
  const aside = latest ? <span className="text-xs text-slate-600">From the scan of {when(latest.finishedAt ?? latest.startedAt)}</span> : undefined;

  const body = () => {
    if (scans.error) return <PartFailed message={scans.error} retry={scans.retry} />;
    if (!scans.data) return <p className="text-sm text-slate-600">Loading the tools…</p>;
    if (!latest) return <p className="text-sm text-slate-700">No successful scan yet: the tools are not known.</p>;
    if (tools.error) return <PartFailed message={tools.error} retry={tools.retry} />;
    if (!tools.data) return <p className="text-sm text-slate-600">Loading the tools…</p>;
    return (
      <>
        {pins.error && <p className="mb-2 text-sm text-red-800">The approved pins could not be read: {pins.error}</p>}
        <ToolTable server={server} rows={rowsOf(tools.data, pins.data?.pins ?? [])} pinsKnown={pins.data !== null} />
      </>
    );
  };
  return (
    <Section id="mcp-tools-title" title="Tools" aside={aside}>
      {body()}
    </Section>
  );
}

function rowsOf(tools: McpTool[], pins: McpToolPin[]): ToolRow[] {
  const byName = new Map(pins.map((p) => [p.toolName, p]));
  const seen = new Set(tools.map((t) => t.name));
  return [
    ...tools.map((t) => ({ name: t.name, fingerprint: t.fingerprint, description: t.definition.description ?? null, pin: byName.get(t.name) ?? null })),
    ...pins.filter((p) => !seen.has(p.toolName)).map((p) => ({ name: p.toolName, fingerprint: null, description: null, pin: p })),
  ];
}

function stateOf(pin: McpToolPin | null): PinState {
  if (!pin) return 'not approved';
  return pin.blocked ? 'blocked' : pin.state;
}

function ToolTable({ server, rows, pinsKnown }: { server: McpServer; rows: ToolRow[]; pinsKnown: boolean }) {
  if (rows.length === 0) return <p className="text-sm text-slate-700">The server offers no tools.</p>;
  return (
    <StackedTable columns={['Tool', 'Fingerprint', 'Pin', 'Decision action']}>
      {rows.map((r) => {
        const state = stateOf(r.pin);
        const action = r.pin?.action ?? mcpToolAction(server.slug, r.name);
        return (
          <tr key={r.name} className={stacked.row} data-tool={r.name}>
            <Cell label="Tool">
              <span className="font-mono text-sm font-medium">{r.name}</span>
              {r.description && <p className="line-clamp-2 text-xs text-slate-700">{r.description}</p>}
            </Cell>
            <Cell label="Fingerprint">{r.fingerprint ? <Fingerprint value={r.fingerprint} label={r.name} /> : <span className="text-slate-600">gone</span>}</Cell>
            <Cell label="Pin">
              {pinsKnown ? (
                <span className={`rounded px-2 py-0.5 text-xs ${PIN_STYLE[state]}`} data-pin-state={state}>
                  {state}
                </span>
              ) : (
                '—'
              )}
            </Cell>
            <Cell label="Action">{action ? <code className="break-all text-xs">{action}</code> : <span className="text-xs text-slate-600">none: the name cannot form an action</span>}</Cell>
          </tr>
        );
      })}
    </StackedTable>
  );
}
