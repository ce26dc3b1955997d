import { randomToken, sha256 } from '../crypto/tokens.js';

/**
 * API keys: `aim_v1_` followed by 43 base64url characters (32 random bytes). The version lets the
 * format change later; the first 12 characters are kept in clear as a visible prefix so people can
 * tell their keys apart; only the SHA-256 of the whole key is stored.
 */
export const API_KEY_PATTERN = /^aim_v1_[A-Za-z0-9_-]{43}$/;
const PREFIX_LENGTH = 12;

export interface NewApiKey {
  key: string;
  prefix: string;
  hash: Buffer;
}

export function generateApiKey(): NewApiKey {
  const key = `aim_v1_${randomToken(32)}`;
  return { key, prefix: key.slice(0, PREFIX_LENGTH), hash: sha256(key) };
}

export function looksLikeApiKey(value: string): boolean {
  return API_KEY_PATTERN.test(value);
}
