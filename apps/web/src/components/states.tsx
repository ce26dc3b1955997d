import type { ReactNode } from 'react';

/** The three states every list has besides its rows. */
export function Loading({ what }: { what: string }) {
  return (
    <p className="p-4 text-sm text-slate-500" aria-busy="true">
      Loading {what}…
    </p>
  );
}

export function Failed({ message, retry }: { message: string; retry: () => void }) {
  return (
    <div role="alert" className="rounded border border-red-200 bg-red-50 p-4 text-sm text-red-800">
      <p>{message}</p>
      <button type="button" onClick={retry} className="mt-2 underline">
        Try again
      </button>
    </div>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="rounded border border-dashed border-slate-300 p-6 text-center text-sm text-slate-600">{children}</p>;
}
