/**
 * The sky view: Aladin Lite (npm aladin-lite, served by vodax as a chunk of the page's bundle,
 * loaded only when asked for) over one of vodax's own image HiPS, with the result's positions
 * overlaid as a catalogue. Aladin's calls home (usage log, the CDS HiPS list) are switched off,
 * so the view works with no internet.
 */
import { call } from './api.js';
import { positionColumns } from './plots.js';
import type { ResultTable } from './api.js';

interface HipsEntry {
  url: string;
  level: string;
  collection: string;
  kind: string;
  filter?: string;
  built: boolean;
}

/** The server's image HiPS, built ones first, the r-band deep coadd preferred. */
export async function imageHips(): Promise<HipsEntry[]> {
  const res = await call('/image/v0/hips', { headers: { Accept: 'application/json' } });
  if (!res.ok) return [];
  const list = ((await res.json()) as { result: HipsEntry[] }).result;
  const rank = (h: HipsEntry) => (h.built ? 0 : 2) + (h.kind === 'deepCoadd' && h.filter === 'r' ? 0 : 1);
  return [...list].sort((a, b) => rank(a) - rank(b));
}

/** The circle (deg) that holds the positions: centre and radius, crossing RA 0 correctly. */
function extent(ra: number[], dec: number[]): { ra: number; dec: number; fov: number } {
  const rad = Math.PI / 180;
  let x = 0, y = 0, z = 0;
  for (let k = 0; k < ra.length; k++) {
    x += Math.cos(dec[k]! * rad) * Math.cos(ra[k]! * rad);
    y += Math.cos(dec[k]! * rad) * Math.sin(ra[k]! * rad);
    z += Math.sin(dec[k]! * rad);
  }
  const cra = ((Math.atan2(y, x) / rad) + 360) % 360;
  const cdec = Math.atan2(z, Math.hypot(x, y)) / rad;
  let r = 0;
  for (let k = 0; k < ra.length; k++) {
    const d = Math.acos(Math.min(1, Math.sin(cdec * rad) * Math.sin(dec[k]! * rad) + Math.cos(cdec * rad) * Math.cos(dec[k]! * rad) * Math.cos((ra[k]! - cra) * rad))) / rad;
    if (d > r) r = d;
  }
  return { ra: cra, dec: cdec, fov: Math.min(180, Math.max(0.05, r * 2.4)) };
}

/** Offer the sky view of the result in `host` (nothing to show without positions). */
export function showSkyView(host: HTMLElement, table: ResultTable): void {
  host.replaceChildren();
  const pos = positionColumns(table.columns);
  if (!pos) {
    host.append(Object.assign(document.createElement('p'), { className: 'muted', textContent: 'The result has no positions (no columns with UCD pos.eq.ra and pos.eq.dec).' }));
    return;
  }
  const ra: number[] = [], dec: number[] = [];
  for (const row of table.rows) {
    const a = Number(row[pos.ra]), d = Number(row[pos.dec]);
    if (row[pos.ra] !== null && row[pos.dec] !== null && Number.isFinite(a) && Number.isFinite(d)) {
      ra.push(a);
      dec.push(d);
    }
  }
  const button = document.createElement('button');
  button.type = 'button';
  button.id = 'show-sky';
  button.textContent = `Show the ${ra.length} positions on the sky (Aladin Lite)`;
  const choose = document.createElement('select');
  choose.setAttribute('aria-label', 'HiPS');
  const view = document.createElement('div');
  view.id = 'aladin';
  view.hidden = true;
  const note = document.createElement('p');
  note.className = 'muted';
  host.append(button, ' over ', choose, view, note);
  imageHips().then((list) => {
    // Without a HiPS of its own Aladin would fetch CDS's default survey: rather say so.
    if (list.length === 0) {
      button.disabled = true;
      note.textContent = 'This server has no image HiPS to show the positions over (it has no images).';
    }
    for (const h of list) choose.add(new Option(`${h.level}/${h.collection}/${h.kind}${h.filter ? `/${h.filter}` : ''}${h.built ? '' : ' (built on first use)'}`, new URL(h.url, location.href).href));
  });

  let aladin: { setImageSurvey(url: string): void } | null = null;
  choose.addEventListener('change', () => aladin?.setImageSurvey(choose.value));
  button.addEventListener('click', async () => {
    button.disabled = true;
    note.textContent = 'Loading Aladin Lite…';
    try {
      const { default: A } = await import('aladin-lite');
      await A.init;
      view.hidden = false;
      const at = extent(ra, dec);
      const survey = choose.value;
      const a = A.aladin(view, {
        survey,
        hipsList: [survey],
        // A target string that does not look like coordinates is sent to a name resolver: go by numbers.
        target: '0 +0',
        fov: at.fov,
        cooFrame: 'ICRS',
        log: false,
        showReticle: false,
        showSimbadPointerControl: false,
        showShareControl: false,
        showContextMenu: false,
        showLayersControl: false,
        showProjectionControl: false,
        showFullscreenControl: true,
        samp: false,
      });
      aladin = a;
      a.gotoRaDec(at.ra, at.dec);
      const cat = A.catalog({ name: 'query result', sourceSize: ra.length > 300 ? 5 : 9, color: '#ff4040', shape: 'circle' });
      a.addCatalog(cat);
      cat.addSources(ra.map((r, k) => A.source(r, dec[k]!)));
      view.dataset.sources = String(ra.length);
      note.textContent = `${ra.length} positions over ${survey || 'no HiPS'}; drag to pan, scroll to zoom.`;
    } catch (e) {
      note.textContent = `The sky view could not start: ${(e as Error).message ?? e}`;
      button.disabled = false;
    }
  });
}
