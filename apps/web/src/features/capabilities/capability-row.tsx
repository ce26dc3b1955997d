'use client';

import { Pencil, Trash2 } from 'lucide-react';
import { useState } from 'react';
import { api, errorMessage } from '@/api/client';
import type { components } from '@/api/schema';
import { Badge, when } from '@/components/ui';
import { Button } from '@/components/ui/button';
import { ConfirmDialog } from '@/components/ui/dialog';
import { EditCapability } from '@/features/capabilities/capability-forms';

type Capability = components['schemas']['Capability'];

export function CapabilityRow({ capability: c, mayManage, onChange }: { capability: Capability; mayManage: boolean; onChange: () => void }) {
  const [editing, setEditing] = useState(false);
  const remove = async () => {
    const { error } = await api.DELETE('/api/v1/capabilities/{capabilityId}', { params: { path: { capabilityId: c.id } } });
    if (error) return errorMessage(error);
    onChange();
  };
  return (
    <li data-capability={c.name} className="flex flex-wrap items-start gap-x-4 gap-y-2 px-3 py-3 text-sm">
      <div className="min-w-0 flex-1">
        <div className="flex flex-wrap items-center gap-2">
          <code className="font-semibold break-all">{c.name}</code>
          <span data-testid="risk">
            <Badge>{c.riskLevel}</Badge>
          </span>
        </div>
        <p className="mt-1 text-slate-700 wrap-anywhere" data-testid="description">
          {c.description ?? <span className="text-slate-500">No description</span>}
        </p>
        <p className="mt-1 text-xs text-slate-500">
          Added {when(c.createdAt)}
          {c.updatedAt !== c.createdAt && ` · changed ${when(c.updatedAt)}`}
        </p>
      </div>
      {mayManage && (
        <div className="flex flex-wrap gap-2">
          <ConfirmDialog
            trigger={
              <Button variant="outline" size="sm" aria-label={`Delete ${c.name}`}>
                <Trash2 aria-hidden /> Delete
              </Button>
            }
            title={`Delete ${c.name}?`}
            description={
              <>
                Only a capability that was never granted or requested can leave the catalog. If any agent holds or held a grant of it, or asked for it, AIM
                refuses and keeps it (grants and requests are history): revoke its grants on the agents’ pages instead. Once deleted, agents asking for{' '}
                <code>{c.name}</code> are denied as outside the catalog.
              </>
            }
            confirmLabel="Delete capability"
            onConfirm={remove}
          />
          <EditCapability
            capability={c}
            open={editing}
            onOpenChange={setEditing}
            onSaved={onChange}
            trigger={
              <Button variant="outline" size="sm" aria-label={`Edit ${c.name}`}>
                <Pencil aria-hidden /> Edit
              </Button>
            }
          />
        </div>
      )}
    </li>
  );
}
