'use client';

import Link from 'next/link';
import { useEffect, useRef, useState } from 'react';
import { api } from '@/api/client';
import type { components } from '@/api/schema';
import { useAgentNames } from '@/components/agent-names';
import { Loading } from '@/components/states';
import { button, input, when } from '@/components/ui';

type Token = components['schemas']['EnrollmentToken'];
type Created = components['schemas']['CreatedEnrollmentToken'];

export function stateOf(t: Token): string {
  if (t.revokedAt) return 'revoked';
  if (t.usedAt) return 'used';
  if (new Date(t.expiresAt).getTime() <= Date.now()) return 'expired';
  return 'active';
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
export function Enrollment({ current }: { current: Token | undefined }) {
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

export function ShownOnce({ created, current, dismiss }: { created: Created; current: Token | undefined; dismiss: () => void }) {
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
        <input id="new-token" readOnly value={token} onFocus={(e) => e.target.select()} className={`${input} min-w-0 flex-1 font-mono text-xs`} />
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
        In the agent&rsquo;s project, install the TypeScript SDK <code>@aim/sdk</code> (its README, <code>packages/sdk/README.md</code> in AIM&rsquo;s source,
        says how), then give the process the token and call <code>secure()</code>. The first run creates the agent&rsquo;s key pair and enrolls it; later runs
        reuse its credentials file.
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
