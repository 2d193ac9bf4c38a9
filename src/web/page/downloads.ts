/**
 * Download links: the same query in every output format the service offers. They are plain GET
 * links to /sync, so they work from the page, a new tab or curl; with a token, a click fetches
 * with the Authorization header instead (a link cannot carry one) and saves what came back.
 */
import { call, errorOf, syncUrl, token, type OutputFormat, type QueryRequest } from './api.js';

/** Fill `host` with a link per format; `primary` (the format chosen in the form) first. */
export function showDownloads(host: HTMLElement, q: QueryRequest, formats: OutputFormat[], primary: string, onError: (e: Error) => void): void {
  const label = document.createElement('span');
  label.textContent = 'Download: ';
  const links = [...formats].sort((a, b) => Number(b.alias === primary) - Number(a.alias === primary)).map((f) => {
    const a = document.createElement('a');
    a.href = syncUrl(q, f.alias);
    a.textContent = f.alias;
    a.title = f.mime;
    a.dataset.format = f.alias;
    a.className = f.alias === primary ? 'download primary' : 'download';
    a.download = `result.${extensionOf(f.alias)}`;
    a.addEventListener('click', (e) => {
      if (token() === '') return;
      e.preventDefault();
      saveWithToken(a.href, a.download).catch(onError);
    });
    return a;
  });
  host.replaceChildren(label, ...links.flatMap((a, i) => (i === 0 ? [a] : [' · ', a])));
}

/** The file name extension for a format's short name. */
function extensionOf(alias: string): string {
  if (alias.startsWith('votable')) return 'vot';
  if (alias === 'ipac') return 'tbl';
  return alias;
}

async function saveWithToken(url: string, filename: string): Promise<void> {
  const res = await call(url);
  if (!res.ok) throw await errorOf(res);
  const blobUrl = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = blobUrl;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(blobUrl), 60_000);
}
