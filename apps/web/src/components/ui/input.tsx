import type { ComponentProps } from 'react';
import { cn } from '@/lib/utils';

const field =
  'rounded border border-slate-300 bg-white px-2 py-1 text-sm aria-invalid:border-red-600 disabled:opacity-50 min-w-0';

/** shadcn/ui's input, textarea and a native select (native, so phones show their own picker). */
export function Input({ className, ...props }: ComponentProps<'input'>) {
  return <input className={cn(field, className)} {...props} />;
}

export function Textarea({ className, ...props }: ComponentProps<'textarea'>) {
  return <textarea className={cn(field, 'min-h-16', className)} {...props} />;
}

export function Select({ className, ...props }: ComponentProps<'select'>) {
  return <select className={cn(field, className)} {...props} />;
}

export const fieldClass = field;
