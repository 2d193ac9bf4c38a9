/**
 * The query page (/query): ADQL editor, schema browser, examples, sync and async runs, results
 * as a table with downloads, plots and the sky view. The page's HTML (src/web/query-page-html.ts)
 * holds the empty elements this fills.
 */
import './page.css';
import { call, errorOf, outputFormats, runSync, setToken, token, ServiceError, type OutputFormat, type QueryRequest, type ResultTable } from './api.js';
import { abortJob, jobError, jobResult, submitJob, waitForJob, type AsyncJob } from './async-job.js';
import { createEditor } from './editor.js';
import { showSchemaBrowser } from './schema-browser.js';
import { showExamples } from './examples.js';
import { showResultsTable } from './results-table.js';
import { showDownloads } from './downloads.js';
import { showPlots } from './plots.js';
import { showSkyView } from './sky-view.js';

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;

const DEFAULT_QUERY = `SELECT TOP 100 objectId, ra, decl, rPsfMag
FROM DC_W13_Stripe82.Object
ORDER BY rPsfMag`;

const editor = createEditor($('editor'), new URLSearchParams(location.search).get('query') ?? DEFAULT_QUERY);
const statusLine = $('status');
const errorBox = $('error');
const maxrecInput = $<HTMLInputElement>('maxrec');
const formatSelect = $<HTMLSelectElement>('format');
const runButton = $<HTMLButtonElement>('run');
const asyncButton = $<HTMLButtonElement>('run-async');
const cancelButton = $<HTMLButtonElement>('cancel');
let formats: OutputFormat[] = [];
// What runs now, so Cancel can stop it: a sync fetch, or a job.
let running: { abort: AbortController; job: AsyncJob | null } | null = null;

function setStatus(text: string, state = ''): void {
  statusLine.textContent = text;
  statusLine.dataset.state = state;
}

function showError(e: unknown): void {
  const err = e instanceof Error ? e : new Error(String(e));
  errorBox.hidden = false;
  errorBox.replaceChildren();
  if (err instanceof ServiceError && err.line !== null && err.column !== null) {
    const pos = document.createElement('strong');
    pos.id = 'error-position';
    pos.textContent = `line ${err.line}, column ${err.column}`;
    errorBox.append(pos, ' ');
    editor.markError(err.line, err.column);
  }
  const msg = document.createElement('span');
  msg.id = 'error-message';
  // The position is shown (and marked) apart; the message says what is wrong there.
  msg.textContent = err.message.replace(/^line \d+, column \d+: /, '');
  errorBox.append(msg);
  setStatus('failed', 'error');
}

function clearError(): void {
  errorBox.hidden = true;
  errorBox.replaceChildren();
  editor.clearError();
}

/** The form as a request; MAXREC empty means the service default. */
function request(): QueryRequest {
  const m = maxrecInput.value.trim();
  return { query: editor.text(), maxrec: m === '' ? null : Number(m) };
}

function begin(job: AsyncJob | null): AbortController {
  const abort = new AbortController();
  running = { abort, job };
  runButton.disabled = asyncButton.disabled = true;
  cancelButton.disabled = false;
  clearError();
  return abort;
}

function end(): void {
  running = null;
  runButton.disabled = asyncButton.disabled = false;
  cancelButton.disabled = true;
}

function showResult(q: QueryRequest, table: ResultTable, ms: number, how: string): void {
  const overflow = table.overflow ? ' (MAXREC reached)' : '';
  setStatus(`${table.rows.length} rows${overflow}, ${table.columns.length} columns, ${how} in ${Math.round(ms)} ms`, 'done');
  $('results-section').hidden = false;
  showDownloads($('downloads'), q, formats, formatSelect.value, showError);
  showResultsTable($('results'), table);
  showPlots($('plots'), table);
  showSkyView($('sky'), table);
}

async function runQuery(): Promise<void> {
  if (running) return;
  const q = request();
  const abort = begin(null);
  setStatus('running…', 'running');
  const t0 = performance.now();
  try {
    showResult(q, await runSync(q, abort.signal), performance.now() - t0, 'sync');
  } catch (e) {
    if (abort.signal.aborted) setStatus('cancelled', 'cancelled');
    else showError(e);
  } finally {
    end();
  }
}

async function runAsync(): Promise<void> {
  if (running) return;
  const q = request();
  const abort = begin(null);
  setStatus('submitting…', 'running');
  const t0 = performance.now();
  try {
    const job = await submitJob(q);
    running!.job = job;
    const jobLink = document.createElement('a');
    jobLink.href = job.url;
    jobLink.textContent = job.url.slice(job.url.lastIndexOf('/') + 1);
    jobLink.id = 'job-link';
    const phase = await waitForJob(
      job,
      (p) => {
        statusLine.replaceChildren('job ', jobLink, ': ', Object.assign(document.createElement('span'), { id: 'job-phase', textContent: p }));
        statusLine.dataset.state = 'running';
      },
      () => abort.signal.aborted,
    );
    if (phase === 'COMPLETED') showResult(q, await jobResult(job), performance.now() - t0, `job ${jobLink.textContent}`);
    else if (phase === 'ERROR') showError(await jobError(job));
    else statusLine.dataset.state = 'cancelled';
  } catch (e) {
    showError(e);
  } finally {
    end();
  }
}

async function cancel(): Promise<void> {
  const r = running;
  if (!r) return;
  if (r.job) {
    try {
      await abortJob(r.job);
    } catch (e) {
      showError(e);
    }
  } else r.abort.abort();
}

runButton.addEventListener('click', () => void runQuery());
asyncButton.addEventListener('click', () => void runAsync());
cancelButton.addEventListener('click', () => void cancel());
editor.onRun(() => void runQuery());

/** The token field: kept for this tab only; the schema is read again as the new caller. */
async function showCaller(): Promise<void> {
  const who = $('who');
  if (token() === '') {
    who.textContent = 'anonymous';
    return;
  }
  const res = await call('/meta/v0', { headers: { Accept: 'application/json' } });
  if (!res.ok) {
    who.textContent = 'token refused';
    showError(await errorOf(res));
    return;
  }
  who.textContent = `signed in as ${res.headers.get('X-VO-Authenticated') ?? '?'}`;
}

function loadSchema(): void {
  showSchemaBrowser($('schema'), (name) => editor.insert(name)).catch((e) => {
    $('schema').textContent = `TAP_SCHEMA could not be read: ${(e as Error).message}`;
  });
}

const tokenInput = $<HTMLInputElement>('token');
tokenInput.value = token();
$('token-form').addEventListener('submit', (e) => {
  e.preventDefault();
  setToken(tokenInput.value);
  clearError();
  void showCaller();
  loadSchema();
});
$('token-clear').addEventListener('click', () => {
  tokenInput.value = '';
  setToken('');
  void showCaller();
  loadSchema();
});

void showCaller();
loadSchema();
showExamples($('examples'), (query) => {
  editor.setText(query);
  void runQuery();
}).catch((e) => ($('examples').textContent = `The examples could not be read: ${(e as Error).message}`));
outputFormats().then(
  (f) => {
    formats = f;
    formatSelect.replaceChildren(...f.map((x) => new Option(`${x.alias} (${x.mime})`, x.alias)));
  },
  (e) => showError(e),
);
document.body.dataset.ready = 'true';
