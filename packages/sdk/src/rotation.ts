import { unwrapAgent, type AgentRecord } from './agent-record.js';
import { keyPairFromStored, storedKey, writeCredentials, type Credentials } from './credentials.js';
import { isRefusalByAim } from './errors.js';
import { generateKeyPair, proofOfPossession, type AgentKeyPair } from './keys.js';
import { probeKey, requestChallenge } from './protocol.js';
import { readJson, sendSigned, type Transport } from './transport.js';
import type { WireRequest } from './wire.js';

/**
 * Key rotation (docs/agent-identity.md §6), crash-safe: the new key is written to the credentials file
 * as `pendingKey` (next to the current key, which stays) before AIM sees it. If the answer never comes
 * in, the next load asks AIM which key is registered and keeps that one.
 */

/** What `POST /api/v1/agents/me/keys` takes. */
type RotateRequest = WireRequest<'/api/v1/agents/me/keys', 'post'>;

export interface RotationResult {
  key: AgentKeyPair;
  credentials: Credentials;
  agent: AgentRecord;
}

/** Rotate to a new key: prove it with a `rotate` proof, register it with a request signed by the current key. */
export async function rotateAgentKey(
  transport: Transport,
  path: string,
  credentials: Credentials,
  currentKey: AgentKeyPair,
  overlapSeconds: number | undefined,
): Promise<RotationResult> {
  const next = generateKeyPair();
  const challenge = await requestChallenge(transport);
  const proof = proofOfPossession(next, 'rotate', transport.baseUrl, challenge);
  const settled = withoutPendingKey(credentials);
  await writeCredentials(path, { ...settled, pendingKey: storedKey(next) });
  let agent: AgentRecord;
  try {
    const body: RotateRequest = { publicKey: next.publicKey, challenge, proof, ...(overlapSeconds === undefined ? {} : { overlapSeconds }) };
    agent = unwrapAgent(await readJson(await sendSigned(transport, currentKey, '/api/v1/agents/me/keys', { method: 'POST', body })));
  } catch (error) {
    // Refused by AIM: nothing changed there, so the new key is useless. Otherwise it stays pending.
    if (isRefusalByAim(error)) await writeCredentials(path, settled).catch(() => undefined);
    throw error;
  }
  const rotated: Credentials = { ...settled, ...storedKey(next) };
  // AIM has the new key. Should this write fail, the file still holds it as pendingKey, which the next
  // load promotes after AIM confirms it, so the rotation is not lost.
  await writeCredentials(path, rotated).catch(() => undefined);
  return { key: next, credentials: rotated, agent };
}

/**
 * Settle a rotation whose answer never came in: ask AIM about the pending key, then keep it (it was
 * registered) or drop it (AIM does not know it, or it is no longer usable). When AIM cannot tell, keep
 * both and go on with the current key.
 */
export async function settlePendingRotation(transport: Transport, path: string, credentials: Credentials): Promise<Credentials> {
  const pending = credentials.pendingKey;
  if (!pending) return credentials;
  const probe = await probeKey(transport, keyPairFromStored(pending));
  let settled: Credentials;
  if (probe.status === 'registered' && (probe.agent === undefined || probe.agent.id === credentials.agentId)) {
    settled = { ...withoutPendingKey(credentials), ...pending };
  } else if (probe.status === 'unregistered' || probe.status === 'unusable') {
    settled = withoutPendingKey(credentials);
  } else {
    return credentials;
  }
  await writeCredentials(path, settled);
  return settled;
}

function withoutPendingKey(credentials: Credentials): Credentials {
  const { pendingKey: _pending, ...rest } = credentials;
  return rest;
}
