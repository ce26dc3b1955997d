import { useEffect, useRef } from 'react';

/**
 * For a button that opens an inline form in its place: when the form closes (saved or cancelled),
 * focus goes back to the button, instead of being lost with the form's own buttons.
 */
export function useReturnFocus<T extends HTMLElement = HTMLButtonElement>(open: boolean) {
  const opener = useRef<T>(null);
  const wasOpen = useRef(open);
  useEffect(() => {
    if (wasOpen.current && !open) opener.current?.focus();
    wasOpen.current = open;
  }, [open]);
  return opener;
}
