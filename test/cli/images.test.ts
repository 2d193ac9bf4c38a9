import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { freshDatabase, type TestDatabase } from '../support/database.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { ingestCommand } from '../../src/cli/ingest.js';
import { emptyPrimaryBytes, imageHduChunks } from '../../src/fits/image-writer.js';
import { fitsCards } from '../../src/fits/header-writer.js';
import { wcsCards, wcsFromHeader } from '../../src/wcs/header-wcs.js';
import { wcsPixelToSky } from '../../src/wcs/projections.js';
import { FitsHeader, parseCard } from '../../src/fits/header.js';

describe('vodax ingest images', function () {
  this.timeout(60_000);
  let tdb: TestDatabase & { drop(): Promise<void> };
  let dataDir: string;
  let inbox: string;
  const sin = wcsFromHeader(
    new FitsHeader(
      [
        ...fitsCards('CTYPE1', 'RA---SIN'),
        ...fitsCards('CTYPE2', 'DEC--SIN'),
        ...fitsCards('CRPIX1', 50.5),
        ...fitsCards('CRPIX2', 40.5),
        ...fitsCards('CRVAL1', 83.6),
        ...fitsCards('CRVAL2', 22.0),
        ...fitsCards('CDELT1', -0.001),
        ...fitsCards('CDELT2', 0.001),
      ].map((c, i) => parseCard(c, i)),
    ),
  );

  before(async () => {
    tdb = await freshDatabase();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vodax-ingest-data-'));
    inbox = fs.mkdtempSync(path.join(os.tmpdir(), 'vodax-ingest-in-'));
    fs.mkdirSync(path.join(inbox, 'night1'));
    const data = new Float32Array(100 * 80).map((_, i) => i % 100);
    const cards = [...wcsCards(sin), ...fitsCards('FILTER', 'r'), ...fitsCards('MJD-OBS', 60000.5), ...fitsCards('EXPTIME', 30.0)];
    fs.writeFileSync(path.join(inbox, 'night1', 'a.fits'), Buffer.concat([...imageHduChunks({ primary: true, bitpix: -32, width: 100, height: 80, cards }, data)]));
    fs.writeFileSync(
      path.join(inbox, 'night1', 'b.fits'),
      Buffer.concat([emptyPrimaryBytes(), ...imageHduChunks({ primary: false, bitpix: -32, width: 100, height: 80, extname: 'IMAGE', cards }, data)]),
    );
    fs.writeFileSync(path.join(inbox, 'broken.fits'), 'not a fits file at all'.repeat(200));
  });
  after(async () => {
    await tdb?.drop();
    for (const d of [dataDir, inbox]) if (d) fs.rmSync(d, { recursive: true, force: true });
  });

  const run = (args: string[]) =>
    ingestCommand.run(['images', ...args], { config: loadConfig({ LOG_FORMAT: 'silent', DATA_DIR: dataDir, DATABASE_URL: tdb.url }), log: createLogger('silent') });

  it('registers the FITS files of a folder with footprints from their WCS, copies them under DATA_DIR, and reports failures', async () => {
    const code = await run([inbox, '--level', 'l1', '--collection', 'night', '--kind', 'raw', '--owner', 'ann']);
    expect(code).to.equal(1); // broken.fits
    const rows = await tdb.db.query<{ path: string; level: string; owner: string; band: string; footprint: number[]; t_min: number; t_max: number; planes: string[] }>(
      'SELECT path, level, owner, band, footprint, t_min, t_max, planes FROM vodax.images ORDER BY path',
    );
    expect(rows.map((r) => r.path)).to.deep.equal(['ingest/L1/night/raw/night1/a.fits', 'ingest/L1/night/raw/night1/b.fits']);
    for (const r of rows) {
      expect(fs.existsSync(path.join(dataDir, 'images', r.path))).to.equal(true);
      expect(r).to.include({ level: 'L1', owner: 'ann', band: 'r' });
      expect(r.planes).to.deep.equal(['data']);
      const corner = wcsPixelToSky(sin, 0.5, 0.5);
      expect(r.footprint[0]).to.be.closeTo(corner.ra, 1e-9);
      expect(r.footprint[1]).to.be.closeTo(corner.dec, 1e-9);
      expect(r.t_max - r.t_min).to.be.closeTo(30 / 86400, 1e-9);
    }
    // A second run finds them registered (the broken file still fails).
    fs.rmSync(path.join(inbox, 'broken.fits'));
    expect(await run([inbox, '--level', 'L1', '--collection', 'night', '--kind', 'raw'])).to.equal(0);
    expect((await tdb.db.query('SELECT id FROM vodax.images')).length).to.equal(2);
  });

  it('refuses missing options and a missing folder', async () => {
    let err: Error | null = null;
    await run([inbox, '--level', 'L9', '--collection', 'c', '--kind', 'k']).catch((e: Error) => (err = e));
    expect(String(err)).to.match(/--level must be one of/);
    err = null;
    await run([path.join(inbox, 'nope'), '--level', 'L1', '--collection', 'c', '--kind', 'k']).catch((e: Error) => (err = e));
    expect(String(err)).to.match(/is not a folder/);
    err = null;
    await run([inbox, '--level', 'L1', '--collection', '../x', '--kind', 'k']).catch((e: Error) => (err = e));
    expect(String(err)).to.match(/--collection must be/);
  });
});
