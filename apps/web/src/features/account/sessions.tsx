'use client';

import { Laptop } from 'lucide-react';
import { api, errorMessage } from '@/api/client';
import type { components } from '@/api/schema';
import { Resource } from '@/components/resource-list';
import { must, useApiQuery } from '@/data/query';
import { useSession } from '@/components/session';
import { when } from '@/components/ui';
import { Button } from '@/components/ui/button';
import { Card, CardDescription, CardTitle } from '@/components/ui/card';
import { ConfirmDialog } from '@/components/ui/dialog';

type Session = components['schemas']['Session'];

/** "Chrome on Linux" from a user agent string; the raw string stays available under it. */
function describeAgent(ua: string | null): string {
  if (!ua) return 'Unknown device';
  const browser = /Edg\//.test(ua)
    ? 'Edge'
    : /Firefox\//.test(ua)
      ? 'Firefox'
      : /HeadlessChrome\//.test(ua)
        ? 'Headless Chrome'
        : /Chrome\/|Chromium\//.test(ua)
          ? 'Chrome'
          : /Safari\//.test(ua)
            ? 'Safari'
            : null;
  const os = /Android/.test(ua)
    ? 'Android'
    : /iPhone|iPad/.test(ua)
      ? 'iOS'
      : /Windows/.test(ua)
        ? 'Windows'
        : /Mac OS X|Macintosh/.test(ua)
          ? 'macOS'
          : /Linux/.test(ua)
            ? 'Linux'
            : null;
  if (browser && os) return `${browser} on ${os}`;
  return browser ?? os ?? 'Other client';
}

const METHOD: Record<Session['authMethod'], string> = { passkey: 'passkey', oidc: 'identity provider', setup: 'setup link' };

export function Sessions() {
  const { reload } = useSession();

  const {
    data: rows,
    error,
    retry,
    refresh,
  } = useApiQuery({
    key: ['/api/v1/me/sessions'],
    topics: ['session'],
    fetch: async () =>
      [...must(await api.GET('/api/v1/me/sessions')).sessions].sort(
        (a, b) => Number(b.current) - Number(a.current) || b.lastSeenAt.localeCompare(a.lastSeenAt),
      ),
  });

  const end = async (s: Session) => {
    if (s.current) {
      // Ending this browser's session: sign out, which also clears its cookies.
      const { error: e } = await api.POST('/api/v1/auth/sign-out');
      if (e) return errorMessage(e);
      await reload();
      return;
    }
    const { error: e } = await api.DELETE('/api/v1/me/sessions/{sessionId}', { params: { path: { sessionId: s.id } } });
    if (e) return errorMessage(e);
    await refresh();
  };

  return (
    <Card aria-labelledby="sessions-title">
      <CardTitle id="sessions-title">Sessions</CardTitle>
      <CardDescription>
        Where you are signed in, and from which address each session signed in. End a session you do not recognise: that browser is signed out at its next
        request.
      </CardDescription>
      <Resource query={{ data: rows, error, retry }} what="your sessions" empty={<>No open sessions.</>}>
        {(rows) => (
          <ul className="divide-y divide-slate-100 text-sm" aria-label="Your sessions">
            {rows.map((s) => {
              const device = describeAgent(s.userAgent);
              return (
                <li key={s.id} data-session-id={s.id} className="flex flex-wrap items-start gap-x-4 gap-y-2 py-3">
                  <Laptop className="mt-0.5 size-4 shrink-0 text-slate-500" aria-hidden />
                  <div className="min-w-0 flex-1">
                    <div className="flex flex-wrap items-center gap-2">
                      <span className="font-medium">{device}</span>
                      {s.current && (
                        <span className="rounded bg-emerald-100 px-2 py-0.5 text-xs text-emerald-900" data-testid="this-browser">
                          this browser
                        </span>
                      )}
                    </div>
                    {s.userAgent && <div className="text-xs wrap-anywhere text-slate-500">{s.userAgent}</div>}
                    <div className="mt-1 text-xs text-slate-600">
                      Signed in with {METHOD[s.authMethod]} {when(s.createdAt)} from {s.clientIp ?? 'an unrecorded address'} · last used {when(s.lastSeenAt)} ·
                      expires {when(s.expiresAt)}
                    </div>
                  </div>
                  <ConfirmDialog
                    trigger={
                      <Button
                        variant="outline"
                        size="sm"
                        aria-label={s.current ? 'Sign out here, in this browser' : `End session ${device}, signed in ${when(s.createdAt)}`}
                      >
                        {s.current ? 'Sign out here' : 'End session'}
                      </Button>
                    }
                    title={s.current ? 'Sign out of this browser?' : 'End this session?'}
                    description={
                      s.current
                        ? 'This is the session you are using: ending it signs you out here. Sign in again with a passkey or your identity provider.'
                        : `${device}, signed in ${when(s.createdAt)}, is signed out at its next request.`
                    }
                    confirmLabel={s.current ? 'Sign out' : 'End session'}
                    onConfirm={() => end(s)}
                  />
                </li>
              );
            })}
          </ul>
        )}
      </Resource>
    </Card>
  );
}
