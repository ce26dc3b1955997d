import type { Metadata, Viewport } from 'next';
import type { ReactNode } from 'react';
import { SessionProvider } from '@/components/session';
import { Shell } from '@/components/shell';
import { QueryProvider } from '@/data/query';
import './globals.css';

export const metadata: Metadata = { title: 'AIM', description: 'Agent Identity Management' };
export const viewport: Viewport = { width: 'device-width', initialScale: 1 };

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        <SessionProvider>
          <QueryProvider>
            <Shell>{children}</Shell>
          </QueryProvider>
        </SessionProvider>
      </body>
    </html>
  );
}
