'use client';

import { MCP_TRANSPORTS, createMcpServerSchema, mcpServerSlug } from '@aim/contracts';
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { api } from '@/api/client';
import { Field, FormAlert, blank, failWith, useSchemaForm } from '@/components/form';
import { Button } from '@/components/ui/button';
import { Input, Select } from '@/components/ui/input';
import { TRANSPORT_LABEL, serverHref } from './mcp-api';

/** "billing, engineering" as the tags list; an empty box gives none. */
const tagList = { setValueAs: (v: unknown) => (typeof v === 'string' && v.trim() ? v.split(',').map((t) => t.trim()).filter(Boolean) : undefined) };

/**
 * Register an MCP server (members and up): name, slug (defaults from the name), the Streamable HTTP
 * URL or the stdio launch command (a description only: AIM never runs it), publisher and tags,
 * checked by the API's own schema. A registered server opens on its page, pending until a scan.
 */
export function RegisterMcpServer() {
  const [open, setOpen] = useState(false);
  return open ? (
    <RegisterForm close={() => setOpen(false)} />
  ) : (
    <div className="mb-4">
      <Button onClick={() => setOpen(true)}>Register an MCP server</Button>
    </div>
  );
}

function RegisterForm({ close }: { close: () => void }) {
  const router = useRouter();
  const form = useSchemaForm(createMcpServerSchema, { defaultValues: { name: '', transport: { type: 'streamable_http', url: '' } }, shouldUnregister: true });
  const { register, handleSubmit, formState, watch } = form;
  const type = watch('transport.type');
  const name = watch('name');
  const errors = formState.errors;
  const transportErrors = errors.transport as { url?: { message?: string }; command?: { message?: string } } | undefined;
  const submit = handleSubmit(async (body) => {
    const { data, error } = await api.POST('/api/v1/mcp-servers', { body });
    if (!data) return failWith(form, error);
    router.push(serverHref(data.mcpServer.id));
  });
  return (
    <form onSubmit={(e) => void submit(e)} noValidate aria-labelledby="register-mcp-title" className="mb-4 rounded border border-slate-200 bg-white p-4">
      <h2 id="register-mcp-title" className="mb-3 text-lg font-semibold">
        Register an MCP server
      </h2>
      <div className="grid gap-4 sm:grid-cols-2">
        <Field id="mcp-name" label="Name" error={errors.name?.message}>
          {(aria) => <Input {...aria} autoFocus autoComplete="off" placeholder="github" {...register('name')} />}
        </Field>
        <Field
          id="mcp-slug"
          label="Slug (optional)"
          hint={`Names its tools in decisions: mcp:${mcpServerSlug(name ?? '') || '<slug>'}/<tool>. Defaults from the name.`}
          error={errors.slug?.message}
        >
          {(aria) => <Input {...aria} autoComplete="off" {...register('slug', blank)} />}
        </Field>
        <Field id="mcp-transport" label="Transport" error={errors.transport?.type?.message}>
          {(aria) => (
            <Select {...aria} {...register('transport.type')}>
              {MCP_TRANSPORTS.map((t) => (
                <option key={t} value={t}>
                  {TRANSPORT_LABEL[t]}
                </option>
              ))}
            </Select>
          )}
        </Field>
        {type === 'stdio' ? (
          <Field
            id="mcp-command"
            label="Launch command"
            hint="How agents start it, as a description only: AIM never runs it. No secrets here. AIM cannot scan a stdio server; agents attest its tools."
            error={transportErrors?.command?.message}
          >
            {(aria) => <Input {...aria} autoComplete="off" placeholder="npx -y @modelcontextprotocol/server-filesystem /srv" {...register('transport.command')} />}
          </Field>
        ) : (
          <Field id="mcp-url" label="Endpoint URL" hint="The Streamable HTTP endpoint: https, a public address, no credentials." error={transportErrors?.url?.message}>
            {(aria) => <Input {...aria} type="url" autoComplete="off" placeholder="https://mcp.example.com/mcp" {...register('transport.url')} />}
          </Field>
        )}
        <Field id="mcp-publisher" label="Publisher (optional)" error={errors.publisher?.message}>
          {(aria) => <Input {...aria} autoComplete="off" placeholder="GitHub" {...register('publisher', blank)} />}
        </Field>
        <Field id="mcp-tags" label="Tags (optional)" hint="Separated by commas." error={errors.tags?.message ?? errors.tags?.[0]?.message}>
          {(aria) => <Input {...aria} autoComplete="off" placeholder="engineering, billing" {...register('tags', tagList)} />}
        </Field>
      </div>
      <div className="mt-3">
        <FormAlert form={form} />
      </div>
      <div className="mt-4 flex flex-wrap gap-2">
        <Button type="submit" disabled={formState.isSubmitting}>
          {formState.isSubmitting ? 'Registering…' : 'Register'}
        </Button>
        <Button variant="outline" onClick={close}>
          Cancel
        </Button>
      </div>
    </form>
  );
}
