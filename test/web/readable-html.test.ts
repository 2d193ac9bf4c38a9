/** The LSST face's answers as pages for people (readable-html): links, tables, previews, escaping. */
import { expect } from 'chai';
import { readableHtml } from '../../src/web/readable-html.js';

describe('readable HTML of metadata answers (readable-html)', () => {
  it('a list of names links each to what it names, below the page', () => {
    const html = readableHtml('/meta/v0/db/L2', ['DC_W13_Stripe82', 'a b']);
    expect(html).to.include('<a href="/meta/v0/db/L2/DC_W13_Stripe82">DC_W13_Stripe82</a>');
    expect(html).to.include('<a href="/meta/v0/db/L2/a%20b">a b</a>');
    expect(html).to.include('<a href="/meta/v0/db">db</a>');
  });

  it('a table and its annotations: name/value rows, its columns as a table of their own, no JSON', () => {
    const html = readableHtml('/meta/v0/db/L2/D/tables/T', [
      { name: 'T', rowCount: 3, columns: [{ name: 'ra', unit: 'deg', ucd: 'pos.eq.ra', utype: null }, { name: 'id', unit: null, ucd: 'meta.id', utype: null }] },
      { note: 'x' },
    ]);
    expect(html).to.include('<h2>columns</h2>');
    expect(html).to.match(/<tr><th>name<\/th><th>unit<\/th><th>ucd<\/th><\/tr>/);
    expect(html).to.include('<tr><td>id</td><td></td><td>meta.id</td></tr>');
    expect(html).to.include('<h2>annotations</h2>');
    expect(html).not.to.match(/[[{]"/);
  });

  it('URLs are links; an image has a preview of its pixels; text is escaped', () => {
    const html = readableHtml('/meta/v0/image/L2/DR1/calexp/1', { url: 'http://h/image/v0/L2/DR1/calexp/1', naxis1: 10, wcs: { ctype: ['RA---TAN', 'DEC--TAN'] }, note: '<b>&' });
    expect(html).to.include('<a href="http://h/image/v0/L2/DR1/calexp/1">');
    expect(html).to.include('<img src="http://h/image/v0/L2/DR1/calexp/1?plane=data&amp;format=png"');
    expect(html).to.include('<th>ctype</th><td>RA---TAN, DEC--TAN</td>');
    expect(html).to.include('&lt;b&gt;&amp;');
  });

  it('a paged list says where it is and links the next page; a malformed path escape is shown, not thrown', () => {
    const html = readableHtml('/meta/v0/image/L2/DR1/calexp', ['http://h/1', 'http://h/2'], { start: 0, count: 2, more: true });
    expect(html).to.include('<li><a href="http://h/1">http://h/1</a></li>');
    expect(html).to.include('href="/meta/v0/image/L2/DR1/calexp?start=2&amp;count=2">next 2</a>');
    expect(readableHtml('/meta/v0/db/%E0%A4%A', [])).to.include('%E0%A4%A');
  });
});
