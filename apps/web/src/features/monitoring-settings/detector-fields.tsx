'use client';

import { ALERT_SEVERITIES, detectorParamsSchemas, isBehaviouralDetector, monitoringSettingsSchema, type Detector } from '@aim/contracts';
import type { UseFormReturn } from 'react-hook-form';
import type { z } from 'zod';
import { Field } from '@/components/form';
import { Input, Select } from '@/components/ui/input';
import { DETECTOR_LABEL } from '@/features/alerts/alert-api';

type Form = UseFormReturn<z.input<typeof monitoringSettingsSchema>, unknown, z.output<typeof monitoringSettingsSchema>>;

/** What each detector watches, in a sentence (docs/monitoring.md has the whole of it). */
const ABOUT: Record<Detector, string> = {
  trust_drop: 'An agent’s trust score falls by this many points within an hour.',
  key_misuse: 'Signature failures, replays, unknown or retired keys naming the agent’s keys (possible key theft).',
  heartbeat_lost: 'An agent that sends heartbeats goes quiet.',
  key_age: 'An agent key older than the organization’s rotation policy.',
  denial_spike: 'Denials and violations far above the agent’s own baseline.',
  rate_anomaly: 'Requests per hour outside the agent’s baseline for that hour of the week.',
  new_action: 'The first use of an action never seen in the baseline.',
  new_resource: 'The first use of a resource prefix never seen in the baseline.',
  off_hours: 'Activity in an hour the agent is normally inactive.',
  data_volume: 'Records or bytes in the request context far above the baseline.',
  new_network: 'Requests from a network prefix the agent has never used.',
  mcp_drift: 'An approved MCP server’s tools were added, removed or changed.',
  mcp_poisoning: 'A tool description or schema matched a poisoning heuristic.',
  mcp_tool_mismatch: 'An MCP server showed different tools to different clients.',
  mcp_shadow_server: 'An agent uses an MCP server that is not registered.',
  mcp_identity: 'An MCP server’s TLS certificate changed or its server card did not verify.',
};

const PARAM_LABEL: Record<string, string> = {
  dropPoints: 'Drop (points)',
  failures: 'Failures',
  windowMinutes: 'Window (minutes)',
  silenceMinutes: 'Silence (minutes)',
  minHeartbeatHours: 'Hours with heartbeats',
  maxAgeDays: 'Maximum key age (days)',
  madMultiplier: 'MAD multiplier',
  minCount: 'Minimum count',
  minRequests: 'Minimum requests',
  prefixSegments: 'Prefix segments',
  minRecords: 'Minimum records',
  minBytes: 'Minimum bytes',
  ipv4PrefixLength: 'IPv4 prefix length',
  ipv6PrefixLength: 'IPv6 prefix length',
};

interface NumberSchema {
  minValue: number | null;
  maxValue: number | null;
  description?: string;
}

/** One detector's settings: enabled, severity, and its parameters with their allowed ranges (from the contract). */
export function DetectorFields({ detector: d, form }: { detector: Detector; form: Form }) {
  const { register, formState } = form;
  const errors = formState.errors.detectors?.[d] as { severity?: { message?: string }; params?: Record<string, { message?: string }> } | undefined;
  const params = Object.entries(detectorParamsSchemas[d].shape as Record<string, NumberSchema>);
  return (
    <fieldset className="min-w-0 rounded border border-slate-200 bg-white p-3" data-detector={d}>
      <legend className="px-1 font-semibold">
        {DETECTOR_LABEL[d]} <span className="text-xs font-normal text-slate-600">({isBehaviouralDetector(d) ? 'behavioural: waits for the baseline' : 'rule: from the first request'})</span>
      </legend>
      <p className="mb-2 text-xs text-slate-600">{ABOUT[d]}</p>
      <div className="flex flex-wrap items-end gap-3">
        <label className="flex items-center gap-2 text-sm">
          <input type="checkbox" className="size-4" {...register(`detectors.${d}.enabled`)} />
          Enabled
        </label>
        <Field id={`${d}-severity`} label="Severity" error={errors?.severity?.message}>
          {(aria) => (
            <Select {...aria} {...register(`detectors.${d}.severity`)}>
              {ALERT_SEVERITIES.map((s) => (
                <option key={s}>{s}</option>
              ))}
            </Select>
          )}
        </Field>
        {params.map(([name, schema]) => {
          const range = `${schema.minValue?.toLocaleString() ?? ''}–${schema.maxValue?.toLocaleString() ?? ''}`;
          return (
            <Field
              key={name}
              id={`${d}-${name}`}
              label={PARAM_LABEL[name] ?? name}
              hint={`${schema.description ? `${schema.description}. ` : ''}${range}`}
              error={errors?.params?.[name]?.message}
              className="w-44"
            >
              {(aria) => (
                <Input
                  {...aria}
                  type="number"
                  inputMode="decimal"
                  step="any"
                  {...register(`detectors.${d}.params.${name}` as `detectors.${typeof d}.params`, { valueAsNumber: true })}
                />
              )}
            </Field>
          );
        })}
      </div>
    </fieldset>
  );
}
