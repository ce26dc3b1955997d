'use client';

import { PageTitle } from '@/components/ui';
import { OrganizationSettings } from '@/features/settings/organization';
import { IdentityProviders } from '@/features/settings/identity-providers';
import { Domains } from '@/features/settings/domains';

/** The organization's settings, its identity providers and its claimed email domains. */
export default function Settings() {
  return (
    <section aria-labelledby="settings-title">
      <PageTitle id="settings-title">Settings</PageTitle>
      <div className="flex flex-col gap-6">
        <OrganizationSettings />
        <IdentityProviders />
        <Domains />
      </div>
    </section>
  );
}
