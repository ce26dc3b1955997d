/**
 * Security headers for every API response, computed once at start so the per-request cost is
 * one `reply.headers()` call. The set is the one OWASP recommends for JSON APIs (documents-only
 * headers such as Permissions-Policy or COOP do nothing for JSON). Routes that serve HTML (the
 * API reference) set their own CSP.
 */
export function securityHeaders(options: { https: boolean }): Record<string, string> {
  const headers: Record<string, string> = {
    'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
    'cross-origin-resource-policy': 'same-origin',
    'referrer-policy': 'no-referrer',
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'cache-control': 'no-store',
  };
  if (options.https) headers['strict-transport-security'] = 'max-age=31536000; includeSubDomains';
  return headers;
}
