/**
 * The token of the invitation link this tab opened. The invite page takes it out of the address bar
 * (so it is not left in history, bookmarks or screenshots) and keeps it here, in sessionStorage: this
 * tab only, gone when the tab closes, and forgotten as soon as the person joined or the link is
 * reported as no longer usable. A page that reloads or comes back to /invite/ reads it again.
 */
const KEY = 'aim.invitation-token';

export function rememberInvitationToken(token: string): void {
  try {
    sessionStorage.setItem(KEY, token);
  } catch {
    // Storage disabled (some private modes): the page still works until it is reloaded.
  }
}

export function rememberedInvitationToken(): string | null {
  try {
    return sessionStorage.getItem(KEY);
  } catch {
    return null;
  }
}

export function forgetInvitationToken(): void {
  try {
    sessionStorage.removeItem(KEY);
  } catch {
    // Nothing was kept.
  }
}

/**
 * The token in this page's URL (`?token=`), kept for the tab and removed from the address bar and its
 * history entry; else the one kept earlier; else ''.
 */
export function takeInvitationToken(): string {
  const url = new URL(window.location.href);
  const fromUrl = url.searchParams.get('token');
  if (fromUrl === null) return rememberedInvitationToken() ?? '';
  rememberInvitationToken(fromUrl);
  url.searchParams.delete('token');
  window.history.replaceState(window.history.state, '', `${url.pathname}${url.search}${url.hash}`);
  return fromUrl;
}
