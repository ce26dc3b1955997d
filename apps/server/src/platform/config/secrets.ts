import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile, rename } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Secrets the server generates for itself in embedded mode, kept in the data folder (mode 0600).
 * A secret is generated once, the first time it is asked for, and never changes afterwards.
 * Deployments with an external database pass their secrets through the environment instead.
 */
export interface EmbeddedSecrets {
  postgresPassword: string;
  appRolePassword: string;
  /** `kid:key` in the AIM_ENCRYPTION_KEYS format. */
  encryptionKeys: string;
  lookupKey: string;
}

const FILE = 'secrets.json';

const generate = () => randomBytes(32).toString('base64url');

export async function loadOrCreateSecrets(dataDir: string): Promise<EmbeddedSecrets> {
  const path = join(dataDir, FILE);
  let stored: Partial<EmbeddedSecrets> = {};
  try {
    stored = JSON.parse(await readFile(path, 'utf8')) as Partial<EmbeddedSecrets>;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new Error(`Cannot read ${path}: ${(error as Error).message}. Fix or remove the file.`, { cause: error });
    }
  }
  const secrets: EmbeddedSecrets = {
    postgresPassword: stored.postgresPassword ?? generate(),
    appRolePassword: stored.appRolePassword ?? generate(),
    encryptionKeys: stored.encryptionKeys ?? `k1:${generate()}`,
    lookupKey: stored.lookupKey ?? generate(),
  };
  const changed = (Object.keys(secrets) as (keyof EmbeddedSecrets)[]).some((k) => secrets[k] !== stored[k]);
  if (changed) {
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    const tmp = `${path}.${process.pid}.tmp`;
    await writeFile(tmp, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
    await rename(tmp, path);
  }
  await chmod(path, 0o600);
  return secrets;
}
