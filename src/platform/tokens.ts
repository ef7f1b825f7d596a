import { createHash, randomBytes } from 'node:crypto';

/** Secrets are random and long, so a plain SHA-256 is enough to store them: nothing to brute-force. */
export function newSecret(prefix: string): string {
  return `${prefix}_${randomBytes(32).toString('base64url')}`;
}

export function secretHash(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}
