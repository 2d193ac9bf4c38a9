import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { BadRequestError } from '../../src/errors.js';
import type { DatabaseSpec } from '../../src/catalog/model.js';
import type { CellValue, ColumnMeta, TableSource } from '../../src/formats/table-model.js';
import { sampleDatabases } from '../../src/sample-data/sample.js';
import { imageContains } from '../../src/wcs/footprint.js';
import { pixelToSky, skyToLsstPixel, type TanWcs } from '../../src/wcs/tan.js';

type Row = CellValue[];

function table(db: DatabaseSpec, name: string): TableSource {
  const t = db.tables.find((x) => x.meta.name === name);
  if (!t) throw new Error(`no table ${name} in ${db.name}`);
  return t;
}

function rowsOf(t: TableSource, limit = Infinity): Row[] {
  const out: Row[] = [];
  for (const r of t.rows as Iterable<Row>) {
    if (out.length >= limit) break;
    out.push(r);
  }
  return out;
}

/** Rows as objects keyed by column name. */
function records(t: TableSource, limit = Infinity): Record<string, CellValue>[] {
  const names = t.meta.columns.map((c) => c.name);
  return rowsOf(t, limit).map((r) => Object.fromEntries(names.map((n, i) => [n, r[i]])));
}

function hashRows(t: TableSource, n: number): string {
  const h = createHash('sha256');
  for (const r of rowsOf(t, n)) {
    h.update(JSON.stringify(r, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)));
    h.update('\n');
  }
  return h.digest('hex');
}

function wcsOf(r: Record<string, CellValue>): TanWcs {
  const n = (k: string): number => r[k] as number;
  return { crpix: [n('crpix1'), n('crpix2')], crval: [n('crval1'), n('crval2')], cd: [[n('cd1_1'), n('cd1_2')], [n('cd2_1'), n('cd2_2')]] };
}

/** Angular separation in arcsec (small angles). */
function sepArcsec(ra1: number, dec1: number, ra2: number, dec2: number): number {
  let dRa = Math.abs(ra1 - ra2);
  if (dRa > 180) dRa = 360 - dRa;
  const x = dRa * Math.cos((((dec1 + dec2) / 2) * Math.PI) / 180);
  return Math.hypot(x, dec1 - dec2) * 3600;
}

function inStrip(ra: number, dec: number): boolean {
  return ra >= 0 && ra < 360 && (ra >= 300 || ra <= 60) && dec >= -1.25 && dec <= 1.25;
}

function checkCell(c: ColumnMeta, v: CellValue, where: string): void {
  if (v === null) {
    expect(c.nullable, `${where}: NULL in a non-nullable column`).to.equal(true);
    return;
  }
  switch (c.datatype) {
    case 'double':
    case 'float':
      expect(typeof v === 'number' && Number.isFinite(v), `${where}: ${String(v)}`).to.equal(true);
      break;
    case 'long':
    case 'int':
    case 'short':
    case 'unsignedByte':
      expect(typeof v === 'number' && Number.isSafeInteger(v), `${where}: ${String(v)}`).to.equal(true);
      if (c.datatype === 'int') expect(Math.abs(v as number), where).to.be.below(2 ** 31);
      if (c.datatype === 'short') expect(Math.abs(v as number), where).to.be.below(2 ** 15);
      break;
    case 'boolean':
      expect(v, where).to.be.a('boolean');
      break;
    case 'char':
    case 'unicodeChar':
      if (c.xtype === 'timestamp') expect(v, where).to.be.instanceOf(Date);
      else expect(v, where).to.be.a('string');
      break;
  }
}

describe('sample catalogs (SPEC section 8)', function () {
  this.timeout(120_000);
  type Rec = Record<string, CellValue>;
  let dbs: DatabaseSpec[];
  let stripe: DatabaseSpec;
  let objects: Rec[];
  let sources: Rec[];
  let exposures: Rec[];
  let coadds: Rec[];
  let coaddMeta: Rec[];
  let objectById: Map<number, Rec>;
  let exposureById: Map<number, Rec>;

  before(() => {
    dbs = sampleDatabases({});
    stripe = dbs.find((d) => d.name === 'DC_W13_Stripe82')!;
    objects = records(table(stripe, 'Object'));
    sources = records(table(stripe, 'Source'));
    exposures = records(table(stripe, 'Science_Ccd_Exposure'));
    coadds = records(table(stripe, 'DeepCoadd'));
    coaddMeta = records(table(stripe, 'DeepCoadd_Metadata'));
    objectById = new Map(objects.map((o) => [o.objectId as number, o]));
    exposureById = new Map(exposures.map((e) => [e.scienceCcdExposureId as number, e]));
  });

  it('holds DC_W13_Stripe82 (L2), live (L1) and joe_myDb (L3, owned by joe)', () => {
    expect(dbs.map((d) => [d.name, d.level])).to.deep.equal([
      ['DC_W13_Stripe82', 'L2'],
      ['live', 'L1'],
      ['joe_myDb', 'L3'],
    ]);
    expect(dbs[2].owner).to.equal('joe');
    expect(stripe.tables.map((t) => t.meta.name)).to.deep.equal(['Object', 'Source', 'Science_Ccd_Exposure', 'DeepCoadd', 'DeepCoadd_Metadata']);
    for (const d of dbs) {
      expect(d.description.length, d.name).to.be.greaterThan(20);
      expect(Object.keys(d.annotations).length, d.name).to.be.greaterThan(0);
    }
  });

  it('has about 20,000 objects and thousands of sources by default', () => {
    expect(objects.length).to.equal(20_000);
    expect(sources.length).to.be.within(3_000, 20_000);
    expect(exposures.length).to.be.within(20, 60);
    expect(coadds.length).to.equal(20);
  });

  it('describes every column with a datatype, a description, and a UCD and unit where they mean something', () => {
    for (const d of dbs) {
      for (const t of d.tables) {
        const where = `${d.name}.${t.meta.name}`;
        expect(t.meta.description, where).to.be.a('string').and.not.equal('');
        const names = t.meta.columns.map((c) => c.name);
        expect(new Set(names).size, `${where} duplicate column`).to.equal(names.length);
        for (const c of t.meta.columns) {
          expect(c.description, `${where}.${c.name}`).to.be.a('string').with.length.above(5);
          expect(c.datatype, `${where}.${c.name}`).to.be.a('string');
          const valueColumn = t.meta.name === 'DeepCoadd_Metadata' && /Value$/.test(c.name);
          if (!valueColumn) expect(c.ucd, `${where}.${c.name} UCD`).to.be.a('string').and.not.equal('');
          if (c.ucd?.startsWith('pos.eq.')) expect(c.unit, `${where}.${c.name}`).to.equal('deg');
          if (c.ucd?.startsWith('phot.flux')) expect(c.unit, `${where}.${c.name}`).to.equal('nJy');
          if (c.ucd?.startsWith('phot.mag')) expect(c.unit, `${where}.${c.name}`).to.equal('mag');
          if (c.ucd?.startsWith('time.epoch') && c.datatype === 'double') expect(c.unit, `${where}.${c.name}`).to.equal('d');
          if (c.ucd?.startsWith('meta.id')) expect(c.unit ?? null, `${where}.${c.name}`).to.equal(null);
        }
        for (const k of t.meta.primaryKey ?? []) expect(names, `${where} primary key`).to.include(k);
        expect(t.meta.primaryKey?.length, `${where} primary key`).to.be.greaterThan(0);
        if (t.meta.position) {
          const ra = t.meta.columns.find((c) => c.name === t.meta.position!.ra)!;
          const dec = t.meta.columns.find((c) => c.name === t.meta.position!.dec)!;
          expect(ra.ucd, where).to.equal('pos.eq.ra;meta.main');
          expect(dec.ucd, where).to.equal('pos.eq.dec;meta.main');
          expect(t.meta.position).to.deep.equal({ ra: 'ra', dec: 'decl' });
        }
      }
      for (const fk of d.foreignKeys ?? []) {
        const from = table(d, fk.fromTable).meta.columns.map((c) => c.name);
        const to = table(d, fk.targetTable).meta.columns.map((c) => c.name);
        for (const c of fk.fromColumns) expect(from, `${d.name} fk`).to.include(c);
        for (const c of fk.targetColumns) expect(to, `${d.name} fk`).to.include(c);
      }
    }
  });

  it('uses the LSST names and UCDs on the main columns', () => {
    const obj = table(stripe, 'Object').meta.columns;
    const byName = (n: string): ColumnMeta => obj.find((c) => c.name === n)!;
    expect(byName('objectId').ucd).to.equal('meta.id;meta.main');
    expect(byName('decl').ucd).to.equal('pos.eq.dec;meta.main');
    expect(obj.find((c) => c.name === 'dec')).to.equal(undefined);
    expect(byName('rPsfFlux').ucd).to.equal('phot.flux.density;em.opt.R');
    expect(byName('uPsfMag').ucd).to.equal('phot.mag;em.opt.U');
    expect(byName('objectId').datatype).to.equal('long');
    expect(byName('ra').principal).to.equal(true);
    const exp = table(stripe, 'Science_Ccd_Exposure').meta.columns.map((c) => c.name);
    for (const n of ['run', 'camcol', 'field', 'filterId', 'filterName', 'raDeSys', 'ctype1', 'crpix1', 'crval2', 'cd1_2', 'corner4Decl', 'taiMjd', 'expTime', 'fluxMag0', 'fwhm', 'naxis1']) {
      expect(exp).to.include(n);
    }
    expect(stripe.foreignKeys?.map((k) => `${k.fromTable}.${k.fromColumns[0]}->${k.targetTable}.${k.targetColumns[0]}`)).to.have.members([
      'Source.objectId->Object.objectId',
      'Source.scienceCcdExposureId->Science_Ccd_Exposure.scienceCcdExposureId',
      'DeepCoadd_Metadata.deepCoaddId->DeepCoadd.deepCoaddId',
    ]);
  });

  it('gives every cell a value of its column type, NULL only where the column allows it', () => {
    for (const d of dbs) {
      for (const t of d.tables) {
        for (const [i, r] of rowsOf(t, 3000).entries()) {
          expect(r.length, `${t.meta.name} row ${i}`).to.equal(t.meta.columns.length);
          t.meta.columns.forEach((c, j) => checkCell(c, r[j], `${d.name}.${t.meta.name}.${c.name} row ${i}`));
        }
      }
    }
  });

  it('has unique primary keys', () => {
    for (const d of dbs) {
      for (const t of d.tables) {
        const idx = (t.meta.primaryKey ?? []).map((k) => t.meta.columns.findIndex((c) => c.name === k));
        const keys = rowsOf(t).map((r) => idx.map((i) => String(r[i])).join('|'));
        expect(new Set(keys).size, `${d.name}.${t.meta.name}`).to.equal(keys.length);
      }
    }
  });

  it('keeps objects on the strip RA 300..60, Dec -1.25..+1.25, covering it from end to end', () => {
    for (const o of objects) expect(inStrip(o.ra as number, o.decl as number), `${o.ra}, ${o.decl}`).to.equal(true);
    const ras = objects.map((o) => o.ra as number);
    expect(ras.some((r) => r > 300 && r < 302)).to.equal(true);
    expect(ras.some((r) => r > 58 && r <= 60)).to.equal(true);
    expect(ras.some((r) => r > 359.9)).to.equal(true);
    expect(ras.some((r) => r < 0.1)).to.equal(true);
    const decs = objects.map((o) => o.decl as number);
    expect(Math.min(...decs)).to.be.below(-1.2);
    expect(Math.max(...decs)).to.be.above(1.2);
  });

  it('has realistic photometry: faint objects dominate, a few bright stars, magnitudes match fluxes', () => {
    const r = objects.map((o) => o.rPsfMag).filter((m): m is number => typeof m === 'number').sort((a, b) => a - b);
    expect(r[Math.floor(r.length / 2)]).to.be.within(21, 25);
    expect(objects.filter((o) => (o.rPsfMag as number) < 16 && o.extendedness === 0).length).to.be.at.least(10);
    for (const o of objects.slice(0, 500)) {
      for (const b of ['u', 'g', 'r', 'i', 'z']) {
        const f = o[`${b}PsfFlux`] as number;
        const m = o[`${b}PsfMag`];
        if (f > 0) expect(m as number).to.be.closeTo(31.4 - 2.5 * Math.log10(f), 1e-4);
        else expect(m).to.equal(null);
      }
    }
    // Bright stars appear on the calexps, some saturated.
    const brightSources = sources.filter((s) => (s.psfFlux as number) > 10 ** ((31.4 - 16) / 2.5));
    expect(brightSources.length).to.be.at.least(20);
    expect(sources.some((s) => s.flagSaturated === true)).to.equal(true);
  });

  it('attaches every source to an existing object and exposure, near the object, with the exposure filter and time', () => {
    for (const s of sources) {
      const o = objectById.get(s.objectId as number);
      const e = exposureById.get(s.scienceCcdExposureId as number);
      expect(o, `object of source ${s.sourceId}`).to.not.equal(undefined);
      expect(e, `exposure of source ${s.sourceId}`).to.not.equal(undefined);
      expect(s.filterId).to.equal(e!.filterId);
      expect(s.filterName).to.equal(e!.filterName);
      expect(s.taiMidPoint).to.equal(e!.taiMjd);
      expect(inStrip(s.ra as number, s.decl as number)).to.equal(true);
      const sep = sepArcsec(s.ra as number, s.decl as number, o!.ra as number, o!.decl as number);
      expect(sep, `source ${s.sourceId}`).to.be.below(Math.max(2, 6 * (s.raSigma as number)));
    }
    const counts = new Map<number, number>();
    for (const s of sources) counts.set(s.objectId as number, (counts.get(s.objectId as number) ?? 0) + 1);
    for (const o of objects) expect(o.nSources, `nSources of ${o.objectId}`).to.equal(counts.get(o.objectId as number) ?? 0);
  });

  it("puts every source inside its exposure's footprint, at the pixel the exposure's TAN WCS gives", () => {
    for (const s of sources) {
      const e = exposureById.get(s.scienceCcdExposureId as number)!;
      const wcs = wcsOf(e);
      expect(imageContains(wcs, e.naxis1 as number, e.naxis2 as number, s.ra as number, s.decl as number), `source ${s.sourceId}`).to.equal(true);
      const p = skyToLsstPixel(wcs, s.ra as number, s.decl as number);
      expect(p.x).to.be.closeTo(s.x as number, 1e-6);
      expect(p.y).to.be.closeTo(s.y as number, 1e-6);
    }
    // Only objects on some calexp have sources.
    const off = objects.filter((o) => !exposures.some((e) => imageContains(wcsOf(e), e.naxis1 as number, e.naxis2 as number, o.ra as number, o.decl as number)));
    expect(off.length).to.be.greaterThan(1000);
    for (const o of off) expect(o.nSources).to.equal(0);
  });

  it('gives images consistent WCS, sizes, centres and corners, some straddling RA 0', () => {
    for (const img of [...exposures, ...coadds]) {
      const wcs = wcsOf(img);
      const w = img.naxis1 as number;
      const h = img.naxis2 as number;
      expect(w * h).to.be.within(500_000, 1_100_000);
      expect(img.raDeSys).to.equal('ICRS');
      expect([img.ctype1, img.ctype2]).to.deep.equal(['RA---TAN', 'DEC--TAN']);
      const scale = Math.sqrt(Math.abs(wcs.cd[0][0] * wcs.cd[1][1] - wcs.cd[0][1] * wcs.cd[1][0])) * 3600;
      expect(scale).to.be.closeTo(0.396, 0.01);
      expect(wcs.cd[0][0] * wcs.cd[1][1] - wcs.cd[0][1] * wcs.cd[1][0], 'sky parity').to.be.below(0);
      const c = pixelToSky(wcs, (w + 1) / 2, (h + 1) / 2);
      expect(sepArcsec(c.ra, c.dec, img.ra as number, img.decl as number)).to.be.below(1e-6);
      const edges = [[0.5, 0.5], [w + 0.5, 0.5], [w + 0.5, h + 0.5], [0.5, h + 0.5]];
      edges.forEach(([x, y], k) => {
        const p = pixelToSky(wcs, x, y);
        expect(sepArcsec(p.ra, p.dec, img[`corner${k + 1}Ra`] as number, img[`corner${k + 1}Decl`] as number)).to.be.below(1e-6);
        expect(inStrip(img[`corner${k + 1}Ra`] as number, img[`corner${k + 1}Decl`] as number)).to.equal(true);
      });
    }
    const straddles = (img: Rec): boolean => {
      const ras = [1, 2, 3, 4].map((k) => img[`corner${k}Ra`] as number);
      return ras.some((r) => r > 359) && ras.some((r) => r < 1);
    };
    expect(exposures.filter(straddles).length).to.be.at.least(5);
    expect(coadds.filter(straddles).length).to.be.at.least(5);
    expect(exposures.some((e) => (e.ra as number) > 300 && (e.ra as number) < 350)).to.equal(true);
    expect(new Set(exposures.map((e) => e.run)).size).to.be.at.least(2);
    expect(new Set(exposures.map((e) => e.filterName))).to.deep.equal(new Set(['u', 'g', 'r', 'i', 'z']));
    expect(new Set(coadds.map((e) => e.filterName))).to.deep.equal(new Set(['u', 'g', 'r', 'i', 'z']));
  });

  it('lists coadd header keywords that agree with the DeepCoadd rows', () => {
    const byId = new Map(coadds.map((c) => [c.deepCoaddId as number, c]));
    const keys = new Set<string>();
    for (const m of coaddMeta) {
      const c = byId.get(m.deepCoaddId as number);
      expect(c, `coadd ${m.deepCoaddId}`).to.not.equal(undefined);
      keys.add(m.metadataKey as string);
      const values = [m.intValue, m.doubleValue, m.stringValue];
      expect(values.filter((v) => v !== null).length).to.equal(1);
      expect(values[(m.exposureType as number) - 1]).to.not.equal(null);
      const direct: Record<string, string> = { NAXIS1: 'naxis1', NAXIS2: 'naxis2', CRPIX1: 'crpix1', CRVAL1: 'crval1', CD2_2: 'cd2_2', FILTER: 'filterName', PATCH: 'patch', TRACT: 'tract' };
      const col = direct[m.metadataKey as string];
      if (col) expect(values.find((v) => v !== null)).to.equal(c![col]);
    }
    expect(keys).to.include.members(['NAXIS1', 'CTYPE1', 'CRVAL1', 'CD1_1', 'FLUXMAG0', 'NCOMBINE']);
  });

  it('is deterministic: the same seed gives the same rows, another seed other rows', () => {
    const again = sampleDatabases({});
    const other = sampleDatabases({ seed: 7 });
    for (const [i, d] of dbs.entries()) {
      for (const [j, t] of d.tables.entries()) {
        expect(hashRows(again[i].tables[j], 2000), `${d.name}.${t.meta.name}`).to.equal(hashRows(t, 2000));
        // Iterating the same table twice gives the same rows too.
        expect(hashRows(t, 500)).to.equal(hashRows(t, 500));
      }
    }
    expect(hashRows(table(other[0], 'Object'), 2000)).to.not.equal(hashRows(table(stripe, 'Object'), 2000));
  });

  it('scales the objects and their sources with scale', () => {
    const count = (d: DatabaseSpec, name: string): number => {
      let n = 0;
      for (const _ of table(d, name).rows as Iterable<Row>) n++;
      return n;
    };
    const quarter = sampleDatabases({ scale: 0.25 })[0];
    const half = sampleDatabases({ scale: 0.5 })[0];
    expect(count(quarter, 'Object')).to.equal(5000);
    expect(count(half, 'Object')).to.equal(10000);
    const ratio = count(half, 'Source') / count(quarter, 'Source');
    expect(ratio).to.be.within(1.7, 2.3);
    // Images do not change with scale.
    expect(hashRows(table(half, 'Science_Ccd_Exposure'), 100)).to.equal(hashRows(table(stripe, 'Science_Ccd_Exposure'), 100));
  });

  it('streams scale 100 (two million objects) lazily: the first rows come at once', () => {
    const t0 = Date.now();
    const big = sampleDatabases({ scale: 100 })[0];
    expect(big.annotations.objects).to.equal('2000000');
    const obj = rowsOf(table(big, 'Object'), 1000);
    const src = rowsOf(table(big, 'Source'), 1000);
    expect(obj).to.have.length(1000);
    expect(src).to.have.length(1000);
    expect(Date.now() - t0).to.be.below(5000);
    // Ids past 2^31 reach clients as 64-bit values.
    expect(obj[999][0]).to.be.above(2 ** 31);
  });

  it('rejects a bad seed or scale', () => {
    for (const bad of [{ seed: -1 }, { seed: 1.5 }, { seed: 2 ** 32 }, { scale: 0 }, { scale: -2 }, { scale: Number.NaN }, { scale: 1e9 }]) {
      expect(() => sampleDatabases(bad), JSON.stringify(bad)).to.throw(BadRequestError);
    }
  });

  it('gives live alerts tied to their DiaObjects, some to Stripe 82 objects', () => {
    const live = dbs[1];
    const diaObjects = records(table(live, 'DiaObject'));
    const diaSources = records(table(live, 'DiaSource'));
    expect(diaSources.length).to.be.within(150, 1000);
    const byId = new Map(diaObjects.map((o) => [o.diaObjectId as number, o]));
    const counts = new Map<number, number>();
    for (const s of diaSources) {
      const o = byId.get(s.diaObjectId as number);
      expect(o).to.not.equal(undefined);
      counts.set(s.diaObjectId as number, (counts.get(s.diaObjectId as number) ?? 0) + 1);
      expect(sepArcsec(s.ra as number, s.decl as number, o!.ra as number, o!.decl as number)).to.be.below(3);
      expect(Math.abs(s.snr as number)).to.be.at.least(3);
      expect(inStrip(s.ra as number, s.decl as number)).to.equal(true);
    }
    for (const o of diaObjects) expect(o.nDiaSources).to.equal(counts.get(o.diaObjectId as number));
    const matched = diaObjects.filter((o) => o.objectId !== null);
    expect(matched.length).to.be.at.least(10);
    for (const o of matched) {
      const s82 = objectById.get(o.objectId as number)!;
      expect(s82, `object ${o.objectId}`).to.not.equal(undefined);
      expect(sepArcsec(o.ra as number, o.decl as number, s82.ra as number, s82.decl as number)).to.be.below(1e-6);
    }
  });

  it("gives joe a private list whose matched entries are real Stripe 82 objects", () => {
    const joe = dbs[2];
    const mine = records(table(joe, 'MyObjects'));
    expect(mine.length).to.equal(40);
    const matched = mine.filter((m) => m.objectId !== null);
    expect(matched.length).to.be.at.least(20);
    for (const m of matched) {
      const o = objectById.get(m.objectId as number)!;
      expect(o).to.not.equal(undefined);
      expect(m.ra).to.equal(o.ra);
      expect(m.decl).to.equal(o.decl);
      expect(o.nSources as number).to.be.greaterThan(0);
    }
    for (const m of mine) expect(inStrip(m.ra as number, m.decl as number)).to.equal(true);
  });
});
