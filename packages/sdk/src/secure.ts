import { AimAgent } from './agent.js';
import { unwrapAgent } from './agent-record.js';
import {
  defaultCredentialsPath,
  keyPairFromStored,
  readCredentials,
  removeCredentialsIfKey,
  storedKey,
  writeCredentials,
  type Credentials,
} from './credentials.js';
import { AimError, isRefusalByAim } from './errors.js';
import { generateKeyPair, proofOfPossession, type AgentKeyPair } from './keys.js';
import { probeKey, requestChallenge } from './protocol.js';
import { settlePendingRotation } from './rotation.js';
import { normalizeBaseUrl, readJson, sendPlain, type Transport } from './transport.js';
import type { WireRequest } from './wire.js';

/** What `POST /api/v1/agents/enroll` takes. */
type EnrollRequest = WireRequest<'/api/v1/agents/enroll', 'post'>;

/**
 * What an agent may say about itself when it enrolls (`description`, `purpose`, `tags`, `metadata`), as
 * `POST /api/v1/agents/enroll` takes it. Sent at enrollment only.
 *
 * @example
 * ```ts
 * const profile: EnrollmentProfile = { purpose: 'Reconciles supplier invoices', tags: ['finance'] };
 * ```
 */
export type EnrollmentProfile = Pick<EnrollRequest, 'description' | 'purpose' | 'tags' | 'metadata'>;

/**
 * Options of {@link secure}.
 *
 * @example
 * ```ts
 * const options: SecureOptions = { baseUrl: 'https://aim.example.com', enrollmentToken: 'aim_enr_…', tags: ['finance'] };
 * ```
 */
export interface SecureOptions extends EnrollmentProfile {
  /** AIM's address, e.g. `https://aim.example.com`. */
  baseUrl: string;
  /** An enrollment token (`aim_enr_…`); needed only the first time, when there is no credentials file. */
  enrollmentToken?: string;
  /** Where the credentials file is; default `$AIM_CREDENTIALS_DIR/<name>.json` or `~/.aim/agents/<name>.json`. */
  credentialsPath?: string;
  /** The fetch to use (a proxy-aware one, or a stub in tests). Defaults to the global fetch. */
  fetch?: typeof fetch;
}

/**
 * Give an agent its identity in AIM, or resume it. With a credentials file at the path, the agent is
 * loaded from it (no request is made, unless an earlier enrollment or rotation was interrupted). Without
 * one, an `enrollmentToken` is needed: a key pair is generated here, proven to AIM and enrolled, and the
 * credentials file written (mode 0600). The private key is on disk before AIM is asked to register it,
 * so no crash can leave a registered key that this process no longer has.
 *
 * @example
 * ```ts
 * import { secure } from '@aim/sdk';
 *
 * const agent = await secure('invoice-bot', {
 *   baseUrl: 'https://aim.example.com',
 *   enrollmentToken: process.env.AIM_ENROLLMENT_TOKEN, // used the first time only
 * });
 * console.log(agent.id, agent.keyId);
 * ```
 */
export async function secure(name: string, options: SecureOptions): Promise<AimAgent> {
  if (typeof name !== 'string' || name.trim() === '') throw new AimError('invalid_argument', 'An agent needs a name.');
  const baseUrl = normalizeBaseUrl(options.baseUrl);
  const transport: Transport = { baseUrl, fetch: options.fetch ?? globalThis.fetch };
  const path = options.credentialsPath ?? defaultCredentialsPath(name);

  let credentials = await readCredentials(path);
  if (credentials) {
    if (storedBaseUrl(credentials, path) !== baseUrl) {
      throw new AimError('credentials_mismatch', `The credentials file ${path} is for ${credentials.baseUrl}, not ${baseUrl}.`);
    }
    credentials = credentials.agentId === null
      ? await resumeEnrollment(transport, path, name, credentials, options)
      : await settlePendingRotation(transport, path, credentials);
  } else {
    if (!options.enrollmentToken) {
      throw new AimError('enrollment_required', `There are no credentials at ${path}; pass an enrollmentToken to enroll the agent.`);
    }
    const key = generateKeyPair();
    const challenge = await requestChallenge(transport);
    const pending: Credentials = { version: 1, baseUrl, agentId: null, organizationId: null, name, ...storedKey(key) };
    await writeCredentials(path, pending, { exclusive: true });
    credentials = await enroll(transport, path, { name, pending, key, challenge, enrollmentToken: options.enrollmentToken }, options);
  }
  return new AimAgent({ transport, credentialsPath: path, credentials });
}

/**
 * A pending file: the key was saved, but whether AIM registered it is unknown. Ask AIM with the key;
 * complete the file if it did, enroll the same key again if it did not.
 */
async function resumeEnrollment(transport: Transport, path: string, name: string, pending: Credentials, options: SecureOptions): Promise<Credentials> {
  const key = keyPairFromStored(pending);
  const probe = await probeKey(transport, key);
  if (probe.status === 'registered' && probe.agent) return complete(path, pending, probe.agent);
  if (probe.status !== 'unregistered') {
    throw probe.error ?? new AimError('invalid_response', 'AIM knows the key but did not say which agent has it.');
  }
  const { enrollmentToken } = options;
  if (!enrollmentToken) {
    throw new AimError('enrollment_required', `The enrollment saved at ${path} did not reach AIM; pass an enrollmentToken to finish it.`);
  }
  return enroll(transport, path, { name, pending, key, challenge: await requestChallenge(transport), enrollmentToken }, options);
}

interface Enrollment {
  name: string;
  /** The pending credentials, already on disk. */
  pending: Credentials;
  key: AgentKeyPair;
  challenge: string;
  enrollmentToken: string;
}

/** The `register` proof, `POST /api/v1/agents/enroll`, then the complete file (docs/agent-identity.md §3b). */
async function enroll(transport: Transport, path: string, { name, pending, key, challenge, enrollmentToken }: Enrollment, options: SecureOptions): Promise<Credentials> {
  let agent;
  try {
    const body: EnrollRequest = {
      enrollmentToken,
      name,
      publicKey: key.publicKey,
      challenge,
      proof: proofOfPossession(key, 'register', transport.baseUrl, challenge),
      ...optionalProfile(options),
    };
    agent = unwrapAgent(await readJson(await sendPlain(transport, '/api/v1/agents/enroll', { method: 'POST', body })));
  } catch (error) {
    // AIM refused: nothing was created, so the pending key is of no use. Otherwise it may be registered
    // (key_already_registered: by another process enrolling from the same file): keep it.
    if (isRefusalByAim(error) && (error as AimError).code !== 'key_already_registered') await removeCredentialsIfKey(path, key.keyId);
    throw error;
  }
  return complete(path, pending, agent);
}

async function complete(path: string, pending: Credentials, agent: { id: string; organizationId: string; name?: unknown }): Promise<Credentials> {
  const credentials: Credentials = {
    ...pending,
    agentId: agent.id,
    organizationId: agent.organizationId,
    name: typeof agent.name === 'string' ? agent.name : pending.name,
  };
  await writeCredentials(path, credentials);
  return credentials;
}

function storedBaseUrl(credentials: Credentials, path: string): string {
  try {
    return normalizeBaseUrl(credentials.baseUrl);
  } catch {
    throw new AimError('invalid_credentials', `The credentials file ${path} is not valid: its baseUrl is not an http(s) URL.`);
  }
}

function optionalProfile(options: SecureOptions): EnrollmentProfile {
  const profile: EnrollmentProfile = {};
  if (options.description !== undefined) profile.description = options.description;
  if (options.purpose !== undefined) profile.purpose = options.purpose;
  if (options.tags !== undefined) profile.tags = options.tags;
  if (options.metadata !== undefined) profile.metadata = options.metadata;
  return profile;
}
