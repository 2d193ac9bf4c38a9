import { expect } from 'chai';
import { freshDatabase, type TestDatabase } from '../support/database.js';
import { ImageCatalog, registerImage, type NewImage } from '../../src/images/image-catalog.js';
import { NotFoundError } from '../../src/errors.js';

describe('image catalog', function () {
  this.timeout(60_000);
  let tdb: TestDatabase & { drop(): Promise<void> };
  before(async () => {
    tdb = await freshDatabase();
  });
  after(async () => tdb?.drop());

  function image(level: string, owner: string, file: string): NewImage {
    return {
      level, collection: 'c', kind: 'calexp', owner, path: file, fileBytes: 1234, planes: ['data', 'mask'], hdus: { data: 1, mask: 2 },
      naxis1: 100, naxis2: 80, bitpix: -32, compressed: false,
      wcs: { projection: 'TAN', ctype: ['RA---TAN', 'DEC--TAN'], lonAxis: 0, crpix: [50, 40], crval: [10, 20], cd: [[-1e-4, 0], [0, 1e-4]], lonpole: null, latpole: null, pv: [0, 0], sip: null, radesys: 'ICRS' },
      ra: 10, dec: 20, fov: 0.02, footprint: [9.99, 19.99, 10.01, 19.99, 10.01, 20.01, 9.99, 20.01], pixelScale: 0.36, hpx: 123456789n,
      band: 'r', emMin: 5.5e-7, emMax: 6.9e-7, tMin: 60000.5, tMax: 60000.6, exptime: 30, fwhm: 0.8, tract: 7, patch: '1,2', visit: 9_000_000_001, ccd: 3, sourceId: 42,
      facilityName: 'f', instrumentName: 'i', annotations: { note: 'n' },
    };
  }

  it('gives an image by id (a prepared statement naming its columns) as the other lookups give it, every field; L3 only to its owner', async () => {
    const catalog = new ImageCatalog(tdb.db);
    const pub = await registerImage(tdb.db, image('L2', 'ann', 'c/a.fits'), 'http://x');
    const priv = await registerImage(tdb.db, image('L3', 'joe', 'c/b.fits'), 'http://x');
    for (let run = 0; run < 3; run++) {
      // The same statement again on each pooled connection: prepared once, then only run.
      const byId = await catalog.get('L2', 'c', 'calexp', pub, { user: null });
      const [near] = await catalog.near('L2', 'c', 'calexp', 10, 20, undefined, { user: null });
      expect(byId).to.deep.equal(near);
      expect(byId).to.deep.equal(await catalog.byTractPatch('L2', 'c', 'calexp', 7, '1,2', 'r', { user: null }));
      expect(Object.values(byId).every((v) => v !== undefined)).to.equal(true);
      expect((await catalog.get('L3', 'c', 'calexp', priv, { user: 'joe' })).owner).to.equal('joe');
      for (const viewer of [{ user: null }, { user: 'ann' }]) {
        let err: unknown = null;
        await catalog.get('L3', 'c', 'calexp', priv, viewer).catch((e: unknown) => (err = e));
        expect(err).to.be.instanceOf(NotFoundError);
      }
    }
  });
});
