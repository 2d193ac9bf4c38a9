/**
 * The one error hierarchy of vodax. Cores throw these; the HTTP layer maps them to a status
 * and a body (DALI error document or `{"error": ...}`) in exactly one place.
 */

/** Base of every error vodax reports to a user on purpose. */
export class VodaxError extends Error {
  /** HTTP status this error answers with. */
  readonly status: number;
  /** Short machine-readable code, e.g. 'NotFound', 'BadRequest'. */
  readonly code: string;
  constructor(message: string, status: number, code: string) {
    super(message);
    this.name = new.target.name;
    this.status = status;
    this.code = code;
  }
}

/** The request is malformed: bad parameter, bad value, contradictory input. */
export class BadRequestError extends VodaxError {
  constructor(message: string) {
    super(message, 400, 'BadRequest');
  }
}

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
    super(`${where}: ${message}`, 400, 'BadInput');
  }
}

/** A query text (ADQL) is invalid; carries the 1-based line and column of the fault. */
export class QuerySyntaxError extends VodaxError {
  constructor(
    readonly detail: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(`line ${line}, column ${column}: ${detail}`, 400, 'QuerySyntax');
  }
}

/** The resource does not exist, or its existence is private to someone else. */
export class NotFoundError extends VodaxError {
  constructor(message: string) {
    super(message, 404, 'NotFound');
  }
}

/** The caller gave no credentials or bad ones. */
export class UnauthorizedError extends VodaxError {
  constructor(message: string) {
    super(message, 401, 'Unauthorized');
  }
}

/** The caller is known but may not do this. */
export class ForbiddenError extends VodaxError {
  constructor(message: string) {
    super(message, 403, 'Forbidden');
  }
}

/** The method is not allowed on this resource. */
export class MethodNotAllowedError extends VodaxError {
  constructor(message: string) {
    super(message, 405, 'MethodNotAllowed');
  }
}

/** The server does not implement this request method at all (501). */
export class NotImplementedError extends VodaxError {
  constructor(message: string) {
    super(message, 501, 'NotImplemented');
  }
}

/** The client stopped sending its request before it was complete (408). */
export class RequestTimeoutError extends VodaxError {
  constructor(message: string) {
    super(message, 408, 'RequestTimeout');
  }
}

/** The request conflicts with the resource's state: a name taken, a job no longer PENDING (409). */
export class ConflictError extends VodaxError {
  constructor(message: string) {
    super(message, 409, 'Conflict');
  }
}

/** The request body is in a format this endpoint does not read (415). */
export class UnsupportedMediaTypeError extends VodaxError {
  constructor(message: string) {
    super(message, 415, 'UnsupportedMediaType');
  }
}

/** A limit (size, count, concurrency) was exceeded. */
export class LimitExceededError extends VodaxError {
  constructor(message: string, status = 413) {
    super(message, status, 'LimitExceeded');
  }
}

/** The service cannot answer now (database down, too busy). */
export class UnavailableError extends VodaxError {
  constructor(message: string, readonly retryAfterSeconds?: number) {
    super(message, 503, 'Unavailable');
  }
}

/** True when `e` is an error vodax raised on purpose (not a bug). */
export function isVodaxError(e: unknown): e is VodaxError {
  return e instanceof VodaxError;
}
