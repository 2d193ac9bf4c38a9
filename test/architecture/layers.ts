/**
 * The layers of src/, lowest first (README "Layout"). A file may import from its own layer or a
 * lower one; faces (layer 6) may use each other's adapters (the LSST face mounts the IVOA UWS
 * binding for its image jobs), cores never a face.
 */
export const LAYERS: readonly (readonly string[])[] = [
  ['config.ts', 'log.ts', 'errors.ts', 'xml', 'fits', 'wcs', 'healpix', 'system', 'net', 'params'],
  ['storage', 'formats'],
  ['catalog', 'adql', 'auth'],
  ['query', 'jobs', 'images', 'ingest', 'sample-data', 'shard'],
  ['http'],
  ['ivoa', 'lsst', 'web'],
  ['server', 'cli', 'cli.ts'],
];

/** The layer (1-based) of a top-level entry of src/, or null when the table does not place it. */
export function layerOf(entry: string): number | null {
  const i = LAYERS.findIndex((names) => names.includes(entry));
  return i < 0 ? null : i + 1;
}
