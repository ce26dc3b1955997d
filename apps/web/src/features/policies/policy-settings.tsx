'use client';

import type { PolicyType } from '@aim/contracts';
import { type ReactNode } from 'react';
import type { components } from '@/api/schema';
import { useAgentNames } from '@/components/agent-names';
import { MODE_HELP, TYPE_HELP, TYPE_LABEL, scopeSummary, show } from '@/features/policies/policy-model';
import { when } from '@/components/ui';

type Policy = components['schemas']['Policy'];

export function Card({ id, title, children }: { id: string; title: string; children: ReactNode }) {
  return (
    <section aria-labelledby={id} className="min-w-0 rounded border border-slate-200 bg-white p-4">
      <h2 id={id} className="mb-3 text-lg font-semibold">
        {title}
      </h2>
      {children}
    </section>
  );
}

function Item({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="min-w-0">
      <dt className="text-xs uppercase tracking-wide text-slate-500">{label}</dt>
      <dd className="wrap-anywhere">{children}</dd>
    </div>
  );
}

/** A type's config in words, from what the API returns. */
export function configItems(type: PolicyType, config: Record<string, unknown>): { label: string; value: string }[] {
  const c = config as Record<string, never>;
  switch (type) {
    case 'capability_required':
      return [];
    case 'resource_deny':
      return [{ label: 'Denied resources', value: show(c.resources) }];
    case 'time_window': {
      const windows = (c.windows ?? []) as { days?: string[]; start?: string; end?: string }[];
      return [
        { label: 'Time zone', value: show(c.timezone) },
        ...windows.map((w, i) => ({ label: `Window ${i + 1}`, value: `${show(w.days)} · ${show(w.start)}–${show(w.end)}` })),
      ];
    }
    case 'rate_limit':
      return [
        { label: 'Limit', value: `${show(c.limit)} decisions per agent and action` },
        { label: 'Window', value: `${show(c.windowSeconds)} seconds` },
      ];
    case 'require_approval':
      return [{ label: 'Minimum risk', value: show(c.minRisk) }];
    case 'data_volume':
      return [
        { label: 'Context field', value: show(c.field) },
        { label: 'Maximum', value: show(c.max) },
        { label: 'Above the maximum', value: c.effect === 'require_approval' ? 'wait for approval' : show(c.effect) },
        { label: 'When the field is missing', value: show(c.whenMissing) },
      ];
    case 'min_trust': {
      const minimums = (c.minimums ?? {}) as Record<string, number | undefined>;
      return [
        ...(['low', 'medium', 'high', 'critical'] as const).map((r) => ({ label: `Minimum at ${r} risk`, value: show(minimums[r]) })),
        { label: 'While unscored', value: c.whenUnscored === 'require_approval' ? 'wait for approval' : show(c.whenUnscored) },
      ];
    }
  }
}

export function Settings({ policy }: { policy: Policy }) {
  const names = useAgentNames(policy.scope.agentIds ?? []);
  return (
    <Card id="settings-title" title="Settings">
      <dl className="grid grid-cols-1 gap-3 text-sm sm:grid-cols-2">
        <Item label="Type">
          {TYPE_LABEL[policy.type]} <span className="text-xs text-slate-500">({policy.type})</span>
        </Item>
        <Item label="Mode">{policy.mode}</Item>
        <Item label="State">{policy.enabled ? 'enabled' : 'disabled: not evaluated'}</Item>
        <Item label="Version">{policy.version}</Item>
        <Item label="Description">{policy.description ?? '—'}</Item>
        <Item label="Scope">
          <span data-testid="policy-scope">{scopeSummary(policy.scope, names)}</span>
        </Item>
        {configItems(policy.type, policy.config).map((i) => (
          <Item key={i.label} label={i.label}>
            <span data-config-item={i.label}>{i.value}</span>
          </Item>
        ))}
        <Item label="Created">{when(policy.createdAt)}</Item>
        <Item label="Last changed">{when(policy.updatedAt)}</Item>
        <Item label="Policy id">
          <code className="text-xs">{policy.id}</code>
        </Item>
      </dl>
      <p className="mt-3 text-xs text-slate-600">{TYPE_HELP[policy.type]}</p>
      <p className="mt-1 text-xs text-slate-600">{MODE_HELP[policy.mode]}</p>
    </Card>
  );
}
