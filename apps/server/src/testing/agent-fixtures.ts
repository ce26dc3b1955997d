import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import type { TestApp } from './test-app.js';

/**
 * Agent keys and signed requests for tests, written from docs/agent-identity.md. Every knob a
 * test needs to break a request on purpose (time, nonce, components, the body sent) is exposed.
 */
export interface TestAgentKey {
  privateKey: KeyObject;
  x: string;
  keyId: string;
  jwk: { kty: 'OKP'; crv: 'Ed25519'; x: string };
}

export function newAgentKey(): TestAgentKey {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const x = publicKey.export({ format: 'jwk' }).x!;
  const keyId = createHash('sha256').update(`{"crv":"Ed25519","kty":"OKP","x":"${x}"}`).digest('base64url');
  return { privateKey, x, keyId, jwk: { kty: 'OKP', crv: 'Ed25519', x } };
}

export async function challenge(t: TestApp): Promise<string> {
  const res = await t.app.inject({ method: 'POST', url: '/api/v1/agent-challenges' });
  if (res.statusCode !== 201) throw new Error(`challenge: ${res.statusCode} ${res.body}`);
  return res.json().challenge as string;
}

/** A proof of possession for AIM addressed as `origin` (inject's default Host is localhost:80 → http://localhost). */
export function proofFor(key: TestAgentKey, purpose: 'register' | 'rotate', challengeValue: string, origin = 'http://localhost'): string {
  return sign(null, Buffer.from(`aim-proof-of-possession-v1\n${purpose}\n${origin}\n${challengeValue}\n${key.keyId}`), key.privateKey).toString('base64url');
}

/** Registration body for POST /api/v1/agents. */
export async function registration(t: TestApp, key: TestAgentKey, extra: Record<string, unknown> = {}) {
  const c = await challenge(t);
  // The proof names AIM's public address: http://localhost for inject, http://localhost:<port> once listening.
  const proof = proofFor(key, 'register', c, t.platform.publicOrigin.baseUrl);
  return { name: `agent-${randomBytes(4).toString('hex')}`, publicKey: key.jwk, challenge: c, proof, ...extra };
}

export async function registerAgent(t: TestApp, headers: Record<string, string>, extra: Record<string, unknown> = {}) {
  const key = newAgentKey();
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/v1/agents',
    headers: { ...headers, 'content-type': 'application/json' },
    payload: await registration(t, key, extra),
  });
  if (res.statusCode !== 201) throw new Error(`register: ${res.statusCode} ${res.body}`);
  return { key, agent: res.json().agent as { id: string; organizationId: string; name: string; keys: { id: string }[] } };
}

export interface SignOptions {
  method?: string;
  /** Path and query as sent. */
  url: string;
  body?: string;
  /** The origin the signature names (inject's default Host is localhost:80 → http://localhost). */
  origin?: string;
  created?: number;
  nonce?: string;
  components?: string[];
  extraParams?: string;
  label?: string;
  /** Content-Digest to send instead of the body's. */
  digest?: string;
}

/** Headers of a request signed as docs/agent-identity.md §4 describes. */
export function signedHeaders(key: TestAgentKey, options: SignOptions): Record<string, string> {
  const method = options.method ?? 'GET';
  const headers: Record<string, string> = {};
  const hasBody = options.body !== undefined;
  if (hasBody) {
    headers['content-type'] = 'application/json';
    headers['content-digest'] = options.digest ?? `sha-256=:${createHash('sha256').update(options.body!).digest('base64')}:`;
  }
  const components = options.components ?? ['@method', '@target-uri', ...(hasBody ? ['content-digest'] : [])];
  const created = options.created ?? Math.floor(Date.now() / 1000);
  const nonce = options.nonce ?? randomBytes(16).toString('base64url');
  const params = `(${components.map((c) => `"${c}"`).join(' ')});created=${created};nonce="${nonce}";keyid="${key.keyId}";alg="ed25519"${options.extraParams ?? ''}`;
  const value = (c: string) => {
    if (c === '@method') return method;
    if (c === '@target-uri') return `${options.origin ?? 'http://localhost'}${options.url}`;
    return headers[c]!;
  };
  const base = [...components.map((c) => `"${c}": ${value(c)}`), `"@signature-params": ${params}`].join('\n');
  const label = options.label ?? 'aim';
  headers['signature-input'] = `${label}=${params}`;
  headers.signature = `${label}=:${sign(null, Buffer.from(base), key.privateKey).toString('base64')}:`;
  return headers;
}

/** Send a signed request through inject. */
/** Signed for AIM's public address (http://localhost:<bound port> once listening) unless `origin` says otherwise. */
export function signedInject(t: TestApp, key: TestAgentKey, options: SignOptions & { sendBody?: string; sendUrl?: string }) {
  const headers = signedHeaders(key, { origin: t.platform.publicOrigin.baseUrl, ...options });
  return t.app.inject({
    method: (options.method ?? 'GET') as 'GET',
    url: options.sendUrl ?? options.url,
    headers,
    ...(options.sendBody !== undefined || options.body !== undefined ? { payload: options.sendBody ?? options.body } : {}),
  });
}

export async function agentToken(t: TestApp, key: TestAgentKey, audience?: string): Promise<string> {
  const body = JSON.stringify({ grant_type: 'client_credentials', ...(audience ? { audience } : {}) });
  const res = await signedInject(t, key, { method: 'POST', url: '/api/v1/oauth/token', body });
  if (res.statusCode !== 200) throw new Error(`token: ${res.statusCode} ${res.body}`);
  return res.json().access_token as string;
}
