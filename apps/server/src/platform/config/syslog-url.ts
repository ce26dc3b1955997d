import { z } from 'zod';

/** A syslog collector: tcp://host:port (RFC 6587) or tls://host:port (RFC 5425). */
export const syslogUrl = z.string().transform((v, ctx) => {
  let url: URL | undefined;
  try {
    url = new URL(v);
  } catch {
    url = undefined;
  }
  const ok = url && (url.protocol === 'tcp:' || url.protocol === 'tls:') && url.hostname && url.port && !url.username && !url.password && !url.search && !url.hash && (url.pathname === '' || url.pathname === '/');
  if (!ok || !url) {
    ctx.addIssue({ code: 'custom', message: 'must be tcp://host:port or tls://host:port, such as tls://siem.example.com:6514' });
    return z.NEVER;
  }
  return { protocol: url.protocol === 'tls:' ? ('tls' as const) : ('tcp' as const), host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port) };
});
