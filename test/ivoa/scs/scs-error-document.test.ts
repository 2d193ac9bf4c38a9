/** The cone search's error document: DALI's QUERY_STATUS and SCS 1.03's INFO Error, both escaped. */
import { expect } from 'chai';
import { scsErrorDocument, renderScsError } from '../../../src/ivoa/scs/scs-error-document.js';
import { BadRequestError } from '../../../src/errors.js';

describe('SCS error document (scs-error-document.ts)', () => {
  it('carries the message as DALI QUERY_STATUS=ERROR and as SCS 1.03 INFO name="Error" under VOTABLE', () => {
    const doc = scsErrorDocument('parameter RA is required');
    expect(doc).to.match(/<VOTABLE [^>]*>\n<INFO ID="Error" name="Error" value="parameter RA is required"\/>\n<RESOURCE type="results">/);
    expect(doc).to.contain('<INFO name="QUERY_STATUS" value="ERROR">parameter RA is required</INFO>');
  });

  it('escapes markup and quotes, and drops what XML cannot carry', () => {
    const doc = scsErrorDocument('no table "a<b>&c"\u0001');
    expect(doc).to.contain('value="no table &quot;a&lt;b&gt;&amp;c&quot;"');
    expect(doc).to.contain('>no table "a&lt;b&gt;&amp;c"</INFO>');
    expect(doc).to.not.contain('\u0001');
  });

  it('renders as a VOTable', () => {
    const r = renderScsError(new BadRequestError('x'));
    expect(r.type).to.match(/^application\/x-votable\+xml/);
    expect(r.body).to.contain('value="ERROR">x<');
  });
});
