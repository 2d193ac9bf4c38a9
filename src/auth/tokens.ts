/**
 * Bearer tokens: 256 random bits, shown to their holder once, stored only as a SHA-256 hash.
 * A high-entropy token needs no slow hash or salt: its hash cannot be inverted by guessing.
 */
import crypto from 'node:crypto';

/** What marks a vodax token, so a leaked one is recognisable (secret scanners, logs). */
export const TOKEN_PREFIX = 'vdx_';

/** Characters of a token shown in listings and accepted by `revoke --token`: prefix plus 8. */
export const TOKEN_ID_LENGTH = TOKEN_PREFIX.length + 8;

/** A new token in clear text: `vdx_` and 43 base64url characters (256 bits). */
export function newToken(): string {
  return TOKEN_PREFIX + crypto.randomBytes(32).toString('base64url');
}

/** The stored form of a token: hex SHA-256 of its text. */
export function hashToken(token: string): string {
  return crypto.createHash('sha256').update(token, 'utf8').digest('hex');
}

/** The short, non-secret head of a token that identifies it to its holder (48 of 256 bits). */
export function tokenId(token: string): string {
  return token.slice(0, TOKEN_ID_LENGTH);
}

/** True when a string has the shape of a token (cheap check before a database look-up). */
export function looksLikeToken(text: string): boolean {
  return /^[A-Za-z0-9._~+/=-]{16,512}$/.test(text);
}
