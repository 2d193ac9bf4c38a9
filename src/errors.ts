/**
 * The one error hierarchy of vodax. Cores throw these with a kind; the HTTP layer maps each kind
 * to a status in one table (http/error-table.ts) and the face renders the body (DALI error
 * document or `{"error": ...}`).
 */

/** What went wrong, as a user can act on it; also the `code` of a JSON error. */
export type ErrorKind =
  | 'BadRequest'
  | 'BadInput'
  | 'QuerySyntax'
  | 'Unauthorized'
  | 'Forbidden'
  | 'NotFound'
  | 'MethodNotAllowed'
  | 'RequestTimeout'
  | 'QueryCancelled'
  | 'Conflict'
  | 'LimitExceeded'
  | 'QuotaExceeded'
  | 'UriTooLong'
  | 'HeadersTooLarge'
  | 'UnsupportedMediaType'
  | 'InternalError'
  | 'NotImplemented'
  | 'Unavailable'
  | 'ShardUnavailable';

/** Base of every error vodax reports to a user on purpose. */
export class VodaxError extends Error {
  constructor(
    readonly kind: ErrorKind,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }

  /** Short machine-readable code, e.g. 'NotFound', 'BadRequest'. */
  get code(): ErrorKind {
    return this.kind;
  }
}

/** A class of errors of one kind: `class NotFoundError extends errorOfKind('NotFound') {}`. */
function errorOfKind(kind: ErrorKind) {
  return class extends VodaxError {
    constructor(message: string) {
      super(kind, message);
    }
  };
}

/** The request is malformed: bad parameter, bad value, contradictory input. */
export class BadRequestError extends errorOfKind('BadRequest') {}
/** The resource does not exist, or its existence is private to someone else. */
export class NotFoundError extends errorOfKind('NotFound') {}
/** The caller gave no credentials or bad ones. */
export class UnauthorizedError extends errorOfKind('Unauthorized') {}
/** The caller is known but may not do this. */
export class ForbiddenError extends errorOfKind('Forbidden') {}
/** The method is not allowed on this resource. */
export class MethodNotAllowedError extends errorOfKind('MethodNotAllowed') {}
/** The server does not implement this request method at all. */
export class NotImplementedError extends errorOfKind('NotImplemented') {}
/** The client stopped sending its request before it was complete. */
export class RequestTimeoutError extends errorOfKind('RequestTimeout') {}
/** A query was cancelled on purpose (abort, timeout). */
export class QueryCancelledError extends errorOfKind('QueryCancelled') {}
/** The request conflicts with the resource's state: a name taken, a job no longer PENDING. */
export class ConflictError extends errorOfKind('Conflict') {}
/** The request body is in a format this endpoint does not read. */
export class UnsupportedMediaTypeError extends errorOfKind('UnsupportedMediaType') {}
/** A size limit was exceeded (a body, a field, an upload); a count of parameters is a BadRequest. */
export class LimitExceededError extends errorOfKind('LimitExceeded') {}
/** The caller holds as much as one user may (tables, databases). */
export class QuotaExceededError extends errorOfKind('QuotaExceeded') {}
/** The query string is longer than the server reads; the request belongs in a POST body. */
export class UriTooLongError extends errorOfKind('UriTooLong') {}
/** The request headers are larger than the server reads. */
export class HeadersTooLargeError extends errorOfKind('HeadersTooLarge') {}

/** A file given to a command (ingest) is broken; names the file, line and column. */
export class InputFileError extends VodaxError {
  constructor(
    message: string,
    readonly file: string,
    readonly line?: number,
    readonly column?: number,
  ) {
    const where = [file, line !== undefined ? `line ${line}` : null, column !== undefined ? `column ${column}` : null]
      .filter((x) => x !== null)
      .join(', ');
    super('BadInput', `${where}: ${message}`);
  }
}

/** A query text (ADQL) is invalid; carries the 1-based line and column of the fault. */
export class QuerySyntaxError extends VodaxError {
  constructor(
    readonly detail: string,
    readonly line: number,
    readonly column: number,
  ) {
    super('QuerySyntax', `line ${line}, column ${column}: ${detail}`);
  }
}

/** The service cannot answer now (database down, too busy); says when to try again. */
export class UnavailableError extends VodaxError {
  constructor(
    message: string,
    readonly retryAfterSeconds?: number,
  ) {
    super('Unavailable', message);
  }
}

/**
 * The tables a query was checked against changed before it ran (found in its own
 * transaction): the caller checks it again against the new catalog; a user sees it only when
 * the catalog keeps changing, as a 503 to retry.
 */
export class CatalogMovedError extends UnavailableError {
  constructor() {
    super('the tables changed while the query was prepared; try again', 1);
  }
}

/**
 * A shard of a sharded catalog (a postgres_fdw foreign server) cannot be reached: the query
 * needs it. Names the shard only, never its address or credentials.
 */
export class ShardUnavailableError extends VodaxError {
  constructor(readonly shard: string) {
    super('ShardUnavailable', `shard ${shard} is unavailable: the query needs rows it holds; queries on other regions of the sky still answer`);
  }

  /** From postgres_fdw's "could not connect to server" error; null for any other error. */
  static fromFdw(message: string | undefined, serverPrefix = 'vodax_shard_'): ShardUnavailableError | null {
    const m = /could not connect to server "([^"]+)"/.exec(message ?? '');
    if (!m) return null;
    return new ShardUnavailableError(m[1]!.startsWith(serverPrefix) ? m[1]!.slice(serverPrefix.length) : m[1]!);
  }
}

/** True when `e` is an error vodax raised on purpose (not a bug). */
export function isVodaxError(e: unknown): e is VodaxError {
  return e instanceof VodaxError;
}
