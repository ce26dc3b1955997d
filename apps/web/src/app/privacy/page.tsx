'use client';

import { useState } from 'react';
import { useCan } from '@/components/session';
import { PageTitle } from '@/components/ui';
import { ReadOnlyNote } from '@/components/organization-parts';
import { PrivacyPeople } from '@/features/privacy/privacy-people';
import { PrivacyRequests } from '@/features/privacy/privacy-requests';

/** Personal data (docs/privacy.md): export and erase a person, and the record of both. Admins only. */
export default function Privacy() {
  const can = useCan();
  const [version, setVersion] = useState(0);
  return (
    <section aria-labelledby="privacy-title">
      <PageTitle id="privacy-title">Privacy</PageTitle>
      {can.has('privacy.manage') ? (
        <div className="flex flex-col gap-6">
          <PrivacyPeople onErased={() => setVersion((v) => v + 1)} />
          <PrivacyRequests version={version} />
        </div>
      ) : (
        <ReadOnlyNote>Exporting and erasing people’s data is for admins (privacy.manage); your role is {can.role ?? 'none'}.</ReadOnlyNote>
      )}
    </section>
  );
}
