import { expect } from 'chai';
import { sampleCatalog, sampleDatabases } from '../../src/sample-data/sample.js';
import { objectsOnImage, sourcesOnExposure } from '../../src/sample-data/stripe82Catalog.js';
import { magToNjy, njyToCounts } from '../../src/sample-data/bands.js';
import type { CellValue } from '../../src/formats/table-model.js';

describe('sample catalog generator (what images draw)', function () {
  this.timeout(60_000);

  it('regenerates any object on its own, equal to the one the stream gives', () => {
    const cat = sampleCatalog({ seed: 3, scale: 0.1 });
    const streamed = [...cat.objects()];
    expect(streamed).to.have.length(2000);
    for (const i of [0, 11, 12, 999, 1999]) expect(cat.objectAt(i)).to.deep.equal(streamed[i]);
    expect(() => cat.objectAt(2000)).to.throw(RangeError);
  });

  it('lists the sources of each calexp, matching the Source table rows of that exposure', () => {
    const cat = sampleCatalog({ scale: 0.25 });
    const db = sampleDatabases({ scale: 0.25 })[0];
    const src = db.tables.find((t) => t.meta.name === 'Source')!;
    const expIdx = src.meta.columns.findIndex((c) => c.name === 'scienceCcdExposureId');
    const perExposure = new Map<CellValue, number>();
    for (const r of src.rows as Iterable<CellValue[]>) perExposure.set(r[expIdx], (perExposure.get(r[expIdx]) ?? 0) + 1);
    for (const e of cat.layout.exposures.slice(0, 6)) {
      const drawn = [...sourcesOnExposure(cat, e)];
      expect(drawn.length, e.path).to.equal(perExposure.get(e.scienceCcdExposureId) ?? 0);
      expect(drawn.length, e.path).to.be.greaterThan(10);
      for (const { source } of drawn) {
        expect(source.x).to.be.within(-0.5, e.naxis1 - 0.5);
        expect(source.y).to.be.within(-0.5, e.naxis2 - 0.5);
      }
    }
  });

  it('puts bright stars on every imaged area, bright enough to stand out in counts', () => {
    const cat = sampleCatalog({ scale: 0.25 });
    for (const c of cat.layout.coadds.filter((x) => x.band.name === 'r')) {
      const objs = [...objectsOnImage(cat, c)];
      expect(objs.length, c.path).to.be.greaterThan(50);
      const brightest = Math.min(...objs.map((o) => o.trueMag[2]));
      expect(brightest, c.path).to.be.below(17);
      // A 17th-magnitude star gives about 10^4 counts on a zero-point-27 coadd.
      expect(njyToCounts(magToNjy(17), c.fluxMag0)).to.be.closeTo(10 ** (0.4 * 10), 1);
    }
  });
});
