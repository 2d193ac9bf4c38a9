/**
 * The `WWW-Authenticate` challenge of a 401. vodax tokens are RFC 6750 bearer tokens issued by
 * `vodax user add|token`; there is no login endpoint or OAuth discovery document to advertise,
 * so the challenge is RFC 6750's `Bearer` (the scheme IVOA AuthVO names for bearer tokens),
 * with `error` telling a bad token apart from a missing one.
 */
import { UnauthorizedError } from '../errors.js';

/** The protection space: one realm for the whole server. */
export const REALM = 'vodax';

/** A 401 caused by the credentials presented: a bad, revoked or malformed bearer token (RFC 6750 `invalid_token`). */
export class BearerTokenError extends UnauthorizedError {
  readonly bearerError = 'invalid_token';
}

/** The challenge for a 401: with `error` and `error_description` when a token was presented. */
export function bearerChallenge(e: UnauthorizedError): string {
  const parts = [`Bearer realm="${REALM}"`];
  if (e instanceof BearerTokenError) {
    parts.push(`error="${e.bearerError}"`, `error_description="${quotable(e.message)}"`);
  }
  return parts.join(', ');
}

/** Text safe inside an RFC 6750 quoted value: printable ASCII without `"` and `\`. */
function quotable(text: string): string {
  return text.replace(/[^\x20-\x7e]|["\\]/g, "'").slice(0, 200);
}
