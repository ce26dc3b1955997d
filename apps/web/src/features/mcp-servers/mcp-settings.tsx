'use client';

import { mcpSettingsSchema, type McpSettings } from '@aim/contracts';
import { useState } from 'react';
import { Field, FormAlert, failWith, useSchemaForm } from '@/components/form';
import { Resource } from '@/components/resource-list';
import { Button } from '@/components/ui/button';
import { Input } from '@/components/ui/input';
import { must, useApiQuery } from '@/data/query';
import { MCP_SETTINGS_TOPICS, mcp } from './mcp-api';

/**
 * The organization's MCP settings (admins, `monitoring.manage`; shown on the monitoring settings
 * page): whether drifted tools are blocked in decisions until re-approved, and how often AIM scans
 * each Streamable HTTP server. Checked by the contract's schema before they are sent.
 */
export function McpSettingsPanel() {
  const settings = useApiQuery({
    key: ['/api/v1/mcp-settings'],
    topics: MCP_SETTINGS_TOPICS,
    fetch: async () => must(await mcp.settings()).settings,
  });
  return (
    <section aria-labelledby="mcp-settings-heading" className="rounded border border-slate-200 bg-white p-4 text-sm">
      <h2 id="mcp-settings-heading" className="mb-3 font-semibold">
        MCP servers
      </h2>
      <Resource query={settings} what="the MCP settings">
        {(s) => <McpSettingsForm settings={s} saved={settings.set} />}
      </Resource>
    </section>
  );
}

function McpSettingsForm({ settings, saved }: { settings: McpSettings; saved: (s: McpSettings) => void }) {
  const form = useSchemaForm(mcpSettingsSchema, { defaultValues: settings });
  const { register, handleSubmit, formState } = form;
  const [notice, setNotice] = useState<string | null>(null);
  const submit = handleSubmit(async (value) => {
    setNotice(null);
    const answer = await mcp.saveSettings(value);
    if (!answer.data) return failWith(form, answer.error);
    const next = answer.data.settings;
    form.reset(next);
    saved(next);
    setNotice('MCP settings saved.');
  });
  return (
    <form noValidate aria-label="MCP settings" onSubmit={(e) => void submit(e)} className="grid gap-3">
      <label className="flex items-start gap-2">
        <input type="checkbox" className="mt-0.5 size-4" aria-describedby="block-drifted-hint" {...register('blockDriftedTools')} />
        <span>Block drifted tools in decisions until a person re-approves them</span>
      </label>
      <p id="block-drifted-hint" className="-mt-2 text-xs text-slate-700">
        A tool whose definition changed or that disappeared since approval is denied in every decision (mcp:&lt;server&gt;/&lt;tool&gt;) while this is on.
      </p>
      <Field id="mcp-scan-interval" label="Scan interval (minutes)" hint="How often AIM scans each Streamable HTTP server: 5–10,080 (a week)." error={formState.errors.scanIntervalMinutes?.message} className="max-w-md">
        {(aria) => <Input {...aria} type="number" inputMode="numeric" className="w-28" {...register('scanIntervalMinutes', { valueAsNumber: true })} />}
      </Field>
      <FormAlert form={form} />
      <div className="flex flex-wrap items-center gap-3">
        <Button type="submit" disabled={formState.isSubmitting}>
          {formState.isSubmitting ? 'Saving…' : 'Save MCP settings'}
        </Button>
        {notice && (
          <p role="status" className="text-emerald-800">
            {notice}
          </p>
        )}
      </div>
    </form>
  );
}
