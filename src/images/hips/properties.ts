/**
 * The HiPS `properties` file (HiPS 1.0, section 4.4.1): `key = value` lines, UTF-8, '#' comments.
 * Writing keeps the given order; reading ignores comments and blank lines. Pure.
 */

/** The keywords HiPS 1.0 makes mandatory for every HiPS. */
export const MANDATORY_PROPERTIES = ['creator_did', 'obs_title', 'dataproduct_type', 'hips_version', 'hips_release_date', 'hips_status', 'hips_tile_format', 'hips_order', 'hips_frame'] as const;

/** The version of the HiPS standard these files follow (HiPS 1.0 writes 1.4). */
export const HIPS_VERSION = '1.4';

/** Properties in writing order. */
export type Properties = [key: string, value: string][];

/** The properties text; values are one line (line breaks become spaces). */
export function propertiesText(props: Properties, comment?: string): string {
  for (const [k] of props) if (!/^[A-Za-z0-9_.-]+$/.test(k)) throw new RangeError(`bad properties keyword "${k}"`);
  const width = Math.max(...props.map(([k]) => k.length));
  const head = comment ? `# ${comment.replace(/[\r\n]+/g, ' ')}\n` : '';
  return head + props.map(([k, v]) => `${k.padEnd(width)} = ${v.replace(/[\r\n]+/g, ' ')}`).join('\n') + '\n';
}

/** Parses a properties text (the last value of a repeated key wins in the map; all are in `all`). */
export function parseProperties(text: string): { map: Map<string, string>; all: Properties } {
  const all: Properties = [];
  const map = new Map<string, string>();
  for (const raw of text.split(/\r?\n/)) {
    if (raw.startsWith('#') || raw.trim() === '') continue;
    const eq = raw.indexOf('=');
    if (eq < 0) continue;
    const k = raw.slice(0, eq).trim();
    const v = raw.slice(eq + 1).trim();
    all.push([k, v]);
    map.set(k, v);
  }
  return { map, all };
}

/** ISO 8601 to the minute, UTC, as HiPS dates are written (YYYY-mm-ddTHH:MMZ). */
export function hipsDate(d: Date): string {
  return `${d.toISOString().slice(0, 16)}Z`;
}
