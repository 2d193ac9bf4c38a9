/**
 * Tables of the DC_W13_Stripe82 sample database: column descriptions after the LSST W13 schema
 * (names such as `decl`, `scienceCcdExposureId`, `corner1Ra`) and lazily streamed rows.
 */
import type { ForeignKeySpec } from '../catalog/model.js';
import type { ColumnMeta, TableMeta, TableSource, CellValue } from '../formats/table-model.js';
import { BANDS } from './bands.js';
import { column } from './column.js';
import { lazyRows, mjdToDate } from './lazyRows.js';
import type { Stripe82Catalog } from './stripe82Catalog.js';
import type { ImageGeometry, Stripe82Coadd, Stripe82Exposure } from './stripe82Layout.js';
import { PATCH_INNER_PIXELS, PATCH_BORDER_PIXELS, PATCHES_PER_TRACT, TRACT_SPACING_DEG, PIXEL_SCALE_ARCSEC } from './stripe82Layout.js';

const RA_MAIN = 'pos.eq.ra;meta.main';
const DEC_MAIN = 'pos.eq.dec;meta.main';

/** Columns shared by Science_Ccd_Exposure and DeepCoadd: the TAN WCS, the size and the corners. */
function imageGeometryColumns(what: string): ColumnMeta[] {
  const cols: ColumnMeta[] = [
    column('equinox', 'double', 'yr', 'time.equinox', `Equinox of the ${what} WCS (FITS EQUINOX).`),
    column('raDeSys', 'char', null, 'pos.frame', `Reference frame of the ${what} WCS (FITS RADESYS): ICRS.`),
    column('ctype1', 'char', null, 'pos.wcs.ctype', `Type of WCS axis 1 (FITS CTYPE1): RA---TAN.`),
    column('ctype2', 'char', null, 'pos.wcs.ctype', `Type of WCS axis 2 (FITS CTYPE2): DEC--TAN.`),
    column('crpix1', 'double', 'pix', 'pos.wcs.crpix', 'Reference pixel, axis 1 (FITS CRPIX1, 1-based: the first pixel centre is 1).'),
    column('crpix2', 'double', 'pix', 'pos.wcs.crpix', 'Reference pixel, axis 2 (FITS CRPIX2, 1-based).'),
    column('crval1', 'double', 'deg', 'pos.wcs.crval', 'Right ascension of the reference pixel (FITS CRVAL1).'),
    column('crval2', 'double', 'deg', 'pos.wcs.crval', 'Declination of the reference pixel (FITS CRVAL2).'),
    column('cd1_1', 'double', 'deg/pix', 'pos.wcs.cdmatrix', 'WCS CD matrix element 1_1: d(RA)/d(x).'),
    column('cd1_2', 'double', 'deg/pix', 'pos.wcs.cdmatrix', 'WCS CD matrix element 1_2: d(RA)/d(y).'),
    column('cd2_1', 'double', 'deg/pix', 'pos.wcs.cdmatrix', 'WCS CD matrix element 2_1: d(Dec)/d(x).'),
    column('cd2_2', 'double', 'deg/pix', 'pos.wcs.cdmatrix', 'WCS CD matrix element 2_2: d(Dec)/d(y).'),
    column('naxis1', 'int', 'pix', 'pos.wcs.naxis', `Width of the ${what} image, pixels (FITS NAXIS1).`),
    column('naxis2', 'int', 'pix', 'pos.wcs.naxis', `Height of the ${what} image, pixels (FITS NAXIS2).`),
  ];
  const cornerPixel = ['(-0.5, -0.5)', '(naxis1 - 0.5, -0.5)', '(naxis1 - 0.5, naxis2 - 0.5)', '(-0.5, naxis2 - 0.5)'];
  for (let k = 1; k <= 4; k++) {
    const where = `corner ${k} of the ${what} footprint: outer edge of pixel ${cornerPixel[k - 1]} in 0-based pixels`;
    cols.push(column(`corner${k}Ra`, 'double', 'deg', 'pos.eq.ra', `Right ascension of ${where}.`));
    cols.push(column(`corner${k}Decl`, 'double', 'deg', 'pos.eq.dec', `Declination of ${where}.`));
  }
  return cols;
}

function imageGeometryValues(g: ImageGeometry): CellValue[] {
  const w = g.wcs;
  return [
    2000.0, 'ICRS', 'RA---TAN', 'DEC--TAN',
    w.crpix[0], w.crpix[1], w.crval[0], w.crval[1],
    w.cd[0][0], w.cd[0][1], w.cd[1][0], w.cd[1][1],
    g.naxis1, g.naxis2,
    ...g.corners.flatMap((c) => [c.ra, c.dec]),
  ];
}

function filterColumns(): ColumnMeta[] {
  return [
    column('filterId', 'short', null, 'meta.id;instr.filter', 'Filter identifier: u=0, g=1, r=2, i=3, z=4.', { principal: true }),
    column('filterName', 'char', null, 'instr.bandpass', "Filter name: 'u', 'g', 'r', 'i' or 'z'.", { principal: true }),
  ];
}

/** Object: one row per astrophysical object, measured on the coadds. */
export const OBJECT_COLUMNS: ColumnMeta[] = [
  column('objectId', 'long', null, 'meta.id;meta.main', 'Unique identifier of the object.', { principal: true, indexed: true }),
  column('ra', 'double', 'deg', RA_MAIN, 'ICRS right ascension of the object, in [0, 360).', { principal: true }),
  column('decl', 'double', 'deg', DEC_MAIN, 'ICRS declination of the object.', { principal: true }),
  column('raSigma', 'float', 'arcsec', 'stat.error;pos.eq.ra', 'Uncertainty of ra (on the sky, i.e. already multiplied by cos(decl)).'),
  column('declSigma', 'float', 'arcsec', 'stat.error;pos.eq.dec', 'Uncertainty of decl.'),
  ...BANDS.flatMap((b) => [
    column(`${b.name}PsfFlux`, 'double', 'nJy', `phot.flux.density;${b.emUcd}`, `PSF flux density in the ${b.name} band, measured on the coadd.`, { principal: b.name === 'r' }),
    column(`${b.name}PsfFluxSigma`, 'float', 'nJy', `stat.error;phot.flux.density;${b.emUcd}`, `Uncertainty of ${b.name}PsfFlux.`),
    column(`${b.name}PsfMag`, 'float', 'mag', `phot.mag;${b.emUcd}`, `AB magnitude of ${b.name}PsfFlux; NULL when that flux is not positive.`, { principal: true, nullable: true }),
  ]),
  column('extendedness', 'float', null, 'src.class.starGalaxy', 'Probability that the object is extended: 0 for point sources (stars), 1 for galaxies.', { principal: true }),
  column('nSources', 'int', null, 'meta.number', 'Number of single-epoch sources associated with this object (0 outside the calexps).'),
];

/** Source: detections on single calexps, each associated with an object. */
export const SOURCE_COLUMNS: ColumnMeta[] = [
  column('sourceId', 'long', null, 'meta.id;meta.main', 'Unique identifier of the source: objectId * 100 + k, where k (1..99) numbers the calexp within the sample.', { principal: true, indexed: true }),
  column('scienceCcdExposureId', 'long', null, 'meta.id;obs.image', 'The calexp the source was detected on (Science_Ccd_Exposure.scienceCcdExposureId).', { principal: true, indexed: true }),
  column('objectId', 'long', null, 'meta.id.parent', 'The object the source is associated with (Object.objectId).', { principal: true, indexed: true }),
  ...filterColumns(),
  column('ra', 'double', 'deg', RA_MAIN, 'ICRS right ascension of the source, in [0, 360).', { principal: true }),
  column('decl', 'double', 'deg', DEC_MAIN, 'ICRS declination of the source.', { principal: true }),
  column('raSigma', 'float', 'arcsec', 'stat.error;pos.eq.ra', 'Uncertainty of ra (on the sky).'),
  column('declSigma', 'float', 'arcsec', 'stat.error;pos.eq.dec', 'Uncertainty of decl.'),
  column('x', 'double', 'pix', 'pos.cartesian.x;instr.det', 'Column of the source centroid on the calexp, 0-based (LSST convention; FITS pixel = x + 1).'),
  column('y', 'double', 'pix', 'pos.cartesian.y;instr.det', 'Row of the source centroid on the calexp, 0-based (LSST convention; FITS pixel = y + 1).'),
  column('taiMidPoint', 'double', 'd', 'time.epoch', 'Middle of the exposure, TAI, as a Modified Julian Date.', { principal: true }),
  column('psfFlux', 'double', 'nJy', 'phot.flux.density', 'Calibrated PSF flux density.', { principal: true }),
  column('psfFluxSigma', 'float', 'nJy', 'stat.error;phot.flux.density', 'Uncertainty of psfFlux.'),
  column('apFlux', 'double', 'nJy', 'phot.flux.density', 'Calibrated aperture flux density (12 pixel radius).'),
  column('apFluxSigma', 'float', 'nJy', 'stat.error;phot.flux.density', 'Uncertainty of apFlux.'),
  column('flagSaturated', 'boolean', null, 'meta.code.qual;instr.saturation', 'True when the source centre is saturated.'),
];

/** Science_Ccd_Exposure: one row per calexp (run, camcol, field, filter). */
export const EXPOSURE_COLUMNS: ColumnMeta[] = [
  column('scienceCcdExposureId', 'long', null, 'meta.id;meta.main', 'Unique identifier of the calexp: ((run * 10 + filterId) * 10 + camcol) * 10000 + field.', { principal: true, indexed: true }),
  column('run', 'int', null, 'meta.id;obs', 'SDSS imaging run number.', { principal: true }),
  column('camcol', 'short', null, 'meta.id;instr.det', 'SDSS camera column, 1..6.', { principal: true }),
  column('field', 'int', null, 'meta.id;obs.field', 'Field number within the run.', { principal: true }),
  ...filterColumns(),
  column('ra', 'double', 'deg', RA_MAIN, 'ICRS right ascension of the image centre, in [0, 360).', { principal: true }),
  column('decl', 'double', 'deg', DEC_MAIN, 'ICRS declination of the image centre.', { principal: true }),
  ...imageGeometryColumns('calexp'),
  column('taiMjd', 'double', 'd', 'time.epoch;obs.exposure', 'Middle of the exposure, TAI, as a Modified Julian Date.', { principal: true }),
  column('obsStart', 'char', null, 'time.start;obs.exposure', 'Start of the exposure (TAI).', { xtype: 'timestamp' }),
  column('expMidpt', 'char', null, 'time.epoch;obs.exposure', 'Middle of the exposure (TAI), ISO 8601 text.'),
  column('expTime', 'float', 's', 'time.duration;obs.exposure', 'Exposure time (drift-scan crossing time of the CCD).', { principal: true }),
  column('nCombine', 'int', null, 'meta.number', 'Number of exposures combined into this image (1 for a calexp).'),
  column('fluxMag0', 'float', 'adu', 'phot.calib;arith.zp', 'Counts a 0-magnitude (AB) source would give: counts = flux / 3631 Jy * fluxMag0.'),
  column('fluxMag0Sigma', 'float', 'adu', 'stat.error;phot.calib;arith.zp', 'Uncertainty of fluxMag0.'),
  column('fwhm', 'double', 'arcsec', 'instr.obsty.seeing', 'Full width at half maximum of the PSF.', { principal: true }),
  column('path', 'char', null, 'meta.file', 'Path of the calexp FITS file below the image root.'),
];

/** DeepCoadd: one row per coadd patch and filter. */
export const COADD_COLUMNS: ColumnMeta[] = [
  column('deepCoaddId', 'long', null, 'meta.id;meta.main', 'Unique identifier of the coadd: ((tract * 8192 + patchX) * 8192 + patchY) * 8 + filterId.', { principal: true, indexed: true }),
  column('tract', 'int', null, 'meta.id;obs.field', `Sky map tract: a TAN projection centred at RA = ${TRACT_SPACING_DEG} * tract (mod 360), Dec 0.`, { principal: true }),
  column('patch', 'char', null, 'meta.id.part;obs.field', `Patch within the tract as 'x,y' (${PATCHES_PER_TRACT} x ${PATCHES_PER_TRACT} patches of ${PATCH_INNER_PIXELS} pixels plus a ${PATCH_BORDER_PIXELS}-pixel border).`, { principal: true }),
  ...filterColumns(),
  column('ra', 'double', 'deg', RA_MAIN, 'ICRS right ascension of the image centre, in [0, 360).', { principal: true }),
  column('decl', 'double', 'deg', DEC_MAIN, 'ICRS declination of the image centre.', { principal: true }),
  ...imageGeometryColumns('coadd'),
  column('fluxMag0', 'float', 'adu', 'phot.calib;arith.zp', 'Counts of a 0-magnitude (AB) source: the coadds are scaled to a zero point of 27 mag.'),
  column('fluxMag0Sigma', 'float', 'adu', 'stat.error;phot.calib;arith.zp', 'Uncertainty of fluxMag0.'),
  column('matchedFwhm', 'double', 'arcsec', 'instr.obsty.seeing', 'PSF FWHM the inputs were matched to; NULL: these coadds are not PSF-matched.', { nullable: true }),
  column('measuredFwhm', 'double', 'arcsec', 'instr.obsty.seeing', 'PSF FWHM measured on the coadd.'),
  column('path', 'char', null, 'meta.file', 'Path of the coadd FITS file below the image root.'),
];

/** DeepCoadd_Metadata: the FITS header of each coadd as key/value rows. */
export const COADD_METADATA_COLUMNS: ColumnMeta[] = [
  column('deepCoaddId', 'long', null, 'meta.id;obs.image', 'The coadd this header card belongs to (DeepCoadd.deepCoaddId).', { principal: true, indexed: true }),
  column('metadataKey', 'char', null, 'meta.id', 'FITS header keyword.', { principal: true }),
  column('exposureType', 'short', null, 'meta.code', 'Which value column holds the value: 1 intValue, 2 doubleValue, 3 stringValue.'),
  column('intValue', 'int', null, null, 'Integer value of the keyword, else NULL.', { principal: true, nullable: true }),
  column('doubleValue', 'double', null, null, 'Floating-point value of the keyword, else NULL.', { principal: true, nullable: true }),
  column('stringValue', 'char', null, null, 'String value of the keyword, else NULL.', { principal: true, nullable: true }),
];

function objectRow(o: ReturnType<Stripe82Catalog['objectAt']>): CellValue[] {
  const row: CellValue[] = [o.objectId, o.ra, o.dec, o.raSigma, o.declSigma];
  for (const b of BANDS) row.push(o.psfFlux[b.id], o.psfFluxSigma[b.id], o.psfMag[b.id]);
  row.push(o.extendedness, o.sources.length);
  return row;
}

function exposureRow(e: Stripe82Exposure): CellValue[] {
  const mid = mjdToDate(e.taiMjd);
  return [
    e.scienceCcdExposureId, e.run, e.camcol, e.field, e.band.id, e.band.name, e.centre.ra, e.centre.dec,
    ...imageGeometryValues(e),
    e.taiMjd, mjdToDate(e.taiMjd - e.expTime / 2 / 86400), mid.toISOString(), e.expTime, 1,
    e.fluxMag0, e.fluxMag0Sigma, e.fwhm, e.path,
  ];
}

function coaddRow(c: Stripe82Coadd): CellValue[] {
  return [
    c.deepCoaddId, c.tract, c.patch, c.band.id, c.band.name, c.centre.ra, c.centre.dec,
    ...imageGeometryValues(c),
    c.fluxMag0, c.fluxMag0Sigma, null, c.measuredFwhm, c.path,
  ];
}

type Card = [string, number | string, 'int' | 'double' | 'string'];

/** The header cards a coadd's FITS file carries, as DeepCoadd_Metadata rows list them. */
export function coaddHeaderCards(c: Stripe82Coadd): Card[] {
  const w = c.wcs;
  return [
    ['NAXIS1', c.naxis1, 'int'], ['NAXIS2', c.naxis2, 'int'],
    ['CTYPE1', 'RA---TAN', 'string'], ['CTYPE2', 'DEC--TAN', 'string'],
    ['CRPIX1', w.crpix[0], 'double'], ['CRPIX2', w.crpix[1], 'double'],
    ['CRVAL1', w.crval[0], 'double'], ['CRVAL2', w.crval[1], 'double'],
    ['CD1_1', w.cd[0][0], 'double'], ['CD1_2', w.cd[0][1], 'double'],
    ['CD2_1', w.cd[1][0], 'double'], ['CD2_2', w.cd[1][1], 'double'],
    ['EQUINOX', 2000.0, 'double'], ['RADESYS', 'ICRS', 'string'],
    ['LTV1', -c.x0, 'int'], ['LTV2', -c.y0, 'int'],
    ['FILTER', c.band.name, 'string'], ['TRACT', c.tract, 'int'], ['PATCH', c.patch, 'string'],
    ['FLUXMAG0', c.fluxMag0, 'double'], ['FLUXMAG0ERR', c.fluxMag0Sigma, 'double'],
    ['NCOMBINE', c.nCombine, 'int'], ['EXPTIME', c.expTime, 'double'],
    ['PIXSCALE', PIXEL_SCALE_ARCSEC, 'double'],
  ];
}

function metadataRows(c: Stripe82Coadd): CellValue[][] {
  return coaddHeaderCards(c).map(([key, value, kind]) => [
    c.deepCoaddId, key, kind === 'int' ? 1 : kind === 'double' ? 2 : 3,
    kind === 'int' ? value : null, kind === 'double' ? value : null, kind === 'string' ? value : null,
  ]);
}

function meta(name: string, description: string, columns: ColumnMeta[], primaryKey: string[], positioned: boolean): TableMeta {
  return { name, description, columns, primaryKey, position: positioned ? { ra: 'ra', dec: 'decl' } : null };
}

/** The five tables of DC_W13_Stripe82 over one catalog generator. */
export function stripe82Tables(catalog: Stripe82Catalog): TableSource[] {
  const { exposures, coadds } = catalog.layout;
  return [
    {
      meta: meta('Object', 'Astrophysical objects detected on the deep coadds of the strip, with PSF photometry in u, g, r, i, z.', OBJECT_COLUMNS, ['objectId'], true),
      rows: lazyRows(function* () {
        for (const o of catalog.objects()) yield objectRow(o);
      }),
    },
    {
      meta: meta('Source', 'Detections of objects on single calexps (Science_Ccd_Exposure), with calibrated fluxes.', SOURCE_COLUMNS, ['sourceId'], true),
      rows: lazyRows(function* () {
        for (const o of catalog.objects()) {
          for (const s of o.sources) {
            const e = s.exposure;
            yield [
              s.sourceId, e.scienceCcdExposureId, o.objectId, e.band.id, e.band.name, s.ra, s.dec, s.raSigma, s.declSigma,
              s.x, s.y, e.taiMjd, s.psfFlux, s.psfFluxSigma, s.apFlux, s.apFluxSigma, s.flagSaturated,
            ];
          }
        }
      }),
    },
    {
      meta: meta('Science_Ccd_Exposure', 'Calibrated single-epoch CCD images (calexp): SDSS run, camcol, field and filter, with TAN WCS and footprint.', EXPOSURE_COLUMNS, ['scienceCcdExposureId'], true),
      rows: lazyRows(function* () {
        for (const e of exposures) yield exposureRow(e);
      }),
    },
    {
      meta: meta('DeepCoadd', 'Deep coadded images per sky-map tract, patch and filter, with TAN WCS and footprint.', COADD_COLUMNS, ['deepCoaddId'], true),
      rows: lazyRows(function* () {
        for (const c of coadds) yield coaddRow(c);
      }),
    },
    {
      meta: meta('DeepCoadd_Metadata', 'FITS header keywords of the deep coadds, one row per keyword.', COADD_METADATA_COLUMNS, ['deepCoaddId', 'metadataKey'], false),
      rows: lazyRows(function* () {
        for (const c of coadds) yield* metadataRows(c);
      }),
    },
  ];
}

/** Foreign keys between the DC_W13_Stripe82 tables. */
export const STRIPE82_FOREIGN_KEYS: ForeignKeySpec[] = [
  { fromTable: 'Source', fromColumns: ['objectId'], targetTable: 'Object', targetColumns: ['objectId'], description: 'The object a source belongs to.' },
  { fromTable: 'Source', fromColumns: ['scienceCcdExposureId'], targetTable: 'Science_Ccd_Exposure', targetColumns: ['scienceCcdExposureId'], description: 'The calexp a source was detected on.' },
  { fromTable: 'DeepCoadd_Metadata', fromColumns: ['deepCoaddId'], targetTable: 'DeepCoadd', targetColumns: ['deepCoaddId'], description: 'The coadd a header keyword belongs to.' },
];
