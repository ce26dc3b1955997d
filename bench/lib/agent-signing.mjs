// Agent keys, proof of possession and RFC 9421 signed requests, written from docs/agent-identity.md
// (§2–5) as bench/agents.mjs writes them, for benches that act as many agents.
import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto';

/** A new Ed25519 key: the private KeyObject, its key id (RFC 7638 thumbprint) and public JWK. */
export function newAgentKey() {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const x = publicKey.export({ format: 'jwk' }).x;
  const keyId = createHash('sha256').update(`{"crv":"Ed25519","kty":"OKP","x":"${x}"}`).digest('base64url');
  return { privateKey, keyId, jwk: { kty: 'OKP', crv: 'Ed25519', x } };
}

/**
 * Register an agent with `key` (§2–3a): a challenge, the proof of possession over AIM's public address
 * `signedBase` (http://localhost:<port> without PUBLIC_URL, as every @target-uri starts; the requests
 * themselves go to `base`), then POST /api/v1/agents with an API key. Resolves with the agent's JSON;
 * throws on any other answer than 201.
 */
export async function registerAgent(base, apiKey, key, profile, signedBase = base) {
  const issued = await fetch(`${base}/api/v1/agent-challenges`, { method: 'POST' });
  if (issued.status !== 201) throw new Error(`getting a challenge: ${issued.status} ${await issued.text()}`);
  const { challenge } = await issued.json();
  const proofInput = `aim-proof-of-possession-v1\nregister\n${signedBase}\n${challenge}\n${key.keyId}`;
  const proof = sign(null, Buffer.from(proofInput), key.privateKey).toString('base64url');
  const registered = await fetch(`${base}/api/v1/agents`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ ...profile, publicKey: key.jwk, challenge, proof }),
  });
  if (registered.status !== 201) throw new Error(`registering agent ${profile.name}: ${registered.status} ${await registered.text()}`);
  return (await registered.json()).agent;
}

/**
 * Signature-Input and Signature (and Content-Type and Content-Digest with a body) for one request,
 * covering @method, @target-uri (and content-digest): a new nonce, created now.
 */
export function signedHeaders(key, method, targetUri, body) {
  const headers = {};
  const components = ['"@method"', '"@target-uri"'];
  const lines = [`"@method": ${method}`, `"@target-uri": ${targetUri}`];
  if (body !== undefined) {
    headers['content-type'] = 'application/json';
    headers['content-digest'] = `sha-256=:${createHash('sha256').update(body).digest('base64')}:`;
    components.push('"content-digest"');
    lines.push(`"content-digest": ${headers['content-digest']}`);
  }
  const created = Math.floor(Date.now() / 1000);
  const nonce = randomBytes(16).toString('base64url');
  const params = `(${components.join(' ')});created=${created};nonce="${nonce}";keyid="${key.keyId}";alg="ed25519"`;
  lines.push(`"@signature-params": ${params}`);
  headers['signature-input'] = `aim=${params}`;
  headers.signature = `aim=:${sign(null, Buffer.from(lines.join('\n')), key.privateKey).toString('base64')}:`;
  return headers;
}

/**
 * Requests made ahead of a round (`prepare(n)`) and handed out one per send (`next()`), so that the
 * load process spends its core sending rather than signing; each still has its own nonce, created at
 * most a round's length before it is sent. Made on the spot if the pool runs dry (`madeLate` counts
 * those). `make` returns whatever the sender needs (headers, or a whole request).
 */
export function presigned(make) {
  let pool = [];
  let madeLate = 0;
  return {
    prepare(n) {
      pool = new Array(n);
      for (let i = 0; i < n; i++) pool[i] = make();
      madeLate = 0;
    },
    next() {
      const item = pool.pop();
      if (item !== undefined) return item;
      madeLate += 1;
      return make();
    },
    get madeLate() {
      return madeLate;
    },
    /** Drop what is left (its signatures grow old). */
    clear() {
      pool = [];
    },
  };
}
