import { createHash, createPublicKey, randomBytes, verify } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A stand-in for AIM's agent endpoints, for the SDK's unit tests only (the real server has its own
 * integration test). It verifies signatures independently of the SDK's code, from the raw request
 * line, Host header and body bytes, the way docs/agent-identity.md §4 tells a server to.
 */

export interface FakeKey {
  x: string;
  status: 'active' | 'rotating_out' | 'revoked';
}

export interface FakeAgent {
  id: string;
  organizationId: string;
  name: string;
  status: 'active' | 'suspended' | 'revoked';
  keys: Map<string, FakeKey>;
}

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

/**
 * Decide a request's fate before it is handled: answer something else, drop the connection without
 * handling it (the request never arrived), or handle it and drop the answer (the answer was lost).
 */
export type Intercept = (request: RecordedRequest) => { status: number; body: unknown } | 'drop' | 'handle-then-drop' | undefined;

export interface FakeAim {
  baseUrl: string;
  agents: Map<string, FakeAgent>;
  enrollmentTokens: Set<string>;
  requests: RecordedRequest[];
  tokensIssued: number;
  intercept?: Intercept;
  close(): Promise<void>;
}

class Refusal extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
  ) {
    super(code);
  }
}

export async function startFakeAim(): Promise<FakeAim> {
  const challenges = new Set<string>();
  const seenNonces = new Set<string>();
  const tokens = new Map<string, string>();
  const fake: FakeAim = {
    baseUrl: '',
    agents: new Map(),
    enrollmentTokens: new Set(['aim_enr_test']),
    requests: [],
    tokensIssued: 0,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };

  const keyOwner = (keyId: string) => [...fake.agents.values()].find((agent) => agent.keys.has(keyId));

  function verifyProof(purpose: string, x: string, challenge: string, proof: string): string {
    if (!challenges.delete(challenge)) throw new Refusal(400, 'invalid_challenge');
    const keyId = createHash('sha256').update(`{"crv":"Ed25519","kty":"OKP","x":"${x}"}`).digest('base64url');
    const message = Buffer.from(`aim-proof-of-possession-v1\n${purpose}\n${challenge}\n${keyId}`);
    if (!verify(null, message, publicKey(x), Buffer.from(proof, 'base64url'))) throw new Refusal(400, 'invalid_proof');
    if (keyOwner(keyId)) throw new Refusal(409, 'key_already_registered');
    return keyId;
  }

  function authenticate(request: RecordedRequest): { agent: FakeAgent; keyId: string } {
    const auth = request.headers.authorization;
    if (auth?.startsWith('Bearer ')) {
      const agentId = tokens.get(auth.slice(7));
      const agent = agentId ? fake.agents.get(agentId) : undefined;
      if (!agent) throw new Refusal(401, 'invalid_token');
      return { agent, keyId: '' };
    }
    const input = String(request.headers['signature-input'] ?? '');
    const match = /^aim=\(([^)]*)\);created=(\d+);nonce="([^"]+)";keyid="([^"]+)";alg="ed25519"$/.exec(input);
    const signature = /^aim=:([A-Za-z0-9+/=]+):$/.exec(String(request.headers.signature ?? ''));
    if (!match || !signature) throw new Refusal(400, 'malformed_signature');
    const [, list, created, nonce, keyId] = match as unknown as [string, string, string, string, string];
    if (Math.abs(Date.now() / 1000 - Number(created)) > 300) throw new Refusal(401, 'stale_signature');
    const agent = keyOwner(keyId);
    const key = agent?.keys.get(keyId);
    if (!agent || !key) throw new Refusal(401, 'unknown_key');
    if (key.status === 'revoked') throw new Refusal(401, 'key_revoked');
    const components = list.split(' ').map((quoted) => quoted.slice(1, -1));
    const values: Record<string, string> = {
      '@method': request.method,
      '@target-uri': `http://${request.headers.host}${request.url}`,
      'content-digest': String(request.headers['content-digest'] ?? ''),
    };
    const lines = components.map((name) => `"${name}": ${values[name]}`);
    const base = [...lines, `"@signature-params": ${input.slice('aim='.length)}`].join('\n');
    if (!verify(null, Buffer.from(base), publicKey(key.x), Buffer.from(signature[1]!, 'base64'))) throw new Refusal(401, 'invalid_signature');
    if (request.body.length > 0) {
      const digest = `sha-256=:${createHash('sha256').update(request.body).digest('base64')}:`;
      if (!components.includes('content-digest') || request.headers['content-digest'] !== digest) throw new Refusal(401, 'digest_mismatch');
    }
    if (seenNonces.has(`${keyId} ${nonce}`)) throw new Refusal(401, 'replayed_request');
    seenNonces.add(`${keyId} ${nonce}`);
    if (agent.status !== 'active') throw new Refusal(403, `agent_${agent.status}`);
    return { agent, keyId };
  }

  function handle(request: RecordedRequest): { status: number; body: unknown } {
    const route = `${request.method} ${new URL(request.url, 'http://x').pathname}`;
    if (route.includes(' /api/v1/echo')) {
      authenticate(request);
      return { status: 200, body: { method: request.method, url: request.url, contentType: request.headers['content-type'] ?? null, body: request.body.toString('utf8') } };
    }
    const json = () => JSON.parse(request.body.toString('utf8')) as Record<string, string>;
    switch (route) {
      case 'POST /api/v1/agent-challenges': {
        const challenge = randomBytes(32).toString('base64url');
        challenges.add(challenge);
        return { status: 201, body: { challenge, expiresAt: new Date(Date.now() + 300_000).toISOString() } };
      }
      case 'POST /api/v1/agents/enroll': {
        const body = json();
        if (!fake.enrollmentTokens.has(body.enrollmentToken!)) throw new Refusal(400, 'invalid_enrollment_token');
        const keyId = verifyProof('register', body.publicKey!, body.challenge!, body.proof!);
        fake.enrollmentTokens.delete(body.enrollmentToken!);
        const agent: FakeAgent = {
          id: `agt_${randomBytes(13).toString('hex')}`,
          organizationId: 'org_00000000000000000000000001',
          name: body.name!,
          status: 'active',
          keys: new Map([[keyId, { x: body.publicKey!, status: 'active' }]]),
        };
        fake.agents.set(agent.id, agent);
        return { status: 201, body: { agent: describe(agent) } };
      }
      case 'GET /api/v1/agents/me':
        return { status: 200, body: { agent: describe(authenticate(request).agent) } };
      case 'POST /api/v1/oauth/token': {
        const { agent } = authenticate(request);
        const token = `token-${(fake.tokensIssued += 1)}`;
        tokens.set(token, agent.id);
        return { status: 200, body: { access_token: token, token_type: 'Bearer', expires_in: 600 } };
      }
      case 'POST /api/v1/agents/me/keys': {
        const { agent, keyId: oldKeyId } = authenticate(request);
        const body = json();
        const keyId = verifyProof('rotate', body.publicKey!, body.challenge!, body.proof!);
        agent.keys.get(oldKeyId)!.status = 'rotating_out';
        agent.keys.set(keyId, { x: body.publicKey!, status: 'active' });
        return { status: 201, body: { agent: describe(agent) } };
      }
      default:
        throw new Refusal(404, 'not_found');
    }
  }

  async function serve(incoming: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of incoming) chunks.push(chunk as Buffer);
    const request = { method: incoming.method ?? '', url: incoming.url ?? '', headers: incoming.headers, body: Buffer.concat(chunks) };
    fake.requests.push(request);
    const intercepted = fake.intercept?.(request);
    if (intercepted === 'drop') {
      response.socket?.destroy();
      return;
    }
    let answer: { status: number; body: unknown };
    if (intercepted && intercepted !== 'handle-then-drop') answer = intercepted;
    else {
      try {
        answer = handle(request);
      } catch (error) {
        if (!(error instanceof Refusal)) throw error;
        answer = { status: error.status, body: { error: { code: error.code, message: `refused: ${error.code}`, requestId: 'req-test' } } };
      }
    }
    if (intercepted === 'handle-then-drop') {
      response.socket?.destroy();
      return;
    }
    response.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body));
  }

  const server = createServer((incoming, response) => {
    serve(incoming, response).catch(() => response.socket?.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return fake;
}

function publicKey(x: string) {
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' });
}

function describe(agent: FakeAgent) {
  return {
    id: agent.id,
    organizationId: agent.organizationId,
    name: agent.name,
    status: agent.status,
    trustTier: 'unscored',
    keys: [...agent.keys].map(([id, key]) => ({ id, publicKey: { kty: 'OKP', crv: 'Ed25519', x: key.x }, status: key.status })),
  };
}
