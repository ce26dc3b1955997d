import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { FastifyInstance } from 'fastify';

/**
 * The dashboard (apps/web), a Next.js static export, served on the API's own origin so session
 * cookies and CSRF protection work unchanged. Every file of the export becomes a public GET route at
 * start-up (the set is fixed by the build, nothing is resolved from the request path, so nothing can
 * reach outside the folder). Pages get a Content-Security-Policy that allows exactly their own inline
 * scripts (by hash) and scripts from this origin; hashed assets are cached for a year.
 */
export const DEFAULT_DASHBOARD_DIR = fileURLToPath(new URL('../../../../web/out', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.txt': 'text/x-component; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
};

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

/** The page's policy: its inline scripts by hash, everything else from this origin only. */
export function pagePolicy(html: string): string {
  const hashes = [...html.matchAll(/<script(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/g)]
    .map((m) => `'sha256-${createHash('sha256').update(m[1]!).digest('base64')}'`)
    .filter((h, i, all) => all.indexOf(h) === i);
  return [
    "default-src 'none'",
    `script-src 'self' ${hashes.join(' ')}`.trim(),
    // React and Next set style attributes; no script can come through them.
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "manifest-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** Serve the export in `dir`; answers how many files, or null when the dashboard has not been built. */
export function registerDashboard(app: FastifyInstance, dir = DEFAULT_DASHBOARD_DIR): number | null {
  if (!existsSync(join(dir, 'index.html'))) return null;
  // The files are public and served from memory; a page view fetches dozens, so the per-IP limit
  // (meant for the API) does not count them.
  const options = { schema: { hide: true, response: { 200: z.string() } }, config: { access: { auth: 'public' as const }, ipRateLimit: false as const } };
  let count = 0;
  for (const path of files(dir)) {
    const type = TYPES[extname(path)];
    if (!type) continue; // only text assets are exported (no images or fonts are part of the dashboard)
    const rel = relative(dir, path).split(sep).join('/');
    const body = readFileSync(path, 'utf8');
    const html = rel.endsWith('.html');
    const headers: Record<string, string> = {
      'content-type': type,
      'cache-control': rel.startsWith('_next/static/') ? 'public, max-age=31536000, immutable' : 'no-cache',
      ...(html ? { 'content-security-policy': pagePolicy(body) } : {}),
    };
    // Pages open at AIM's public origin (platform/http/public-host.ts); assets are served wherever asked.
    const routeOptions = html ? { ...options, config: { ...options.config, page: true as const } } : options;
    const serve = (url: string) =>
      app.get(url, routeOptions, async (_request, reply) => {
        reply.headers(headers);
        return body;
      });
    if (rel === '404.html') continue;
    if (rel.endsWith('/index.html') || rel === 'index.html') {
      const page = `/${rel.slice(0, -'index.html'.length)}`;
      serve(page);
      // Without the trailing slash: to the page (relative links in the export assume it).
      if (page !== '/') {
        app.get(page.slice(0, -1), options, async (request, reply) => {
          const query = request.url.indexOf('?');
          return reply.redirect(page + (query === -1 ? '' : request.url.slice(query)), 308);
        });
      }
    } else {
      serve(`/${rel}`);
    }
    count += 1;
  }
  return count;
}
