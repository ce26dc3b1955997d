'use client';

import { zodResolver } from '@hookform/resolvers/zod';
import type { ReactNode } from 'react';
import { useForm, type FieldValues, type Resolver, type UseFormProps, type UseFormReturn } from 'react-hook-form';
import type { z } from 'zod';
import { errorMessage } from '@/api/client';
import { Label } from './ui/label';

/**
 * A form validated by the server's own request schema (from @aim/contracts): what the browser accepts
 * is what the API accepts. Fields are checked when they lose focus and again on submit.
 */
export function useSchemaForm<S extends z.ZodType<FieldValues, FieldValues>>(
  schema: S,
  options?: Omit<UseFormProps<z.input<S>, unknown, z.output<S>>, 'resolver'>,
): UseFormReturn<z.input<S>, unknown, z.output<S>> {
  return useForm<z.input<S>, unknown, z.output<S>>({ resolver: zodResolver(schema as never) as unknown as Resolver<z.input<S>, unknown, z.output<S>>, mode: 'onTouched', ...options });
}

/** For `register(name, blank)`: an empty text box means "not given", not an empty string. */
export const blank = { setValueAs: (v: unknown) => (v === '' || v === null ? undefined : v) };

/** What `failWith` and `FormAlert` need of any form. */
interface ServerErrorTarget {
  setError: (name: 'root.server', error: { message: string }) => void;
}
interface ServerErrorSource {
  formState: { errors: { root?: Record<string, { message?: string }> } };
}

/** Shows a failed request's message above the submit button (set with `failWith`). */
export function failWith(form: ServerErrorTarget, error: unknown): void {
  form.setError('root.server', { message: errorMessage(error) });
}

export function FormAlert({ form }: { form: ServerErrorSource }) {
  const message = form.formState.errors.root?.server?.message;
  return message ? (
    <p role="alert" className="rounded border border-red-200 bg-red-50 p-2 text-sm text-red-800">
      {message}
    </p>
  ) : null;
}

/**
 * A labelled control with its hint and its error. `children` receives the attributes that tie the
 * control to both (id, aria-invalid, aria-describedby), so screen readers announce them.
 */
export function Field({
  id,
  label,
  hint,
  error,
  className,
  children,
}: {
  id: string;
  label: ReactNode;
  hint?: ReactNode;
  error?: string;
  className?: string;
  children: (aria: { id: string; 'aria-invalid': boolean; 'aria-describedby'?: string }) => ReactNode;
}) {
  const described = [hint ? `${id}-hint` : null, error ? `${id}-error` : null].filter(Boolean).join(' ');
  return (
    <div className={`flex min-w-0 flex-col gap-1 ${className ?? ''}`}>
      <Label htmlFor={id}>{label}</Label>
      {children({ id, 'aria-invalid': Boolean(error), ...(described ? { 'aria-describedby': described } : {}) })}
      {hint && (
        <p id={`${id}-hint`} className="text-xs text-slate-600">
          {hint}
        </p>
      )}
      {error && (
        <p id={`${id}-error`} className="text-xs text-red-800">
          {error}
        </p>
      )}
    </div>
  );
}
