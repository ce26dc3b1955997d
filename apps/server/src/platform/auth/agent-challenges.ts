import { randomBytes } from 'node:crypto';
import type { Keyring } from '../crypto/keyring.js';
import { decodeBase64url, thumbprintOf, verifyEd25519, type Ed25519PublicKey } from '../crypto/ed25519.js';
import { safeEqual } from '../crypto/tokens.js';
import { AppError } from '../http/app-error.js';
import type { SharedStore } from '../store/shared-store.js';

/**
 * Proof-of-possession challenges (docs/agent-identity.md §2). A challenge is self-authenticating —
 * its expiry and random part, MACed with the deployment's lookup key — so issuing one stores
 * nothing (unauthenticated callers cannot fill the store); the registration or rotation that uses
 * it claims it in the shared store as its last step before committing, so it works once across all
 * instances and a refused request does not spend it.
 */
export const CHALLENGE_TTL_MS = 5 * 60_000;
export type ProofPurpose = 'register' | 'rotate' | `mcp-server-key:${string}`;

/**
 * What the key signs. `origin` is AIM as the agent addresses it (the same value that starts every
 * `@target-uri`): a proof made for another server cannot be relayed to this one.
 */
export function proofMessage(purpose: ProofPurpose, origin: string, challenge: string, keyId: string): string {
  return `aim-proof-of-possession-v1\n${purpose}\n${origin}\n${challenge}\n${keyId}`;
}

export function createAgentChallenges(deps: { keyring: Keyring; store: SharedStore; now?: () => number }) {
  const { keyring, store } = deps;
  const now = deps.now ?? Date.now;
  const mac = (body: Buffer) => keyring.lookupHash(`agent-challenge:${body.toString('base64url')}`).subarray(0, 16);

  return {
    issue(): { challenge: string; expiresAt: Date } {
      const expiresAt = new Date(now() + CHALLENGE_TTL_MS);
      const body = Buffer.alloc(22);
      body.writeUIntBE(Math.floor(expiresAt.getTime() / 1000), 0, 6);
      randomBytes(16).copy(body, 6);
      return { challenge: Buffer.concat([body, mac(body)]).toString('base64url'), expiresAt };
    },

    /**
     * Check a challenge and its proof without spending it: issued by AIM and unexpired, the proof (the
     * key's signature over the purpose, origin, challenge and key id) verifies, and nobody has spent
     * it yet. A bad proof is reported before a spent challenge. The caller runs its own checks, then
     * calls `spend()` as the last step before it commits: a request refused for any reason leaves the
     * challenge usable, and of two requests racing with one challenge exactly one spends it (the
     * other gets `invalid_challenge` and must roll back).
     */
    async verify(challenge: string, purpose: ProofPurpose, key: Ed25519PublicKey, proof: string, origin: string): Promise<{ spend(): Promise<void> }> {
      const bytes = decodeBase64url(challenge);
      if (!bytes || bytes.length !== 38 || !safeEqual(mac(bytes.subarray(0, 22)), bytes.subarray(22))) {
        throw new AppError('invalid_challenge', 'The challenge was not issued by AIM; get one from POST /api/v1/agent-challenges.');
      }
      const expiresAtMs = bytes.readUIntBE(0, 6) * 1000;
      if (expiresAtMs <= now()) {
        throw new AppError('invalid_challenge', 'The challenge has expired (they live 5 minutes); get a new one.');
      }
      const signature = decodeBase64url(proof);
      if (!signature || !verifyEd25519(key.keyObject, proofMessage(purpose, origin, challenge, thumbprintOf(key.x)), signature)) {
        throw new AppError(
          'invalid_proof',
          `The proof does not verify: sign "aim-proof-of-possession-v1\\n${purpose}\\n${origin}\\n<challenge>\\n<key id>" with the key being registered.`,
        );
      }
      const storeKey = `agent-challenge:${challenge}`;
      const spent = () => new AppError('invalid_challenge', 'The challenge was already used; get a new one.');
      // A cheap early answer for a challenge already spent; spend() below is what decides.
      if ((await store.get(storeKey)) !== null) throw spent();
      return {
        async spend() {
          if (!(await store.claimOnce(storeKey, Math.max(1, expiresAtMs - now()) + 1_000))) throw spent();
        },
      };
    },
  };
}

export type AgentChallenges = ReturnType<typeof createAgentChallenges>;
