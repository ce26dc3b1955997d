import type { ComponentProps } from 'react';
import { cn } from '@/lib/utils';

/** shadcn/ui's card: a bordered white panel with an optional header. */
export function Card({ className, ...props }: ComponentProps<'section'>) {
  return <section className={cn('rounded border border-slate-200 bg-white p-4', className)} {...props} />;
}

export function CardTitle({ className, ...props }: ComponentProps<'h2'>) {
  return <h2 className={cn('mb-3 text-lg font-semibold', className)} {...props} />;
}

export function CardDescription({ className, ...props }: ComponentProps<'p'>) {
  return <p className={cn('mb-3 text-sm text-slate-600', className)} {...props} />;
}
