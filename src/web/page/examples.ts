/**
 * The TAP examples (DALI examples document at /db/v0/tap/examples), each with its name, its
 * description and a Run button that puts the query in the editor and runs it.
 */
import { TAP, call, errorOf } from './api.js';

export interface Example {
  id: string;
  name: string;
  description: string;
  query: string;
}

/** The examples the service publishes, in document order. */
export async function readExamples(): Promise<Example[]> {
  const res = await call(`${TAP}/examples`, { headers: { Accept: 'text/html' } });
  if (!res.ok) throw await errorOf(res);
  const doc = new DOMParser().parseFromString(await res.text(), 'text/html');
  return [...doc.querySelectorAll('[typeof="example"]')].map((ex) => ({
    id: ex.getAttribute('id') ?? '',
    name: ex.querySelector('[property="name"]')?.textContent?.trim() ?? '',
    description: ex.querySelector('p:not(:has([property]))')?.textContent?.trim().replace(/\s+/g, ' ') ?? '',
    query: ex.querySelector('[property="query"]')?.textContent ?? '',
  })).filter((e) => e.query.trim() !== '');
}

/** List the examples in `host`; `run` loads one into the editor and runs it. */
export async function showExamples(host: HTMLElement, run: (query: string) => void): Promise<void> {
  const examples = await readExamples();
  const list = document.createElement('ul');
  list.className = 'examples';
  for (const ex of examples) {
    const li = document.createElement('li');
    li.dataset.example = ex.id;
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'run-example';
    button.textContent = 'Run';
    button.title = ex.query;
    button.addEventListener('click', () => run(ex.query));
    const name = document.createElement('strong');
    name.textContent = ex.name;
    const desc = document.createElement('span');
    desc.className = 'muted';
    desc.textContent = ex.description ? ` ${ex.description}` : '';
    li.append(button, ' ', name, desc);
    list.append(li);
  }
  host.replaceChildren(list);
}
