import type { FastifyInstance } from 'fastify';
import { z } from 'zod';

/**
 * The page behind the one-time setup link: a form for the first organization and its admin,
 * then a button to create the admin's passkey. Plain HTML and a small script (the dashboard
 * replaces it later); a strict CSP allows only this origin's script and style.
 */
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

const HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Set up AIM</title>
<link rel="icon" href="/icon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/setup/setup.css">
<script src="/setup/setup.js" defer></script>
</head>
<body>
<main>
  <h1>Set up AIM</h1>
  <p id="intro">Create your organization and its first admin. This link works once, for 30 minutes.</p>
  <form id="setup">
    <label>Organization name <input name="organization" required maxlength="200" autocomplete="organization"></label>
    <label>Your name <input name="name" required maxlength="200" autocomplete="name"></label>
    <label>Your email <input name="email" type="email" required maxlength="320" autocomplete="email"></label>
    <button type="submit">Create organization</button>
  </form>
  <section id="passkey" hidden>
    <p>You are signed in as the admin. Add a passkey now, so that you can sign in again later.</p>
    <button id="add-passkey" type="button">Add a passkey</button>
  </section>
  <section id="done" hidden>
    <p>Your organization and your passkey are ready. Sign in with the passkey whenever you come back.</p>
    <a id="open-dashboard" class="button" href="/">Open the dashboard</a>
  </section>
  <p id="status" role="status"></p>
</main>
</body>
</html>`;

const CSS = `body{font-family:system-ui,sans-serif;background:#f6f7f9;color:#111;margin:0}
main{max-width:28rem;margin:4rem auto;padding:2rem;background:#fff;border-radius:.75rem;box-shadow:0 1px 3px rgba(0,0,0,.1)}
h1{font-size:1.4rem;margin-top:0}label{display:block;margin:.8rem 0;font-size:.9rem}
input{display:block;width:100%;box-sizing:border-box;padding:.5rem;margin-top:.25rem;border:1px solid #ccd;border-radius:.4rem}
button,.button{display:inline-block;margin-top:1rem;padding:.55rem 1rem;border:0;border-radius:.4rem;background:#1f3a93;color:#fff;cursor:pointer;text-decoration:none;font-size:.9rem}
#status{min-height:1.2rem;font-size:.9rem}#status.error{color:#b00020}`;

const JS = `(() => {
  const token = new URLSearchParams(location.search).get('token') || '';
  const status = document.getElementById('status');
  const say = (text, error) => { status.textContent = text; status.className = error ? 'error' : ''; };
  const csrf = () => (document.cookie.match(/(?:^|; )aim_csrf=([^;]+)/) || [])[1] || '';
  const post = async (url, body) => {
    const res = await fetch(url, { method: 'POST', credentials: 'same-origin',
      headers: { 'content-type': 'application/json', 'x-csrf-token': csrf() }, body: JSON.stringify(body) });
    const json = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error((json.error && json.error.message) || ('HTTP ' + res.status));
    return json;
  };
  if (!token) say('This page needs the setup link printed by AIM at start.', true);
  document.getElementById('setup').addEventListener('submit', async (event) => {
    event.preventDefault();
    const form = new FormData(event.target);
    try {
      say('Creating…');
      await post('/api/v1/setup', { token, organization: { name: form.get('organization') },
        admin: { name: form.get('name'), email: form.get('email') } });
      event.target.hidden = true;
      document.getElementById('intro').hidden = true;
      document.getElementById('passkey').hidden = false;
      say('Organization created.');
    } catch (error) { say(error.message, true); }
  });
  document.getElementById('add-passkey').addEventListener('click', async () => {
    try {
      if (!window.isSecureContext) {
        throw new Error('Browsers create passkeys only on https or http://localhost, not at ' + location.origin + '. Set PUBLIC_URL to the https address of AIM and start again.');
      }
      if (!window.PublicKeyCredential || !PublicKeyCredential.parseCreationOptionsFromJSON) {
        throw new Error('This browser cannot create passkeys here; sign in with an identity provider instead.');
      }
      const options = await post('/api/v1/me/passkeys/options', {});
      const credential = await navigator.credentials.create({ publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(options) });
      await post('/api/v1/me/passkeys', { name: 'First passkey', credential: credential.toJSON() });
      document.getElementById('passkey').hidden = true;
      document.getElementById('done').hidden = false;
      say('Passkey added.');
      document.getElementById('open-dashboard').focus();
    } catch (error) { say(error.message, true); }
  });
})();`;

export function registerSetupPage(app: FastifyInstance): void {
  const page = (path: string, type: string, body: string) =>
    app.get(
      path,
      // The page itself opens at AIM's public origin (its passkey is bound to it); its assets load from there.
      { schema: { hide: true, response: { 200: z.string() } }, config: { access: { auth: 'public' }, ...(path === '/setup' ? { page: true as const } : {}) } },
      async (_request, reply) => {
        reply.header('content-type', type).header('content-security-policy', CSP).header('cache-control', 'no-store');
        return body;
      },
    );
  page('/setup', 'text/html; charset=utf-8', HTML);
  page('/setup/setup.js', 'text/javascript; charset=utf-8', JS);
  page('/setup/setup.css', 'text/css; charset=utf-8', CSS);
}
