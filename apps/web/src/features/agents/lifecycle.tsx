'use client';

import { agentLifecycleSchema } from '@aim/contracts';
import { useState } from 'react';
import { api } from '@/api/client';
import type { components } from '@/api/schema';
import { Field, FormAlert, blank, failWith, useSchemaForm } from '@/components/form';
import { Input } from '@/components/ui/input';
import { button, danger, primary } from '@/components/ui';
import { Card, useMayManage } from '@/features/agents/identity';

type Agent = components['schemas']['Agent'];
type Action = 'suspend' | 'reactivate' | 'revoke';

const ACTION_LABEL: Record<Action, string> = { suspend: 'Suspend', reactivate: 'Reactivate', revoke: 'Revoke' };

export function Lifecycle({ agent, onChange }: { agent: Agent; onChange: () => Promise<void> }) {
  const mayManage = useMayManage(agent);
  const [action, setAction] = useState<Action | null>(null);
  const form = useSchemaForm(agentLifecycleSchema);
  const { register, formState } = form;
  if (!mayManage) return null;
  const available: Action[] = agent.status === 'active' ? ['suspend', 'revoke'] : agent.status === 'suspended' ? ['reactivate', 'revoke'] : [];

  const run = form.handleSubmit(async (body) => {
    if (!action) return;
    const params = { params: { path: { agentId: agent.id } }, body };
    const { error } =
      action === 'suspend'
        ? await api.POST('/api/v1/agents/{agentId}/suspend', params)
        : action === 'reactivate'
          ? await api.POST('/api/v1/agents/{agentId}/reactivate', params)
          : await api.POST('/api/v1/agents/{agentId}/revoke', params);
    if (error) return failWith(form, error);
    setAction(null);
    form.reset();
    await onChange();
  });

  return (
    <Card id="lifecycle-title" title="Lifecycle">
      {available.length === 0 ? (
        <p className="text-sm text-slate-600">This agent is revoked; revocation is final.</p>
      ) : action === null ? (
        <div className="flex flex-wrap gap-2">
          {available.map((a) => (
            <button key={a} type="button" className={a === 'reactivate' ? primary : a === 'revoke' ? danger : button} onClick={() => setAction(a)}>
              {ACTION_LABEL[a]}
            </button>
          ))}
        </div>
      ) : (
        <form className="space-y-2" noValidate onSubmit={(e) => void run(e)}>
          <p className="text-sm">
            {action === 'revoke'
              ? 'Revoke this agent? Revocation is final.'
              : action === 'suspend'
                ? 'Suspend this agent? Its requests are refused until it is reactivated.'
                : 'Reactivate this agent?'}
          </p>
          <Field id="lifecycle-reason" label="Reason (optional)" error={formState.errors.reason?.message}>
            {(aria) => <Input {...aria} {...register('reason', blank)} />}
          </Field>
          <FormAlert form={form} />
          <div className="flex flex-wrap gap-2">
            <button type="submit" disabled={formState.isSubmitting} className={action === 'reactivate' ? primary : danger}>
              Confirm {ACTION_LABEL[action].toLowerCase()}
            </button>
            <button
              type="button"
              className={button}
              onClick={() => {
                setAction(null);
                form.reset();
              }}
            >
              Cancel
            </button>
          </div>
        </form>
      )}
    </Card>
  );
}
