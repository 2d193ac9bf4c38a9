/**
 * The L3 database `joe_myDb` owned by `joe`: a personal list of objects he follows, some matched
 * to DC_W13_Stripe82.Object (bright stars and galaxies on the imaged areas), some of his own.
 */
import type { DatabaseSpec } from '../catalog/model.js';
import { column } from './column.js';
import { lazyRows } from './lazyRows.js';
import { streamFor } from './random.js';
import { STRIP, type SampleObject, type Stripe82Catalog } from './stripe82Catalog.js';
import { normalizeRa } from '../wcs/tan.js';

const JOE_STREAM = 0x10e;
export const JOE_OBJECTS = 40;
const JOE_MATCHED = 25;

/** The L3 database `joe_myDb`. */
export function joeDatabase(seed: number, catalog: Stripe82Catalog): DatabaseSpec {
  const columns = [
    column('id', 'int', null, 'meta.id;meta.main', 'Number of the entry in the list.', { principal: true, indexed: true }),
    column('name', 'char', null, 'meta.id', "Joe's name for the object.", { principal: true }),
    column('ra', 'double', 'deg', 'pos.eq.ra;meta.main', 'ICRS right ascension, in [0, 360).', { principal: true }),
    column('decl', 'double', 'deg', 'pos.eq.dec;meta.main', 'ICRS declination.', { principal: true }),
    column('objectId', 'long', null, 'meta.id.cross', 'The matching DC_W13_Stripe82.Object.objectId, or NULL.', { nullable: true, principal: true }),
    column('rMag', 'float', 'mag', 'phot.mag;em.opt.R', 'r-band AB magnitude Joe noted, or NULL.', { nullable: true }),
    column('note', 'char', null, 'meta.note', 'Free-text note, or NULL.', { nullable: true }),
    column('addedAt', 'char', null, 'time.creation', 'When Joe added the entry (UTC).', { xtype: 'timestamp' }),
  ];
  return {
    name: 'joe_myDb',
    level: 'L3',
    owner: 'joe',
    description: "Joe's private workspace: objects he follows on Stripe 82.",
    annotations: { purpose: 'personal follow-up list', seed: String(seed) },
    tables: [
      {
        meta: { name: 'MyObjects', description: 'Objects Joe follows, with his notes.', columns, primaryKey: ['id'], position: { ra: 'ra', dec: 'decl' } },
        rows: lazyRows(function* () {
          // Bright objects on the imaged areas: object indexes probed in a fixed order.
          const rng = streamFor(seed, JOE_STREAM);
          let probe = 0;
          const nextBright = (): SampleObject | null => {
            for (let tries = 0; tries < 400 && probe < catalog.objectCount; tries++, probe++) {
              const o = catalog.objectAt(probe);
              if (o.trueMag[2] < 21 && o.sources.length > 0) {
                probe++;
                return o;
              }
            }
            return null;
          };
          for (let id = 1; id <= JOE_OBJECTS; id++) {
            const added = new Date(Date.UTC(2025, 0, 1) + Math.floor(rng.uniform(0, 150 * 86400)) * 1000);
            const o = id <= JOE_MATCHED ? nextBright() : null;
            if (o) {
              const kind = o.isStar ? 'star' : 'galaxy';
              const rMag = o.psfMag[2];
              yield [id, `${kind}-${String(id).padStart(3, '0')}`, o.ra, o.dec, o.objectId, rMag === null ? null : Math.round(rMag * 100) / 100, o.variability ? 'varies!' : `check the ${kind} colours`, added];
            } else {
              const ra = normalizeRa(rng.uniform(STRIP.raMin - 360, STRIP.raMax));
              const dec = rng.uniform(STRIP.decMin, STRIP.decMax);
              yield [id, `candidate-${String(id).padStart(3, '0')}`, ra, dec, null, null, rng.chance(0.5) ? null : 'seen on an old plate', added];
            }
          }
        }),
      },
    ],
  };
}
