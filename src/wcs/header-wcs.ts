/**
 * Reading a celestial WCS from FITS header cards and writing one back: CTYPE, CRPIX, CRVAL,
 * CD or PC + CDELT (or the old CROTA2), LONPOLE, LATPOLE, PV2_1/PV2_2 for SIN, SIP A/B/AP/BP.
 */
import { fitsCards } from '../fits/header-writer.js';
import { PROJECTIONS, type CelestialWcs, type Projection, type Sip } from './projections.js';

/** What header-wcs needs of a header: numeric and string values by keyword. */
export interface HeaderValues {
  getNumber(keyword: string): number | undefined;
  getString(keyword: string): string | undefined;
}

/** A header without a usable celestial WCS. */
export class WcsHeaderError extends Error {}

const LON_PREFIXES = ['RA--', 'GLON', 'ELON', 'SLON', 'HLON'];
const LAT_PREFIXES = ['DEC-', 'GLAT', 'ELAT', 'SLAT', 'HLAT'];

function axisKind(ctype: string): 'lon' | 'lat' | null {
  const head = ctype.slice(0, 4);
  if (LON_PREFIXES.includes(head)) return 'lon';
  if (LAT_PREFIXES.includes(head)) return 'lat';
  return null;
}

function sipMatrix(h: HeaderValues, prefix: string, order: number): number[][] {
  const m: number[][] = [];
  for (let p = 0; p <= order; p++) {
    const row: number[] = [];
    for (let q = 0; q <= order - p; q++) row.push(h.getNumber(`${prefix}_${p}_${q}`) ?? 0);
    m.push(row);
  }
  return m;
}

/** The celestial WCS of image axes 1 and 2; throws WcsHeaderError when absent or unsupported. */
export function wcsFromHeader(h: HeaderValues): CelestialWcs {
  const c1 = (h.getString('CTYPE1') ?? '').toUpperCase();
  const c2 = (h.getString('CTYPE2') ?? '').toUpperCase();
  const k1 = axisKind(c1);
  const k2 = axisKind(c2);
  if (!k1 || !k2 || k1 === k2) throw new WcsHeaderError(`no celestial WCS on axes 1 and 2 (CTYPE1 '${c1}', CTYPE2 '${c2}')`);
  const proj1 = c1.slice(5, 8);
  const proj2 = c2.slice(5, 8);
  if (proj1 !== proj2) throw new WcsHeaderError(`CTYPE1 and CTYPE2 name different projections (${proj1}, ${proj2})`);
  if (!(PROJECTIONS as readonly string[]).includes(proj1)) {
    throw new WcsHeaderError(`projection ${proj1} is not supported (supported: ${PROJECTIONS.join(', ')})`);
  }
  const withSip = c1.endsWith('-SIP') && c2.endsWith('-SIP');
  const num = (k: string, fallback: number): number => h.getNumber(k) ?? fallback;
  let cd: [[number, number], [number, number]];
  const hasCd = ['CD1_1', 'CD1_2', 'CD2_1', 'CD2_2'].some((k) => h.getNumber(k) !== undefined);
  if (hasCd) {
    cd = [
      [num('CD1_1', 0), num('CD1_2', 0)],
      [num('CD2_1', 0), num('CD2_2', 0)],
    ];
  } else {
    const d1 = num('CDELT1', 1);
    const d2 = num('CDELT2', 1);
    const hasPc = ['PC1_1', 'PC1_2', 'PC2_1', 'PC2_2'].some((k) => h.getNumber(k) !== undefined);
    const crota = h.getNumber('CROTA2');
    let pc: [[number, number], [number, number]];
    if (hasPc || crota === undefined) {
      pc = [
        [num('PC1_1', 1), num('PC1_2', 0)],
        [num('PC2_1', 0), num('PC2_2', 1)],
      ];
    } else {
      const r = (crota * Math.PI) / 180;
      pc = [
        [Math.cos(r), (-Math.sin(r) * d2) / d1],
        [(Math.sin(r) * d1) / d2, Math.cos(r)],
      ];
    }
    cd = [
      [pc[0][0] * d1, pc[0][1] * d1],
      [pc[1][0] * d2, pc[1][1] * d2],
    ];
  }
  const latAxis = k1 === 'lat' ? 1 : 2;
  let sip: Sip | null = null;
  if (withSip) {
    const ao = h.getNumber('A_ORDER');
    const bo = h.getNumber('B_ORDER');
    if (ao === undefined || bo === undefined) throw new WcsHeaderError('-SIP CTYPE without A_ORDER and B_ORDER');
    sip = { a: sipMatrix(h, 'A', ao), b: sipMatrix(h, 'B', bo) };
    const apo = h.getNumber('AP_ORDER');
    const bpo = h.getNumber('BP_ORDER');
    if (apo !== undefined && bpo !== undefined) {
      sip.ap = sipMatrix(h, 'AP', apo);
      sip.bp = sipMatrix(h, 'BP', bpo);
    }
  }
  return {
    projection: proj1 as Projection,
    ctype: [c1, c2],
    lonAxis: k1 === 'lon' ? 0 : 1,
    crpix: [num('CRPIX1', 0), num('CRPIX2', 0)],
    crval: [num('CRVAL1', 0), num('CRVAL2', 0)],
    cd,
    lonpole: h.getNumber('LONPOLE') ?? null,
    latpole: h.getNumber('LATPOLE') ?? null,
    pv: [h.getNumber(`PV${latAxis}_1`) ?? 0, h.getNumber(`PV${latAxis}_2`) ?? 0],
    sip,
    radesys: h.getString('RADESYS') ?? h.getString('RADECSYS') ?? null,
  };
}

/** Keywords a WCS card set may hold (to drop them from a header before writing a new WCS). */
export function isWcsKeyword(keyword: string): boolean {
  return (
    /^(CTYPE|CRPIX|CRVAL|CDELT|CUNIT|CROTA)[12]$/.test(keyword) ||
    /^(CD|PC)[12]_[12]$/.test(keyword) ||
    /^PV[12]_\d+$/.test(keyword) ||
    /^(A|B|AP|BP)_(ORDER|\d+_\d+|DMAX)$/.test(keyword) ||
    ['LONPOLE', 'LATPOLE', 'RADESYS', 'RADECSYS', 'EQUINOX', 'WCSAXES'].includes(keyword)
  );
}

function sipCards(prefix: string, m: number[][]): string[] {
  const cards = fitsCards(`${prefix}_ORDER`, m.length - 1, `polynomial order, axis ${prefix}`);
  m.forEach((row, p) =>
    row.forEach((c, q) => {
      if (c !== 0) cards.push(...fitsCards(`${prefix}_${p}_${q}`, c));
    }),
  );
  return cards;
}

/** Header cards describing `wcs` (CD form, degrees; RADESYS ICRS unless the WCS says otherwise). */
export function wcsCards(wcs: CelestialWcs): string[] {
  const sipSuffix = (c: string): string => (wcs.sip ? `${c.slice(0, 8)}-SIP` : c.slice(0, 8));
  const cards: string[] = [
    ...fitsCards('WCSAXES', 2, 'number of WCS axes'),
    ...fitsCards('CTYPE1', sipSuffix(wcs.ctype[0]), 'projection type, axis 1'),
    ...fitsCards('CTYPE2', sipSuffix(wcs.ctype[1]), 'projection type, axis 2'),
    ...fitsCards('CRPIX1', wcs.crpix[0], 'reference pixel, axis 1 (FITS 1-based)'),
    ...fitsCards('CRPIX2', wcs.crpix[1], 'reference pixel, axis 2 (FITS 1-based)'),
    ...fitsCards('CRVAL1', wcs.crval[0], '[deg] coordinate at the reference pixel'),
    ...fitsCards('CRVAL2', wcs.crval[1], '[deg] coordinate at the reference pixel'),
    ...fitsCards('CUNIT1', 'deg', 'unit of CRVAL1'),
    ...fitsCards('CUNIT2', 'deg', 'unit of CRVAL2'),
    ...fitsCards('CD1_1', wcs.cd[0][0], 'linear transform, deg/pixel'),
    ...fitsCards('CD1_2', wcs.cd[0][1], 'linear transform, deg/pixel'),
    ...fitsCards('CD2_1', wcs.cd[1][0], 'linear transform, deg/pixel'),
    ...fitsCards('CD2_2', wcs.cd[1][1], 'linear transform, deg/pixel'),
  ];
  if (wcs.lonpole !== null) cards.push(...fitsCards('LONPOLE', wcs.lonpole, '[deg] native longitude of celestial pole'));
  if (wcs.latpole !== null) cards.push(...fitsCards('LATPOLE', wcs.latpole, '[deg] native latitude of celestial pole'));
  if (wcs.projection === 'SIN' && (wcs.pv[0] !== 0 || wcs.pv[1] !== 0)) {
    const lat = wcs.lonAxis === 0 ? 2 : 1;
    cards.push(...fitsCards(`PV${lat}_1`, wcs.pv[0]), ...fitsCards(`PV${lat}_2`, wcs.pv[1]));
  }
  cards.push(...fitsCards('RADESYS', wcs.radesys ?? 'ICRS', 'reference frame'));
  if (wcs.sip) {
    cards.push(...sipCards('A', wcs.sip.a), ...sipCards('B', wcs.sip.b));
    if (wcs.sip.ap && wcs.sip.bp) cards.push(...sipCards('AP', wcs.sip.ap), ...sipCards('BP', wcs.sip.bp));
  }
  return cards;
}
