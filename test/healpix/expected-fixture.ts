/** Loads the astropy-healpix reference values written by fixtures/healpix/make_expected.py. */

import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

export interface DiscCase {
  ra: number;
  dec: number;
  radius: number;
  order: number;
  pixels: number[];
  samples: Array<[number, number]>;
}

export interface PolygonCase {
  name: string;
  order: number;
  vertices: Array<[number, number]>;
  samples: Array<[number, number]>;
  samplePixels: number[];
}

export interface Expected {
  generator: string;
  /** Points before this index are edge cases; the rest are random. */
  edgeCount: number;
  points: Array<[number, number]>;
  ang2pix: Record<string, string[]>;
  pix2ang: Array<[number, string, number, number]>;
  discs: DiscCase[];
  polygons: PolygonCase[];
}

/** Parsed fixture file. */
export function loadExpected(): Expected {
  const url = new URL('../../fixtures/healpix/expected.json.gz', import.meta.url);
  return JSON.parse(gunzipSync(readFileSync(url)).toString('utf8')) as Expected;
}
