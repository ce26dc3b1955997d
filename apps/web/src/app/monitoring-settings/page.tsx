'use client';

import { MonitoringSettingsView } from '@/features/monitoring-settings/monitoring-settings';

/** Monitoring settings (admins): learning days, automatic suspension, each detector; and the learning findings. */
export default function Page() {
  return <MonitoringSettingsView />;
}
