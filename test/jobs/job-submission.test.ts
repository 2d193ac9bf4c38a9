/** The UWS control parameters as every face reads them: split from the job's own, checked alike. */
import { expect } from 'chai';
import { BadRequestError } from '../../src/errors.js';
import { RequestParams } from '../../src/params/request-params.js';
import { CONTROL_PARAMETERS, splitJobControl } from '../../src/jobs/job-submission.js';

const of = (query: string) => RequestParams.fromEntries(new URLSearchParams(query));

describe('splitJobControl', () => {
  it('splits the five control parameters, in any case, from the job parameters', () => {
    const { control, own } = splitJobControl(of('phase=run&RunId=r1&ExecutionDuration=30&DESTRUCTION=2099-03-01T12:00&action=delete&QUERY=q&x=1&x=2'));
    expect(control).to.deep.equal({ phase: 'RUN', action: 'DELETE', runId: 'r1', executionDuration: 30, destruction: new Date('2099-03-01T12:00:00Z') });
    expect(own.toRecord()).to.deep.equal({ query: ['q'], x: ['1', '2'] });
    expect(CONTROL_PARAMETERS).to.have.length(5);
  });

  it('leaves out what is absent or empty', () => {
    expect(splitJobControl(of('DESTRUCTION=&x=1')).control).to.deep.equal({
      phase: undefined,
      action: undefined,
      runId: undefined,
      executionDuration: undefined,
      destruction: undefined,
    });
  });

  for (const [query, message] of [
    ['PHASE=SUSPEND', /PHASE must be one of RUN, ABORT, got 'SUSPEND'/],
    ['ACTION=PURGE', /ACTION must be one of DELETE/],
    ['EXECUTIONDURATION=long', /EXECUTIONDURATION must be an integer number of seconds, got 'long'/],
    ['DESTRUCTION=March%201%2C%202099', /DESTRUCTION must be an ISO 8601 time, got 'March 1, 2099'/],
    ['RUNID=a&RUNID=b', /RUNID given more than once with different values/],
  ] as const) {
    it(`refuses ${query} with a 400 naming it`, () => {
      expect(() => splitJobControl(of(query))).to.throw(BadRequestError, message);
    });
  }
});
