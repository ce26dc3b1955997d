import type { FastifyInstance } from 'fastify';
import type { PublicOrigin } from '../config/public-origin.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * A page a person opens in a browser (the dashboard's pages, the setup page, the start of an OIDC
     * sign-in): reached under another host than AIM's public one, it redirects there.
     */
    page?: true;
  }
}

/** Marks the one redirect just sent to this browser, to tell a proxy's loop from a first visit. */
const REDIRECTED_COOKIE = 'aim_public_redirect';
const LOOP_WINDOW_SECONDS = 10;

/**
 * Pages reached under a host other than AIM's public one are sent to the public origin, same path and
 * query (307: the address is configuration and may change, so browsers must not cache it), before
 * anything is set up or signed in: passkeys, the OIDC redirect URI and the session cookies are bound to
 * that origin, and a browser at http://127.0.0.1 could create no passkey at all.
 *
 * Only pages. API calls, agents, health probes, /metrics, /openapi.json and the dashboard's assets are
 * answered wherever they arrive: a script or a probe at 127.0.0.1 expects its answer, not a redirect,
 * and what binds to the address (agent signatures, token issuers, CSRF origins) checks the public
 * address whatever Host a request names.
 *
 * Behind a proxy that rewrites the Host header without saying so (X-Forwarded-Host with TRUST_PROXY),
 * the browser already is at the public origin and a redirect would loop: the second redirect of one
 * browser within a few seconds (a short-lived cookie, set on the host the browser sees) is answered
 * instead with 421 and what to fix.
 */
export function registerPublicHostRedirect(app: FastifyInstance, publicOrigin: PublicOrigin): void {
  app.addHook('onRequest', (request, reply, done) => {
    if (request.routeOptions.config.page !== true || publicOrigin.isPublicHost(request.host)) return done();
    const looped = (request.headers.cookie ?? '').split(/;\s*/).includes(`${REDIRECTED_COOKIE}=1`);
    if (looped) {
      reply
        .code(421)
        .header('content-type', 'text/plain; charset=utf-8')
        .header('cache-control', 'no-store')
        .header('set-cookie', `${REDIRECTED_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax`)
        .send(
          [
            `AIM's address is ${publicOrigin.baseUrl}, but this request reached it as "${request.host}", again.`,
            '',
            `If your browser shows ${publicOrigin.baseUrl}, a proxy in front of AIM replaces the Host header: have it pass`,
            'the original one (nginx: proxy_set_header Host $host), or send X-Forwarded-Host and set TRUST_PROXY to the',
            "proxy's address. Otherwise set PUBLIC_URL to the address people use to reach AIM.",
            '',
            `Open ${publicOrigin.baseUrl}${request.url}`,
            '',
          ].join('\n'),
        );
      return;
    }
    reply
      .code(307)
      .header('location', `${publicOrigin.baseUrl}${request.url}`)
      .header('cache-control', 'no-store')
      .header(
        'set-cookie',
        `${REDIRECTED_COOKIE}=1; Path=/; Max-Age=${LOOP_WINDOW_SECONDS}; HttpOnly; SameSite=Lax${request.protocol === 'https' ? '; Secure' : ''}`,
      )
      .send();
  });
}
