'use client';

import { Download, UserX } from 'lucide-react';
import { useId, useState } from 'react';
import { api, errorMessage } from '@/api/client';
import type { components } from '@/api/schema';
import { Cell, NoticeLine, StackedTable, stacked, type Notice } from '@/components/organization-parts';
import { Resource } from '@/components/resource-list';
import { must, useApiQuery } from '@/data/query';
import { Badge, button } from '@/components/ui';
import { Button } from '@/components/ui/button';
import { Card, CardTitle } from '@/components/ui/card';
import { ConfirmDialog } from '@/components/ui/dialog';
import { Input } from '@/components/ui/input';
import { Label } from '@/components/ui/label';

type Member = components['schemas']['Member'];

/** The organization's people: find one, download everything AIM holds about them, or erase them. */
export function PrivacyPeople({ onErased }: { onErased: () => void }) {
  const [query, setQuery] = useState('');
  const [notice, setNotice] = useState<Notice>(null);
  const searchId = useId();
  const { data: rows, error, retry, refresh } = useApiQuery({
    key: ['/api/v1/members'],
    topics: ['user', 'member', 'membership'],
    fetch: async () => [...must(await api.GET('/api/v1/members')).members].sort((a, b) => a.user.name.localeCompare(b.user.name)),
  });
  const needle = query.trim().toLowerCase();
  const matching = (rows ?? []).filter((m) => !needle || m.user.name.toLowerCase().includes(needle) || m.user.email.toLowerCase().includes(needle));

  const erased = async (m: Member) => {
    setNotice({ ok: true, text: `${m.user.name} was erased: their key is destroyed and their access ended.` });
    onErased();
    await refresh();
  };

  return (
    <Card aria-labelledby="privacy-people-title">
      <CardTitle id="privacy-people-title">People</CardTitle>
      <div className="mb-3 max-w-sm">
        <Label htmlFor={searchId}>Find a person</Label>
        <Input id={searchId} type="search" value={query} onChange={(e) => setQuery(e.target.value)} placeholder="Name or email" />
      </div>
      <NoticeLine notice={notice} />
      <Resource query={{ data: rows, error, retry }} what="people" empty={<>No members yet.</>}>
        {() =>
          matching.length === 0 ? (
            <p className="text-sm text-slate-700">Nobody matches “{query}”.</p>
          ) : (
            <StackedTable columns={['Name', 'Email', 'Role']} actions>
              {matching.map((m) => (
                <tr key={m.user.id} data-person-id={m.user.id} className={stacked.row}>
                  <Cell className="font-medium">{m.user.name}</Cell>
                  <Cell label="Email">{m.user.email}</Cell>
                  <Cell label="Role">
                    <Badge>{m.role}</Badge>
                  </Cell>
                  <Cell>
                    <div className="mt-1 flex flex-wrap gap-2 md:mt-0">
                      <a
                        href={`/api/v1/privacy/people/${m.user.id}/export`}
                        download={`aim-person-${m.user.id}.json`}
                        className={button}
                        aria-label={`Export the data of ${m.user.name}`}
                      >
                        <Download aria-hidden className="size-4" />
                        Export
                      </a>
                      <EraseButton member={m} onErased={() => erased(m)} />
                    </div>
                  </Cell>
                </tr>
              ))}
            </StackedTable>
          )
        }
      </Resource>
    </Card>
  );
}

/** Erasure behind a dialog that says what happens and asks for the person's email. */
function EraseButton({ member, onErased }: { member: Member; onErased: () => Promise<void> }) {
  const [confirm, setConfirm] = useState('');
  const confirmId = useId();
  const erase = async () => {
    const { data, error } = await api.POST('/api/v1/privacy/people/{userId}/erasure', {
      params: { path: { userId: member.user.id } },
      body: { confirm },
    });
    if (!data) return errorMessage(error);
    setConfirm('');
    await onErased();
  };
  return (
    <ConfirmDialog
      trigger={
        <Button variant="outline" size="sm" aria-label={`Erase ${member.user.name}`}>
          <UserX aria-hidden />
          Erase
        </Button>
      }
      title={`Erase ${member.user.name}?`}
      description={
        <>
          This cannot be undone. Their personal key is destroyed, so their email, name, and the addresses and browsers they
          used become unreadable everywhere, the audit log included (which still verifies). Their membership, sessions,
          passkeys and sign-in links are deleted, the API keys they created are revoked, and their access ends at once.
          Agents they own keep running without a reachable owner. Download their export first if it is needed.
        </>
      }
      confirmLabel="Erase permanently"
      onConfirm={erase}
    >
      <div className="mb-3">
        <Label htmlFor={confirmId}>Type {member.user.email} to confirm</Label>
        <Input id={confirmId} value={confirm} autoComplete="off" onChange={(e) => setConfirm(e.target.value)} />
      </div>
    </ConfirmDialog>
  );
}
