/**
 * SODA's error documents (SODA 1.0 section 5.2): text/plain beginning with a label: Error,
 * AuthenticationError, AuthorizationError, ServiceUnavailable, UsageError or
 * MultiValuedParamNotSupported; NotFoundFault (DataLink's word, SODA has none) for an unknown,
 * malformed or private dataset id. A message that carries no label gets its kind's.
 */
import type { ErrorRenderer } from '../../http/error-style.js';
import type { ErrorKind } from '../../errors.js';

const LABELLED = /^(UsageError|MultiValuedParamNotSupported|NotFoundFault|Error|ServiceUnavailable|AuthenticationError|AuthorizationError):/;

/** The label of each kind of error; the rest are a general Error. */
const LABEL_OF_KIND: Partial<Record<ErrorKind, string>> = {
  BadRequest: 'UsageError',
  BadInput: 'UsageError',
  LimitExceeded: 'UsageError',
  UriTooLong: 'UsageError',
  HeadersTooLarge: 'UsageError',
  UnsupportedMediaType: 'UsageError',
  MethodNotAllowed: 'UsageError',
  NotFound: 'NotFoundFault',
  Unauthorized: 'AuthenticationError',
  Forbidden: 'AuthorizationError',
  QuotaExceeded: 'AuthorizationError',
  Unavailable: 'ServiceUnavailable',
};

/** A message with its SODA label. */
export function sodaErrorText(kind: ErrorKind, message: string): string {
  return LABELLED.test(message) ? message : `${LABEL_OF_KIND[kind] ?? 'Error'}: ${message}`;
}

/** The SODA face's error style. */
export const renderSodaError: ErrorRenderer = (e) => ({ type: 'text/plain; charset=utf-8', body: `${sodaErrorText(e.kind, e.message)}\n` });
