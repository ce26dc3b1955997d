import { randomBytes } from 'node:crypto';
import { link, mkdir, open, rename, unlink } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { AimError } from './errors.js';
import { exportPrivateJwk, keyPairFromJwk, type AgentKeyPair, type Ed25519PrivateJwk } from './keys.js';

/**
 * The credentials file: the agent's identity and private key, JSON, mode 0600 in a directory made with
 * mode 0700, always replaced atomically. Nothing here puts key material into an error message.
 */

/** One key as the file stores it. */
export interface StoredKey {
  keyId: string;
  /** The private key as a JWK, with `d`. */
  privateKeyJwk: Ed25519PrivateJwk;
  /** The raw public key in base64url (the JWK `x`). */
  publicKey: string;
}

/**
 * The credentials file's content (JSON, `version` 1).
 *
 * @example
 * ```json
 * { "version": 1, "baseUrl": "https://aim.example.com", "agentId": "agt_…", "organizationId": "org_…",
 *   "name": "invoice-bot", "keyId": "…", "privateKeyJwk": { "kty": "OKP", "crv": "Ed25519", "x": "…", "d": "…" },
 *   "publicKey": "…" }
 * ```
 */
export interface Credentials extends StoredKey {
  version: 1;
  /** AIM's address, without a trailing slash. */
  baseUrl: string;
  /** Null while an enrollment is pending: the key was made and may have been sent, the answer is not in. */
  agentId: string | null;
  organizationId: string | null;
  name: string;
  /** A new key sent to AIM in a rotation whose answer is not in yet. Kept until AIM's answer is known. */
  pendingKey?: StoredKey;
}

/**
 * Where `secure(name)` keeps an agent's credentials when no path is given:
 * `$AIM_CREDENTIALS_DIR/<name>.json`, or `~/.aim/agents/<name>.json`. Characters other than
 * `A–Z a–z 0–9 . _ -` in the name are percent-encoded, so a name can never leave the directory.
 *
 * @example
 * ```ts
 * defaultCredentialsPath('invoice-bot'); // '/home/me/.aim/agents/invoice-bot.json'
 * ```
 */
export function defaultCredentialsPath(name: string): string {
  const directory = process.env.AIM_CREDENTIALS_DIR || join(homedir(), '.aim', 'agents');
  return join(directory, `${fileNameFor(name)}.json`);
}

/** A stored key for a key pair. */
export function storedKey(key: AgentKeyPair): StoredKey {
  return { keyId: key.keyId, privateKeyJwk: exportPrivateJwk(key.privateKey), publicKey: key.publicKey };
}

/** The key pair of a stored key, checking that its key id is the thumbprint of its public key. */
export function keyPairFromStored(stored: StoredKey): AgentKeyPair {
  const key = keyPairFromJwk(stored.privateKeyJwk);
  if (key.keyId !== stored.keyId) throw new AimError('invalid_credentials', 'A stored key id is not the thumbprint of its public key.');
  return key;
}

/**
 * Read a credentials file; undefined when there is none. Refuses (`insecure_credentials`) a file that
 * group or others may access, on POSIX systems.
 */
export async function readCredentials(path: string): Promise<Credentials | undefined> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new AimError('invalid_credentials', `The credentials file ${path} cannot be opened (${(error as NodeJS.ErrnoException).code ?? 'error'}).`);
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new AimError('invalid_credentials', `${path} is not a file.`);
    if (process.platform !== 'win32' && (stat.mode & 0o077) !== 0) {
      const mode = (stat.mode & 0o777).toString(8).padStart(4, '0');
      throw new AimError(
        'insecure_credentials',
        `The credentials file ${path} can be accessed by other users (mode ${mode}); run \`chmod 600 ${path}\` if it is yours and nobody else has read it, otherwise revoke the agent's key.`,
      );
    }
    return parseCredentials(await handle.readFile('utf8'), path);
  } finally {
    await handle.close();
  }
}

/**
 * Write a credentials file atomically: a temporary file with mode 0600 in the same directory, flushed
 * to disk, then renamed over the target (or, with `exclusive`, linked to it, failing with
 * `credentials_exist` when the target already exists). The directory is created with mode 0700.
 */
export async function writeCredentials(path: string, credentials: Credentials, options: { exclusive?: boolean } = {}): Promise<void> {
  const directory = dirname(path);
  await mkdir(directory, { recursive: true, mode: 0o700 });
  const temporary = join(directory, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temporary, 'wx', 0o600);
  try {
    try {
      await handle.chmod(0o600);
      await handle.writeFile(`${JSON.stringify(credentials, null, 2)}\n`, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (options.exclusive) await linkExclusively(temporary, path);
    else await rename(temporary, path);
  } finally {
    await unlink(temporary).catch(() => undefined);
  }
  await syncDirectory(directory);
}

/** Remove a credentials file, but only while it still holds the given key (a pending one never used). */
export async function removeCredentialsIfKey(path: string, keyId: string): Promise<void> {
  const current = await readCredentials(path).catch(() => undefined);
  if (current?.keyId === keyId && current.agentId === null) await unlink(path).catch(() => undefined);
}

async function linkExclusively(temporary: string, path: string): Promise<void> {
  try {
    await link(temporary, path);
    return;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw credentialsExist(path);
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EXDEV' && code !== 'ENOSYS') throw error;
  }
  // A file system without hard links: claim the name first, then replace the empty file atomically.
  try {
    await (await open(path, 'wx', 0o600)).close();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw credentialsExist(path);
    throw error;
  }
  await rename(temporary, path);
}

function credentialsExist(path: string): AimError {
  return new AimError('credentials_exist', `The credentials file ${path} was created by another process meanwhile; run again to use it.`);
}

async function syncDirectory(directory: string): Promise<void> {
  // Makes the rename durable on POSIX; directories cannot be opened this way on Windows.
  try {
    const handle = await open(directory, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    /* best effort */
  }
}

function parseCredentials(text: string, path: string): Credentials {
  // JSON.parse's message quotes the input, which holds the private key: never pass it on.
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw invalid(path, 'it is not JSON');
  }
  const record = value as Record<string, unknown>;
  if (typeof value !== 'object' || value === null) throw invalid(path, 'it is not a JSON object');
  if (record.version !== 1) throw invalid(path, 'its version is not 1');
  for (const field of ['baseUrl', 'name'] as const) {
    if (typeof record[field] !== 'string' || record[field] === '') throw invalid(path, `${field} is missing`);
  }
  for (const field of ['agentId', 'organizationId'] as const) {
    if (record[field] !== null && typeof record[field] !== 'string') throw invalid(path, `${field} must be a string or null`);
  }
  const key = parseStoredKey(record, path, 'the key');
  const credentials: Credentials = {
    version: 1,
    baseUrl: record.baseUrl as string,
    agentId: record.agentId as string | null,
    organizationId: record.organizationId as string | null,
    name: record.name as string,
    ...key,
  };
  if (record.pendingKey !== undefined && record.pendingKey !== null) {
    credentials.pendingKey = parseStoredKey(record.pendingKey as Record<string, unknown>, path, 'pendingKey');
  }
  return credentials;
}

function parseStoredKey(record: Record<string, unknown>, path: string, what: string): StoredKey {
  const jwk = record.privateKeyJwk as Record<string, unknown> | undefined;
  const isJwk = typeof jwk === 'object' && jwk !== null && jwk.kty === 'OKP' && jwk.crv === 'Ed25519' && typeof jwk.x === 'string' && typeof jwk.d === 'string';
  if (!isJwk) throw invalid(path, `${what} has no Ed25519 private JWK`);
  if (typeof record.keyId !== 'string' || typeof record.publicKey !== 'string' || record.publicKey !== jwk.x) {
    throw invalid(path, `${what}'s keyId or publicKey is missing or does not match the JWK`);
  }
  return {
    keyId: record.keyId,
    publicKey: record.publicKey,
    privateKeyJwk: { kty: 'OKP', crv: 'Ed25519', x: jwk.x as string, d: jwk.d as string },
  };
}

function invalid(path: string, reason: string): AimError {
  return new AimError('invalid_credentials', `The credentials file ${path} is not valid: ${reason}.`);
}

function fileNameFor(name: string): string {
  return Array.from(Buffer.from(name, 'utf8'))
    .map((byte) => (/[A-Za-z0-9._-]/.test(String.fromCharCode(byte)) ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`))
    .join('');
}
