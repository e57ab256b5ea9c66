import { createHash, randomBytes } from 'node:crypto';

/**
 * Per-user API tokens: random, shown once, stored only as their SHA-256 (hex) in configuration
 * (`people.<id>.tokenHashes`). A copy of the configuration therefore signs nobody in.
 */
export const API_TOKEN_PREFIX = 'tq_';

export function newApiToken(): string {
  return `${API_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
}

export function apiTokenHash(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export function looksLikeApiToken(token: string): boolean {
  return token.startsWith(API_TOKEN_PREFIX);
}
