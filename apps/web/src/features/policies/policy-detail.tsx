'use client';

import { Pencil, Trash2 } from 'lucide-react';
import Link from 'next/link';
import { useSearchParams } from 'next/navigation';
import { Suspense, useState } from 'react';
import { api, errorMessage } from '@/api/client';
import type { components } from '@/api/schema';
import { useApiQuery } from '@/data/query';
import { useCan } from '@/components/session';
import { Empty, Failed, Loading } from '@/components/states';
import { Badge, when } from '@/components/ui';
import { Button } from '@/components/ui/button';
import { ConfirmDialog } from '@/components/ui/dialog';
import { Settings } from '@/features/policies/policy-settings';
import { EditPolicy, History, ModeSwitch } from '@/features/policies/policy-changes';

type Policy = components['schemas']['Policy'];
type Version = components['schemas']['PolicyVersionList']['versions'][number];

interface Loaded {
  policy: Policy;
  versions: Version[];
  /** Who made changes: people by user id, API keys by id (only the keys the reader may list). */
  people: Map<string, string>;
  keys: Map<string, string>;
}

/** One policy: its settings, edit form, mode switch, deletion and version history. */
export function PolicyDetailView() {
  return (
    <Suspense fallback={<Loading what="the policy" />}>
      <PolicyDetail />
    </Suspense>
  );
}

function PolicyDetail() {
  const id = useSearchParams().get('id') ?? '';
  const can = useCan();
  const mayManage = can.has('policy.manage');
  const [editing, setEditing] = useState(false);

  const fetchAll = async (): Promise<Loaded> => {
    const path = { params: { path: { policyId: id } } };
    const [policy, versions, members, keys] = await Promise.all([
      api.GET('/api/v1/policies/{policyId}', path),
      api.GET('/api/v1/policies/{policyId}/versions', path),
      api.GET('/api/v1/members'),
      api.GET('/api/v1/api-keys'),
    ]);
    if (!policy.data) throw new Error(errorMessage(policy.error));
    if (!versions.data) throw new Error(errorMessage(versions.error));
    return {
      policy: policy.data.policy,
      versions: [...versions.data.versions].sort((a, b) => b.version - a.version),
      people: new Map((members.data?.members ?? []).map((m) => [m.user.id, m.user.name])),
      keys: new Map((keys.data?.apiKeys ?? []).map((k) => [k.id, k.name])),
    };
  };

  const { data, error, retry, refresh } = useApiQuery({ key: ['policy-page', id], topics: ['policy'], enabled: id !== '', fetch: fetchAll });

  if (!id)
    return (
      <Empty>
        No policy chosen.{' '}
        <Link href="/policies/" className="underline">
          Back to the policies
        </Link>
        .
      </Empty>
    );
  if (error) return <Failed message={error} retry={retry} />;
  if (!data) return <Loading what="the policy" />;
  const { policy } = data;
  const deleted = policy.deletedAt !== null;
  const controls = mayManage && !deleted;

  return (
    <section aria-labelledby="policy-title" className="min-w-0 space-y-6">
      <div>
        <Link href="/policies/" className="text-sm text-slate-600 underline">
          ← Policies
        </Link>
        <div className="mt-1 flex flex-wrap items-center gap-3">
          <h1 id="policy-title" className="mr-auto text-2xl font-semibold wrap-anywhere">
            {policy.name}
          </h1>
          <span data-testid="policy-mode">
            <Badge>{policy.mode}</Badge>
          </span>
          {deleted && <Badge>deleted</Badge>}
        </div>
        {deleted && (
          <p role="note" className="mt-2 rounded border border-slate-300 bg-slate-50 p-3 text-sm">
            This policy was deleted {when(policy.deletedAt)}: it no longer applies, and it cannot be changed. Its history is kept below.
          </p>
        )}
      </div>

      {controls && (
        <div className="flex flex-wrap gap-2" role="group" aria-label="Policy actions">
          <ModeSwitch policy={policy} onChange={refresh} />
          {!editing && (
            <Button variant="outline" onClick={() => setEditing(true)}>
              <Pencil aria-hidden /> Edit policy
            </Button>
          )}
          <ConfirmDialog
            trigger={
              <Button variant="outline">
                <Trash2 aria-hidden /> Delete policy
              </Button>
            }
            title={`Delete ${policy.name}?`}
            description="The policy stops applying from the next decision. Deleting makes a last version marked deleted; the history stays readable, and decisions already made still name the versions they used. A deleted policy cannot be restored: create a new one instead."
            confirmLabel="Delete policy"
            onConfirm={async () => {
              const { error: e } = await api.DELETE('/api/v1/policies/{policyId}', { params: { path: { policyId: policy.id } } });
              if (e) return errorMessage(e);
              setEditing(false);
              await refresh();
            }}
          />
        </div>
      )}

      {controls && editing ? (
        <EditPolicy
          policy={policy}
          onDone={async (saved) => {
            setEditing(false);
            if (saved) await refresh();
          }}
        />
      ) : (
        <Settings policy={policy} />
      )}

      <History versions={data.versions} people={data.people} keys={data.keys} />
    </section>
  );
}
