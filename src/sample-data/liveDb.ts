/**
 * The L1 database `live`: a small stream of recent difference-image alerts (DiaSource) grouped
 * into DiaObjects. A third of the DiaObjects are variable stars of DC_W13_Stripe82.Object (their
 * objectId says which); the others are new transients anywhere on the strip.
 */
import type { DatabaseSpec } from '../catalog/model.js';
import { column } from './column.js';
import { BANDS, magToNjy } from './bands.js';
import { lazyRows, mjdToDate } from './lazyRows.js';
import { streamFor, type Random } from './random.js';
import { STRIP, type Stripe82Catalog } from './stripe82Catalog.js';
import { normalizeRa } from '../wcs/tan.js';

const LIVE_STREAM = 0x11fe;
export const LIVE_DIA_OBJECTS = 60;
const DIA_OBJECT_ID_BASE = 170_000_000_000;
/** First night of the alert stream (TAI MJD). */
const FIRST_NIGHT_MJD = 60800;

interface DiaObjectPlan {
  diaObjectId: number;
  ra: number;
  dec: number;
  objectId: number | null;
  kind: string;
  /** Mean magnitude and amplitude of the flux change. */
  mag: number;
  amplitude: number;
  epochs: number[];
}

/** A star of the catalog with r < 21, found by deterministic probing, or null when none is found quickly. */
function pickStar(rng: Random, catalog: Stripe82Catalog): { objectId: number; ra: number; dec: number; mag: number } | null {
  for (let attempt = 0; attempt < 200; attempt++) {
    const o = catalog.objectAt(rng.int(0, catalog.objectCount - 1));
    if (o.isStar && o.trueMag[2] < 21) return { objectId: o.objectId, ra: o.ra, dec: o.dec, mag: o.trueMag[2] };
  }
  return null;
}

function plans(seed: number, catalog: Stripe82Catalog): DiaObjectPlan[] {
  const out: DiaObjectPlan[] = [];
  for (let k = 0; k < LIVE_DIA_OBJECTS; k++) {
    const rng = streamFor(seed, LIVE_STREAM, k);
    const star = k % 3 === 0 ? pickStar(rng, catalog) : null;
    const n = rng.int(2, 12);
    const first = FIRST_NIGHT_MJD + rng.uniform(0, 20);
    const epochs = Array.from({ length: n }, (_, j) => first + j * rng.uniform(0.9, 3.1) + rng.uniform(0.1, 0.3));
    const dec = rng.uniform(STRIP.decMin, STRIP.decMax);
    out.push({
      diaObjectId: DIA_OBJECT_ID_BASE + k,
      ra: star ? star.ra : normalizeRa(rng.uniform(STRIP.raMin - 360, STRIP.raMax)),
      dec: star ? star.dec : dec,
      objectId: star ? star.objectId : null,
      kind: star ? 'variable star' : rng.chance(0.7) ? 'supernova candidate' : 'unclassified transient',
      mag: star ? star.mag : rng.uniform(19, 22.5),
      amplitude: star ? rng.uniform(0.3, 0.8) : 0.5,
      epochs,
    });
  }
  return out;
}

/** The L1 database `live`. */
export function liveDatabase(seed: number, catalog: Stripe82Catalog): DatabaseSpec {
  const objects = plans(seed, catalog);
  const diaObjectColumns = [
    column('diaObjectId', 'long', null, 'meta.id;meta.main', 'Unique identifier of the DiaObject.', { principal: true, indexed: true }),
    column('ra', 'double', 'deg', 'pos.eq.ra;meta.main', 'ICRS right ascension, in [0, 360).', { principal: true }),
    column('decl', 'double', 'deg', 'pos.eq.dec;meta.main', 'ICRS declination.', { principal: true }),
    column('nDiaSources', 'int', null, 'meta.number', 'Number of DiaSources (alerts) of this object.', { principal: true }),
    column('firstMidPointTai', 'double', 'd', 'time.epoch', 'Time of the first alert, TAI MJD.'),
    column('lastMidPointTai', 'double', 'd', 'time.epoch', 'Time of the latest alert, TAI MJD.', { principal: true }),
    column('classification', 'char', null, 'src.class', "Preliminary class: 'variable star', 'supernova candidate' or 'unclassified transient'.", { principal: true }),
    column('objectId', 'long', null, 'meta.id.cross', 'The matching DC_W13_Stripe82.Object.objectId, or NULL for a new transient.', { nullable: true }),
  ];
  const diaSourceColumns = [
    column('diaSourceId', 'long', null, 'meta.id;meta.main', 'Unique identifier of the DiaSource (alert).', { principal: true, indexed: true }),
    column('diaObjectId', 'long', null, 'meta.id.parent', 'The DiaObject this alert belongs to.', { principal: true, indexed: true }),
    column('ccdVisitId', 'long', null, 'meta.id;obs.image', 'The difference image the alert was detected on.'),
    column('filterName', 'char', null, 'instr.bandpass', "Filter name: 'u', 'g', 'r', 'i' or 'z'.", { principal: true }),
    column('ra', 'double', 'deg', 'pos.eq.ra;meta.main', 'ICRS right ascension, in [0, 360).', { principal: true }),
    column('decl', 'double', 'deg', 'pos.eq.dec;meta.main', 'ICRS declination.', { principal: true }),
    column('raSigma', 'float', 'arcsec', 'stat.error;pos.eq.ra', 'Uncertainty of ra (on the sky).'),
    column('declSigma', 'float', 'arcsec', 'stat.error;pos.eq.dec', 'Uncertainty of decl.'),
    column('midPointTai', 'double', 'd', 'time.epoch', 'Middle of the exposure, TAI MJD.', { principal: true }),
    column('psFlux', 'double', 'nJy', 'phot.flux.density', 'PSF flux density on the difference image (may be negative).', { principal: true }),
    column('psFluxSigma', 'float', 'nJy', 'stat.error;phot.flux.density', 'Uncertainty of psFlux.'),
    column('totFlux', 'double', 'nJy', 'phot.flux.density', 'PSF flux density on the direct image.'),
    column('snr', 'float', null, 'stat.snr', 'Signal-to-noise ratio of the detection on the difference image.'),
    column('isDipole', 'boolean', null, 'meta.code', 'True when the difference image shows a dipole (likely a bad subtraction).'),
    column('alertTime', 'char', null, 'time.processing', 'When the alert was issued (UTC).', { xtype: 'timestamp' }),
  ];
  return {
    name: 'live',
    level: 'L1',
    owner: 'lsst',
    description: 'Prompt (Level 1) products: recent difference-image alerts on Stripe 82, a sample stream.',
    annotations: { survey: 'LSST prompt processing (sample)', footprint: 'RA 300..60 deg, Dec -1.25..+1.25 deg', seed: String(seed) },
    tables: [
      {
        meta: { name: 'DiaObject', description: 'Objects that changed in brightness or appeared, built from their alerts.', columns: diaObjectColumns, primaryKey: ['diaObjectId'], position: { ra: 'ra', dec: 'decl' } },
        rows: lazyRows(function* () {
          for (const p of objects) {
            yield [p.diaObjectId, p.ra, p.dec, p.epochs.length, p.epochs[0], p.epochs[p.epochs.length - 1], p.kind, p.objectId];
          }
        }),
      },
      {
        meta: { name: 'DiaSource', description: 'Detections on difference images (one per alert).', columns: diaSourceColumns, primaryKey: ['diaSourceId'], position: { ra: 'ra', dec: 'decl' } },
        rows: lazyRows(function* () {
          for (const p of objects) {
            const rng = streamFor(seed, LIVE_STREAM, p.diaObjectId, 1);
            const cosDec = Math.cos((p.dec * Math.PI) / 180);
            for (let j = 0; j < p.epochs.length; j++) {
              const t = p.epochs[j];
              const band = BANDS[rng.int(0, 4)];
              // Alerts are 5-sigma detections: variable stars are caught away from their mean brightness.
              const swing = (rng.chance(0.5) ? 1 : -1) * rng.uniform(0.6, 1);
              const total = magToNjy(p.mag - p.amplitude * swing);
              const reference = p.objectId === null ? 0 : magToNjy(p.mag);
              const sigma = magToNjy(24) / 5 + total * 0.01;
              const diff = total - reference + rng.normal(0, sigma);
              const posSigma = Math.max(0.02, 0.5 / Math.max(Math.abs(diff) / sigma, 1));
              yield [
                p.diaObjectId * 100 + j,
                p.diaObjectId,
                (Math.floor(t * 100) * 1000 + rng.int(0, 188)) * 10 + band.id,
                band.name,
                normalizeRa(p.ra + rng.normal(0, posSigma) / 3600 / cosDec),
                p.dec + rng.normal(0, posSigma) / 3600,
                posSigma,
                posSigma,
                t,
                diff,
                sigma,
                total,
                Math.abs(diff) / sigma,
                rng.chance(0.05),
                mjdToDate(t + rng.uniform(30, 90) / 86400),
              ];
            }
          }
        }),
      },
    ],
    foreignKeys: [
      { fromTable: 'DiaSource', fromColumns: ['diaObjectId'], targetTable: 'DiaObject', targetColumns: ['diaObjectId'], description: 'The DiaObject an alert belongs to.' },
    ],
  };
}
