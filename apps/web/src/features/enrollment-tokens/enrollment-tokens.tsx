'use client';

import { createEnrollmentTokenSchema } from '@aim/contracts';
import Link from 'next/link';
import { useEffect, useRef, useState } from 'react';
import { api, errorMessage } from '@/api/client';
import type { components } from '@/api/schema';
import { must, useApiQuery } from '@/data/query';
import { useCapabilityCatalog } from '@/data/catalog';
import { useAgentNames } from '@/components/agent-names';
import { useCan, useSession } from '@/components/session';
import { Empty, Failed, Loading } from '@/components/states';
import { Field, FormAlert, blank, failWith, useSchemaForm } from '@/components/form';
import { Button } from '@/components/ui/button';
import { Input, Select } from '@/components/ui/input';
import { Badge, EXPIRIES, PageTitle, button, danger, input, when } from '@/components/ui';

type Token = components['schemas']['EnrollmentToken'];
type Capability = components['schemas']['Capability'];
type Created = components['schemas']['CreatedEnrollmentToken'];

function stateOf(t: Token): string {
  if (t.revokedAt) return 'revoked';
  if (t.usedAt) return 'used';
  if (new Date(t.expiresAt).getTime() <= Date.now()) return 'expired';
  return 'active';
}

/** One-time enrollment tokens: agents that register themselves use one. Members create their own; managers and admins see all. */
export function EnrollmentTokens() {
  const can = useCan();
  const { me } = useSession();
  const [created, setCreated] = useState<Created | null>(null);
  const [confirming, setConfirming] = useState<string | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);

  const { data: rows, error, retry, refresh } = useApiQuery({
    key: ['/api/v1/enrollment-tokens'],
    topics: ['enrollment_token', 'agent'],
    enabled: can.create,
    fetch: async () => [...must(await api.GET('/api/v1/enrollment-tokens')).enrollmentTokens].sort((a, b) => b.createdAt.localeCompare(a.createdAt)),
  });
  const agentNames = useAgentNames((rows ?? []).flatMap((t) => (t.agentId ? [t.agentId] : [])));

  if (!can.create) {
    return (
      <section aria-labelledby="tokens-title">
        <PageTitle id="tokens-title">Enrollment tokens</PageTitle>
        <p role="note" className="rounded border border-slate-200 bg-white p-4 text-sm text-slate-700">
          Enrollment tokens are created and listed by members, managers and admins. Your role ({can.role ?? 'none'}) cannot see or create them.
        </p>
      </section>
    );
  }

  const revoke = async (id: string) => {
    setActionError(null);
    const { error: e } = await api.DELETE('/api/v1/enrollment-tokens/{enrollmentTokenId}', { params: { path: { enrollmentTokenId: id } } });
    setConfirming(null);
    if (e) return setActionError(errorMessage(e));
    await refresh();
  };

  return (
    <section aria-labelledby="tokens-title">
      <PageTitle id="tokens-title">Enrollment tokens</PageTitle>
      <CreateToken
        onCreated={(token) => {
          setCreated(token);
          void refresh();
        }}
      />
      {created && <ShownOnce created={created} current={rows?.find((t) => t.id === created.enrollmentToken.id)} dismiss={() => setCreated(null)} />}
      {actionError && (
        <p role="alert" className="mb-3 rounded border border-red-200 bg-red-50 p-3 text-sm text-red-800">
          {actionError}
        </p>
      )}
      <h2 className="mb-2 mt-6 text-lg font-semibold">{can.manage ? 'All tokens' : 'Your tokens'}</h2>
      {error ? (
        <Failed message={error} retry={retry} />
      ) : rows === null ? (
        <Loading what="enrollment tokens" />
      ) : rows.length === 0 ? (
        <Empty>No enrollment tokens yet. Create one above and hand it to the agent’s process.</Empty>
      ) : (
        <ul className="divide-y divide-slate-100 rounded border border-slate-200 bg-white">
          {rows.map((t) => {
            const state = stateOf(t);
            const mayRevoke = state === 'active' && (can.manage || t.createdBy === me?.user.id);
            return (
              <li key={t.id} data-token-id={t.id} className="flex flex-wrap items-center gap-x-4 gap-y-2 px-3 py-2 text-sm">
                <div className="min-w-0 flex-1">
                  <div className="font-medium wrap-anywhere">{t.name ?? 'Unnamed token'}</div>
                  <div className="text-xs wrap-anywhere text-slate-500">
                    {t.capabilities.length ? t.capabilities.join(', ') : 'No capabilities declared'} · created {when(t.createdAt)} ·{' '}
                    {state === 'used' ? `used ${when(t.usedAt)}` : `expires ${when(t.expiresAt)}`}
                    {t.agentId && (
                      <>
                        {' · enrolled '}
                        <Link href={`/agents/detail/?id=${encodeURIComponent(t.agentId)}`} className="underline" title={t.agentId}>
                          {agentNames.get(t.agentId) ?? t.agentId}
                        </Link>
                      </>
                    )}
                  </div>
                </div>
                <Badge>{state}</Badge>
                {mayRevoke &&
                  (confirming === t.id ? (
                    <span className="flex flex-wrap items-center gap-2" role="group" aria-label={`Confirm revoking ${t.name ?? t.id}`}>
                      <span>Revoke this token?</span>
                      <button type="button" className={danger} onClick={() => void revoke(t.id)}>
                        Yes, revoke
                      </button>
                      <button type="button" autoFocus className={button} onClick={() => setConfirming(null)}>
                        Cancel
                      </button>
                    </span>
                  ) : (
                    <button type="button" className={button} onClick={() => setConfirming(t.id)} aria-label={`Revoke ${t.name ?? t.id}`}>
                      Revoke
                    </button>
                  ))}
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}

function CreateToken({ onCreated }: { onCreated: (created: Created) => void }) {
  const form = useSchemaForm(createEnrollmentTokenSchema, { defaultValues: { capabilities: [], expiresInSeconds: EXPIRIES[1]!.seconds } });
  const { register, handleSubmit, formState } = form;

  const { data: catalog, error: catalogError, retry: retryCatalog } = useCapabilityCatalog();

  const submit = handleSubmit(async (body) => {
    const { data, error } = await api.POST('/api/v1/enrollment-tokens', { body });
    if (!data) return failWith(form, error);
    form.reset();
    onCreated(data);
  });

  return (
    <form onSubmit={(e) => void submit(e)} noValidate aria-labelledby="create-token-title" className="rounded border border-slate-200 bg-white p-4">
      <h2 id="create-token-title" className="mb-3 text-lg font-semibold">
        Create a token
      </h2>
      <div className="flex flex-wrap gap-4">
        <Field id="token-name" label="Agent name" error={formState.errors.name?.message} className="flex-1">
          {(aria) => <Input {...aria} {...register('name', blank)} placeholder="invoice-bot" />}
        </Field>
        <Field id="token-expires" label="Expires in">
          {(aria) => (
            <Select {...aria} {...register('expiresInSeconds', { valueAsNumber: true })}>
              {EXPIRIES.map((x) => (
                <option key={x.seconds} value={x.seconds}>
                  {x.label}
                </option>
              ))}
            </Select>
          )}
        </Field>
      </div>
      <fieldset className="mt-3">
        <legend className="text-sm">Capabilities the agent will request</legend>
        {catalogError ? (
          <Failed message={catalogError} retry={retryCatalog} />
        ) : catalog === null ? (
          <Loading what="capabilities" />
        ) : catalog.length === 0 ? (
          <p className="text-sm text-slate-600">The capability catalog is empty: the agent can enroll without requesting any.</p>
        ) : (
          <div className="mt-1 flex flex-wrap gap-x-4 gap-y-1">
            {catalog.map((c) => (
              <label key={c.id} className="flex items-center gap-1 text-sm">
                <input type="checkbox" value={c.name} {...register('capabilities')} />
                {c.name} <Badge>{c.riskLevel}</Badge>
              </label>
            ))}
          </div>
        )}
      </fieldset>
      <div className="mt-3">
        <FormAlert form={form} />
      </div>
      <Button type="submit" disabled={formState.isSubmitting} className="mt-4">
        {formState.isSubmitting ? 'Creating…' : 'Create token'}
      </Button>
    </form>
  );
}

/** A text to paste, with its own Copy button (the clipboard may be refused: the text stays selectable). */
function CopyBlock({ id, label, text }: { id: string; label: string; text: string }) {
  const [copied, setCopied] = useState<boolean | null>(null);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setCopied(true);
    } catch {
      setCopied(false);
    }
  };
  return (
    <div className="mt-2">
      <div className="flex items-center justify-between gap-2">
        <span id={`${id}-label`} className="text-xs font-medium text-slate-700">
          {label}
        </span>
        <button type="button" className={button} onClick={() => void copy()} aria-label={`Copy ${label.toLowerCase()}`}>
          Copy
        </button>
      </div>
      <pre
        id={id}
        aria-labelledby={`${id}-label`}
        tabIndex={0}
        className="mt-1 overflow-x-auto rounded border border-slate-200 bg-slate-900 p-3 font-mono text-xs whitespace-pre text-slate-100"
      >
        {text}
      </pre>
      <p aria-live="polite" className="mt-1 text-xs text-slate-600">
        {copied === true ? 'Copied to the clipboard.' : copied === false ? 'Could not copy: select the text and copy it by hand.' : ''}
      </p>
    </div>
  );
}

/** The deployment's address as the server reports it (GET /api/v1/meta), the `baseUrl` an agent uses. */
function useBaseUrl(): string | null {
  const [baseUrl, setBaseUrl] = useState<string | null>(null);
  useEffect(() => {
    void api.GET('/api/v1/meta').then(({ data }) => setBaseUrl(data?.baseUrl ?? null));
  }, []);
  return baseUrl;
}

/** What the agent's process needs: the token in its environment and the few lines that enroll it. */
function enrollmentSnippet(token: string, baseUrl: string, agentName: string): { shell: string; code: string } {
  return {
    shell: `export AIM_ENROLLMENT_TOKEN=${token}`,
    code: [
      "import { secure } from '@aim/sdk';",
      '',
      `const agent = await secure(${JSON.stringify(agentName)}, {`,
      `  baseUrl: ${JSON.stringify(baseUrl)},`,
      '  enrollmentToken: process.env.AIM_ENROLLMENT_TOKEN,',
      '});',
    ].join('\n'),
  };
}

/** Whether the agent has enrolled with the new token yet, live (the list refreshes on agent and token changes). */
function Enrollment({ current }: { current: Token | undefined }) {
  const names = useAgentNames(current?.agentId ? [current.agentId] : []);
  if (current?.agentId) {
    const name = names.get(current.agentId) ?? current.agentId;
    return (
      <p role="status" className="mt-3 rounded border border-emerald-400 bg-white p-3 text-emerald-900">
        <span className="font-semibold">{name}</span> enrolled {when(current.usedAt)}.{' '}
        <Link href={`/agents/detail/?id=${encodeURIComponent(current.agentId)}`} className="underline">
          Open {name}
        </Link>
      </p>
    );
  }
  const state = current ? stateOf(current) : 'active';
  return (
    <p role="status" className="mt-3 flex items-center gap-2 rounded border border-slate-200 bg-white p-3 text-slate-700">
      {state === 'active' ? (
        <>
          <span aria-hidden="true" className="inline-block h-3 w-3 animate-pulse rounded-full bg-amber-400" />
          Waiting for the agent to enroll with this token…
        </>
      ) : (
        <>This token is {state}: no agent can enroll with it. Create a new one.</>
      )}
    </p>
  );
}

function ShownOnce({ created, current, dismiss }: { created: Created; current: Token | undefined; dismiss: () => void }) {
  const token = created.token;
  const baseUrl = useBaseUrl();
  const snippet = baseUrl ? enrollmentSnippet(token, baseUrl, created.enrollmentToken.name ?? 'my-agent') : null;
  const [copied, setCopied] = useState<boolean | null>(null);
  // Focus moves to the new token, so keyboard and screen-reader users learn it is there.
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(token);
      setCopied(true);
    } catch {
      setCopied(false);
    }
  };
  return (
    <div role="region" aria-labelledby="new-token-title" className="mt-4 rounded border border-emerald-300 bg-emerald-50 p-4 text-sm">
      <h2 id="new-token-title" ref={heading} tabIndex={-1} className="font-semibold">
        Token created
      </h2>
      <p className="mb-2 text-slate-700">Copy it now: AIM shows it only once. Give it to the agent as its enrollment token.</p>
      <div className="flex flex-wrap gap-2">
        <label htmlFor="new-token" className="sr-only">
          New enrollment token
        </label>
        <input
          id="new-token"
          readOnly
          value={token}
          onFocus={(e) => e.target.select()}
          className={`${input} min-w-0 flex-1 font-mono text-xs`}
        />
        <button type="button" className={button} onClick={() => void copy()}>
          Copy
        </button>
        <button type="button" className={button} onClick={dismiss}>
          Done
        </button>
      </div>
      <p aria-live="polite" className="mt-1 text-xs text-slate-600">
        {copied === true ? 'Copied to the clipboard.' : copied === false ? 'Could not copy: select the token and copy it by hand.' : ''}
      </p>
      <h3 className="mt-3 font-semibold">Enroll the agent</h3>
      <p className="text-slate-700">
        In the agent&rsquo;s project, install the TypeScript SDK <code>@aim/sdk</code> (its README, <code>packages/sdk/README.md</code> in AIM&rsquo;s
        source, says how), then give the process the token and call <code>secure()</code>. The first run creates the agent&rsquo;s key pair and
        enrolls it; later runs reuse its credentials file.
      </p>
      {snippet ? (
        <>
          <CopyBlock id="snippet-shell" label="Environment variable" text={snippet.shell} />
          <CopyBlock id="snippet-code" label="TypeScript code" text={snippet.code} />
        </>
      ) : (
        <Loading what="the server's address" />
      )}
      <Enrollment current={current} />
    </div>
  );
}
