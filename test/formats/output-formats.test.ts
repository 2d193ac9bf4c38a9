import { expect } from 'chai';
import { DEFAULT_FORMAT, OUTPUT_FORMATS, negotiateFormat, resolveFormat } from '../../src/formats/output-formats.js';

const nameOf = (v: string): string | undefined => resolveFormat(v)?.format.name;

describe('output formats', () => {
  it('resolves short names case-insensitively', () => {
    expect(['votable', 'VOT', 'votable/td', 'fits', 'CSV', 'tsv', 'json', 'html', 'ipac'].map(nameOf)).to.deep.equal(
      ['votable', 'votable', 'votable', 'fits', 'csv', 'tsv', 'json', 'html', 'ipac'],
    );
    expect(['votable/b2', 'VOTABLEB2', 'votable/binary2'].map(nameOf)).to.deep.equal(['votable-b2', 'votable-b2', 'votable-b2']);
  });

  it('resolves media types with parameters, and answers with the media type the client named', () => {
    expect(resolveFormat('application/x-votable+xml;serialization=BINARY2')).to.deep.include({ contentType: 'application/x-votable+xml;serialization=BINARY2' });
    expect(nameOf('application/x-votable+xml; serialization="binary2"')).to.equal('votable-b2');
    expect(nameOf('Application/X-VOTable+XML')).to.equal('votable');
    expect(resolveFormat('text/xml')).to.deep.include({ contentType: 'text/xml' });
    expect(nameOf('text/xml')).to.equal('votable');
    expect(nameOf('text/csv;header=present')).to.equal('csv');
    expect(nameOf('text/csv; charset=utf-8')).to.equal('csv');
    expect(nameOf('text/tab-separated-values')).to.equal('tsv');
    expect(nameOf('application/fits')).to.equal('fits');
    expect(nameOf('application/json')).to.equal('json');
    expect(nameOf('text/html')).to.equal('html');
    expect(nameOf('text/plain')).to.equal('ipac');
    expect(resolveFormat('csv')?.contentType).to.equal('text/csv;header=present');
  });

  it('refuses unknown formats and unsupported serializations', () => {
    expect(resolveFormat('application/x-votable+xml;serialization=BINARY')).to.equal(null);
    expect(resolveFormat('parquet')).to.equal(null);
    expect(resolveFormat('image/png')).to.equal(null);
    expect(resolveFormat('text/csv\r\nX-Injected: 1')).to.equal(null);
  });

  it('negotiates from Accept with q-values, wildcards and a fallback', () => {
    expect(negotiateFormat(undefined)?.format).to.equal(DEFAULT_FORMAT);
    expect(negotiateFormat('*/*')?.format.name).to.equal('votable');
    expect(negotiateFormat('text/csv;q=0.5, application/json')?.format.name).to.equal('json');
    expect(negotiateFormat('text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8')?.format.name).to.equal('html');
    expect(negotiateFormat('application/x-votable+xml;serialization=binary2')?.format.name).to.equal('votable-b2');
    expect(negotiateFormat('text/*')?.format.name).to.equal('csv');
    expect(negotiateFormat('image/png, application/json;q=0')).to.equal(null);
    const json = OUTPUT_FORMATS.find((f) => f.name === 'json')!;
    expect(negotiateFormat('*/*', json)?.format.name).to.equal('json');
  });

  it('lists every format with a writer of the same name, a media type and aliases', () => {
    expect(OUTPUT_FORMATS.map((f) => f.name)).to.deep.equal(['votable', 'votable-b2', 'fits', 'csv', 'tsv', 'json', 'html', 'ipac']);
    for (const f of OUTPUT_FORMATS) {
      expect(f.writer.name).to.equal(f.name);
      expect(resolveFormat(f.mimeType)?.format).to.equal(f);
      for (const alias of [...f.shortNames, ...f.mediaTypes]) expect(resolveFormat(alias)?.format, alias).to.equal(f);
    }
  });
});
