import { createServer, type Server } from 'node:http';
import { exportJWK, generateKeyPair } from 'jose';
import Provider from 'oidc-provider';

/**
 * A real OpenID Connect provider (`oidc-provider`) on loopback, standing in for Google, Entra ID
 * or Okta in tests. Its login and consent steps are answered automatically for the account the
 * test chose with `signInAs`, as a person clicking through would.
 */
export interface LocalIdp {
  issuer: string;
  clientId: string;
  clientSecret: string;
  accounts: Map<string, { email: string; email_verified: boolean; name: string }>;
  signInAs(accountId: string): void;
  /** Follow the browser's redirects from the provider's authorization URL back to the client. */
  authorize(authorizationUrl: string): Promise<URL>;
  stop(): Promise<void>;
}

export async function startLocalIdp(redirectUri: string): Promise<LocalIdp> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const issuer = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const clientId = 'aim-test-client';
  const clientSecret = 'aim-test-client-secret-0123456789';
  const accounts = new Map<string, { email: string; email_verified: boolean; name: string }>();
  let next = '';
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await exportJWK(privateKey)), kid: 'test-key', alg: 'RS256', use: 'sig' };

  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: [redirectUri],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_post',
      },
    ],
    jwks: { keys: [jwk as never] },
    cookies: { keys: ['local-idp-cookie-key-for-tests'] },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    async findAccount(_ctx, id) {
      const account = accounts.get(id);
      if (!account) return undefined;
      return { accountId: id, claims: async () => ({ sub: id, ...account }) };
    },
  });

  const callback = provider.callback();
  server.on('request', (req, res) => {
    if (req.url?.startsWith('/interaction/')) {
      void (async () => {
        try {
          const details = await provider.interactionDetails(req, res);
          let result: Record<string, unknown>;
          if (details.prompt.name === 'login') {
            result = { login: { accountId: next } };
          } else {
            const grant = new provider.Grant({ accountId: details.session!.accountId, clientId: details.params.client_id as string });
            grant.addOIDCScope(String(details.params.scope));
            result = { consent: { grantId: await grant.save() } };
          }
          await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
        } catch (error) {
          res.writeHead(500).end(String(error));
        }
      })();
      return;
    }
    callback(req, res);
  });

  return {
    issuer,
    clientId,
    clientSecret,
    accounts,
    signInAs(accountId) {
      next = accountId;
    },
    async authorize(authorizationUrl) {
      const jar = new Map<string, string>();
      let url = new URL(authorizationUrl);
      for (let hop = 0; hop < 20; hop++) {
        if (!url.href.startsWith(issuer)) return url;
        const res = await fetch(url, {
          redirect: 'manual',
          headers: { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') },
        });
        for (const header of res.headers.getSetCookie()) {
          const [pair] = header.split(';');
          const [name, ...value] = pair!.split('=');
          jar.set(name!.trim(), value.join('='));
        }
        const location = res.headers.get('location');
        if (!location) throw new Error(`the provider stopped at ${url.pathname} with ${res.status}: ${await res.text()}`);
        url = new URL(location, url);
      }
      throw new Error('too many redirects');
    },
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** The sign-in cookie a start response set, as a Cookie header for the callback (the same browser). */
export function stateCookie(start: { cookies: { name: string; value: string }[] }): string {
  const cookie = start.cookies.find((c) => c.name === 'aim_oidc');
  if (!cookie) throw new Error('the start response set no sign-in cookie');
  return `aim_oidc=${cookie.value}`;
}

/**
 * A sign-in that failed in the browser: a 303 to the dashboard's sign-in page (never a JSON page),
 * carrying only the error code and the request id. Returns the code.
 */
export function signInRefusal(res: { statusCode: number; headers: Record<string, unknown>; cookies: { name: string }[]; body: string }): string {
  if (res.statusCode !== 303) throw new Error(`expected a 303 to the sign-in page, got ${res.statusCode}: ${res.body}`);
  const location = new URL(String(res.headers.location), 'http://aim.invalid');
  if (location.origin !== 'http://aim.invalid' || location.pathname !== '/sign-in/') throw new Error(`redirected to ${String(res.headers.location)}`);
  const keys = [...location.searchParams.keys()].sort();
  if (keys.join(',') !== 'error,requestId') throw new Error(`the sign-in page is sent more than the code and the request id: ${location.search}`);
  if (location.searchParams.get('requestId') !== res.headers['x-request-id']) throw new Error('the request id in the page URL is not the request’s');
  if (res.cookies.some((c) => c.name === 'aim_access' || c.name === 'aim_refresh')) throw new Error('a refused sign-in set session cookies');
  return location.searchParams.get('error')!;
}
