/**
 * The sample catalogs of SPEC section 8, generated deterministically from a seed, never fetched:
 * DC_W13_Stripe82 (L2), live (L1) and joe_myDb (L3). Pure: rows are lazy iterables that the
 * loader streams into the database; each iteration regenerates them, so memory stays flat.
 */
import type { DatabaseSpec } from '../catalog/model.js';
import { BadRequestError } from '../errors.js';
import { joeDatabase } from './joeMyDb.js';
import { liveDatabase } from './liveDb.js';
import { OBJECTS_PER_SCALE, STRIP, stripe82Catalog, type Stripe82Catalog } from './stripe82Catalog.js';
import { STRIPE82_FOREIGN_KEYS, stripe82Tables } from './stripe82Tables.js';

/** Seed used when none is given. */
export const DEFAULT_SEED = 82;
/** Largest accepted scale: 200 million objects. */
export const MAX_SCALE = 10_000;

/** Options of the sample generator. */
export interface SampleOptions {
  /** Integer in [0, 2^32); default 82. */
  seed?: number;
  /** Multiplies the object count (and so the sources); default 1 (about 20,000 objects). */
  scale?: number;
}

/** Checked options with defaults applied. */
export function sampleOptions(options: SampleOptions = {}): { seed: number; scale: number } {
  const seed = options.seed ?? DEFAULT_SEED;
  const scale = options.scale ?? 1;
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new BadRequestError(`seed must be an integer from 0 to 4294967295, not ${seed}`);
  }
  if (!Number.isFinite(scale) || scale <= 0 || scale > MAX_SCALE) {
    throw new BadRequestError(`scale must be a number above 0 and at most ${MAX_SCALE}, not ${scale}`);
  }
  return { seed, scale };
}

/** The DC_W13_Stripe82 database over a catalog generator. */
export function stripe82Database(catalog: Stripe82Catalog): DatabaseSpec {
  return {
    name: 'DC_W13_Stripe82',
    level: 'L2',
    owner: 'lsst',
    description:
      'Sample data in the spirit of the LSST Winter 2013 data challenge on SDSS Stripe 82: objects, single-epoch sources, calexps and deep coadds on the strip RA 300..60 deg, Dec -1.25..+1.25 deg (crossing RA 0).',
    annotations: {
      dataChallenge: 'W13',
      survey: 'SDSS Stripe 82 (simulated)',
      footprint: `RA ${STRIP.raMin}..${STRIP.raMax} deg, Dec ${STRIP.decMin}..${STRIP.decMax} deg`,
      filters: 'u g r i z',
      photometricSystem: 'AB; fluxes in nJy',
      pixelConvention: 'x, y columns 0-based (LSST); crpix columns 1-based (FITS)',
      seed: String(catalog.seed),
      scale: String(catalog.scale),
      objects: String(catalog.objectCount),
      objectsPerScale: String(OBJECTS_PER_SCALE),
    },
    tables: stripe82Tables(catalog),
    foreignKeys: STRIPE82_FOREIGN_KEYS,
  };
}

/** The catalog generator behind DC_W13_Stripe82 (objects with their truth and sources, the image layout), for images. */
export function sampleCatalog(options: SampleOptions = {}): Stripe82Catalog {
  const { seed, scale } = sampleOptions(options);
  return stripe82Catalog(seed, scale);
}

/** The sample databases: DC_W13_Stripe82 (L2), live (L1), joe_myDb (L3, owned by joe). */
export function sampleDatabases(options: SampleOptions = {}): DatabaseSpec[] {
  const { seed, scale } = sampleOptions(options);
  const catalog = stripe82Catalog(seed, scale);
  return [stripe82Database(catalog), liveDatabase(seed, catalog), joeDatabase(seed, catalog)];
}
