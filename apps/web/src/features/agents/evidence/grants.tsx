'use client';

import { createGrantSchema } from '@aim/contracts';
import Link from 'next/link';
import { api, errorMessage } from '@/api/client';
import type { components } from '@/api/schema';
import { useCapabilityCatalog } from '@/data/catalog';
import { Field, FormAlert, blank, failWith, useSchemaForm } from '@/components/form';
import { useCan } from '@/components/session';
import { Empty, Failed, Loading } from '@/components/states';
import { Badge, EXPIRIES, when } from '@/components/ui';
import { Button } from '@/components/ui/button';
import { ConfirmDialog } from '@/components/ui/dialog';
import { Input, Select } from '@/components/ui/input';
import { Agent, Rows, Section } from '@/features/agents/evidence/section';

type Grant = components['schemas']['CapabilityGrant'];
// ---- grants ---------------------------------------------------------------------------------------

export function GrantsSection({ agent, grants, onChange, retry }: { agent: Agent; grants: Rows<Grant>; onChange: () => Promise<void>; retry: () => void }) {
  const can = useCan();
  const manage = can.has('capability.manage');
  const revoke = async (g: Grant) => {
    const { error } = await api.DELETE('/api/v1/agents/{agentId}/grants/{grantId}', { params: { path: { agentId: agent.id, grantId: g.id } } });
    if (error) return errorMessage(error);
    await onChange();
  };
  return (
    <Section id="grants-title" title="Granted capabilities">
      {typeof grants === 'string' ? (
        <Failed message={grants} retry={retry} />
      ) : grants.length === 0 ? (
        <Empty>No active grants.</Empty>
      ) : (
        <ul className="divide-y divide-slate-100 text-sm" aria-label="Active grants">
          {grants.map((g) => (
            <li key={g.id} data-grant-id={g.id} className="flex flex-wrap items-center gap-2 py-2">
              <code className="break-all">{g.capability}</code>
              <Badge>{g.riskLevel}</Badge>
              <span className="min-w-0 text-xs wrap-anywhere text-slate-600">
                {g.resourcePattern ? `on ${g.resourcePattern}` : 'any resource'} · expires {g.expiresAt ? when(g.expiresAt) : 'never'}
              </span>
              {manage && (
                <span className="ml-auto">
                  <ConfirmDialog
                    trigger={
                      <Button variant="outline" size="sm" aria-label={`Revoke grant ${g.capability}${g.resourcePattern ? ` on ${g.resourcePattern}` : ''}`}>
                        Revoke
                      </Button>
                    }
                    title={`Revoke ${g.capability}?`}
                    description={`The agent loses ${g.capability}${g.resourcePattern ? ` on ${g.resourcePattern}` : ''} from its next decision on.`}
                    confirmLabel="Revoke grant"
                    onConfirm={() => revoke(g)}
                  />
                </span>
              )}
            </li>
          ))}
        </ul>
      )}
      {manage ? (
        agent.status === 'revoked' ? (
          <p className="mt-3 text-sm text-slate-600">A revoked agent cannot be granted capabilities.</p>
        ) : (
          <GrantForm agent={agent} onChange={onChange} />
        )
      ) : (
        <p className="mt-3 text-xs text-slate-600">Managers and admins grant and revoke capabilities.</p>
      )}
    </Section>
  );
}

function GrantForm({ agent, onChange }: { agent: Agent; onChange: () => Promise<void> }) {
  const form = useSchemaForm(createGrantSchema, { defaultValues: { capability: '' } });
  const { register, handleSubmit, formState } = form;
  const { data: catalog, error: catalogError, retry: retryCatalog } = useCapabilityCatalog();

  const submit = handleSubmit(async (body) => {
    const { error } = await api.POST('/api/v1/agents/{agentId}/grants', { params: { path: { agentId: agent.id } }, body });
    if (error) return failWith(form, error);
    form.reset();
    await onChange();
  });

  return (
    <form onSubmit={(e) => void submit(e)} noValidate aria-labelledby="grant-form-title" className="mt-4 border-t border-slate-100 pt-4">
      <h3 id="grant-form-title" className="mb-2 font-medium">
        Grant a capability
      </h3>
      {catalogError ? (
        <Failed message={catalogError} retry={retryCatalog} />
      ) : catalog === null ? (
        <Loading what="the capability catalog" />
      ) : catalog.length === 0 ? (
        <Empty>
          The capability catalog is empty.{' '}
          <Link href="/capabilities/" className="underline">
            Add capabilities
          </Link>{' '}
          first.
        </Empty>
      ) : (
        <>
          <div className="grid grid-cols-1 gap-3 sm:grid-cols-3">
            <Field id="grant-capability" label="Capability" error={formState.errors.capability?.message}>
              {(aria) => (
                <Select {...aria} {...register('capability')}>
                  <option value="">Choose…</option>
                  {catalog.map((c) => (
                    <option key={c.id} value={c.name}>
                      {c.name} ({c.riskLevel})
                    </option>
                  ))}
                </Select>
              )}
            </Field>
            <Field
              id="grant-resource"
              label="Resource pattern (optional)"
              hint="Empty: any resource. * within a segment, ** across, e.g. customers/*"
              error={formState.errors.resourcePattern?.message}
            >
              {(aria) => <Input {...aria} {...register('resourcePattern', blank)} placeholder="customers/*" />}
            </Field>
            <Field id="grant-expires" label="Expires" error={formState.errors.expiresInSeconds?.message}>
              {(aria) => (
                <Select {...aria} {...register('expiresInSeconds', { setValueAs: (v: unknown) => (v === '' || v === undefined ? undefined : Number(v)) })}>
                  <option value="">Never</option>
                  {EXPIRIES.map((x) => (
                    <option key={x.seconds} value={x.seconds}>
                      in {x.label}
                    </option>
                  ))}
                </Select>
              )}
            </Field>
          </div>
          <div className="mt-3">
            <FormAlert form={form} />
          </div>
          <Button type="submit" className="mt-3" disabled={formState.isSubmitting}>
            {formState.isSubmitting ? 'Granting…' : 'Grant capability'}
          </Button>
        </>
      )}
    </form>
  );
}
