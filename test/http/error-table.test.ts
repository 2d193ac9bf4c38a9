import { expect } from 'chai';
import * as errors from '../../src/errors.js';
import { VodaxError, type ErrorKind } from '../../src/errors.js';
import { STATUS_OF_KIND, statusOf } from '../../src/http/error-table.js';

describe('the error table (kind -> HTTP status)', () => {
  it('gives each error class the status its users expect', () => {
    const cases: Array<[VodaxError, number]> = [
      [new errors.BadRequestError('x'), 400],
      [new errors.InputFileError('x', 'f.csv', 3, 4), 400],
      [new errors.QuerySyntaxError('x', 1, 2), 400],
      [new errors.UnauthorizedError('x'), 401],
      [new errors.ForbiddenError('x'), 403],
      [new errors.QuotaExceededError('x'), 403],
      [new errors.NotFoundError('x'), 404],
      [new errors.MethodNotAllowedError('x'), 405],
      [new errors.RequestTimeoutError('x'), 408],
      [new errors.QueryCancelledError('x'), 408],
      [new errors.ConflictError('x'), 409],
      [new errors.LimitExceededError('x'), 413],
      [new errors.UriTooLongError('x'), 414],
      [new errors.UnsupportedMediaTypeError('x'), 415],
      [new errors.HeadersTooLargeError('x'), 431],
      [new errors.NotImplementedError('x'), 501],
      [new errors.UnavailableError('x', 5), 503],
    ];
    for (const [e, status] of cases) expect(statusOf(e), e.name).to.equal(status);
  });

  it('maps every kind to a 4xx or 5xx, and the JSON code is the kind', () => {
    for (const [kind, status] of Object.entries(STATUS_OF_KIND)) {
      expect(status, kind).to.be.within(400, 599);
      expect(new VodaxError(kind as ErrorKind, 'm').code).to.equal(kind);
    }
  });

  it('keeps the class of each error for instanceof checks and its own name', () => {
    const e = new errors.NotFoundError('no such thing');
    expect(e).to.be.instanceOf(errors.NotFoundError).and.instanceOf(VodaxError).and.instanceOf(Error);
    expect(e).not.to.be.instanceOf(errors.BadRequestError);
    expect(e.name).to.equal('NotFoundError');
    expect(e.message).to.equal('no such thing');
  });
});
