/**
 * The schema browser: schemas, tables and columns (with units, UCDs and descriptions) from
 * TAP_SCHEMA, queried through TAP like any other table, so a signed-in user sees their own
 * private tables too. A click inserts the name into the editor.
 */
import { rowsOf } from './api.js';

interface TableInfo {
  schema: string;
  name: string;
  type: string;
  description: string;
  columns: { name: string; datatype: string; unit: string; ucd: string; description: string }[];
}

const s = (v: unknown): string => (v === null || v === undefined ? '' : String(v));

/** Read TAP_SCHEMA: every table the caller may query, with its columns in order. */
async function readTapSchema(): Promise<{ schemas: { name: string; description: string }[]; tables: TableInfo[] }> {
  const [schemas, tables, columns] = await Promise.all([
    rowsOf('SELECT schema_name, description FROM TAP_SCHEMA.schemas ORDER BY schema_index, schema_name'),
    rowsOf('SELECT schema_name, table_name, table_type, description FROM TAP_SCHEMA.tables ORDER BY table_index, table_name'),
    rowsOf('SELECT table_name, column_name, datatype, unit, ucd, description FROM TAP_SCHEMA.columns ORDER BY table_name, column_index'),
  ]);
  const byName = new Map<string, TableInfo>();
  for (const [schema, name, type, description] of tables) byName.set(s(name), { schema: s(schema), name: s(name), type: s(type), description: s(description), columns: [] });
  for (const [table, name, datatype, unit, ucd, description] of columns) byName.get(s(table))?.columns.push({ name: s(name), datatype: s(datatype), unit: s(unit), ucd: s(ucd), description: s(description) });
  return { schemas: schemas.map(([name, description]) => ({ name: s(name), description: s(description) })), tables: [...byName.values()] };
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls: string, text = ''): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text) e.textContent = text;
  return e;
}

/** Fill `host` with the browser; `insert` puts a name into the editor. */
export async function showSchemaBrowser(host: HTMLElement, insert: (text: string) => void): Promise<void> {
  host.replaceChildren(el('p', 'muted', 'Loading TAP_SCHEMA…'));
  const { schemas, tables } = await readTapSchema();
  const filter = el('input', 'filter');
  filter.type = 'search';
  filter.placeholder = 'Filter tables and columns';
  filter.setAttribute('aria-label', 'Filter the schema');
  const tree = el('div', 'tree');
  const nodes: { node: HTMLElement; words: string; table: HTMLDetailsElement; schema: HTMLDetailsElement }[] = [];
  for (const schema of schemas) {
    const sd = el('details', 'schema');
    sd.dataset.schema = schema.name;
    // The user's own catalogs open; the service's bookkeeping stays folded.
    sd.open = schema.name !== 'TAP_SCHEMA';
    const sum = el('summary', '', schema.name);
    sum.title = schema.description;
    sd.append(sum);
    for (const t of tables.filter((t) => t.schema === schema.name)) {
      const td = el('details', 'table');
      td.dataset.table = t.name;
      const ts = el('summary', '');
      const name = el('button', 'name', t.name.startsWith(`${schema.name}.`) ? t.name.slice(schema.name.length + 1) : t.name);
      name.type = 'button';
      name.title = `Insert ${t.name}${t.description ? `: ${t.description}` : ''}`;
      name.addEventListener('click', (e) => {
        e.preventDefault();
        insert(t.name);
      });
      ts.append(name, el('span', 'muted', ` ${t.columns.length} columns${t.type === 'view' ? ', view' : ''}`));
      td.append(ts);
      if (t.description) td.append(el('p', 'desc', t.description));
      const ul = el('ul', 'columns');
      for (const c of t.columns) {
        const li = el('li', 'column');
        li.dataset.column = c.name;
        const b = el('button', 'name', c.name);
        b.type = 'button';
        b.title = `Insert ${c.name}`;
        b.addEventListener('click', () => insert(c.name));
        li.append(b, el('span', 'type', ` ${c.datatype}`));
        if (c.unit) li.append(el('span', 'unit', ` [${c.unit}]`));
        if (c.ucd) li.append(el('span', 'ucd', ` ${c.ucd}`));
        if (c.description) li.append(el('div', 'desc', c.description));
        ul.append(li);
        nodes.push({ node: li, words: `${t.name} ${c.name} ${c.ucd} ${c.description}`.toLowerCase(), table: td, schema: sd });
      }
      td.append(ul);
      nodes.push({ node: td, words: `${t.name} ${t.description}`.toLowerCase(), table: td, schema: sd });
      sd.append(td);
    }
    tree.append(sd);
  }
  filter.addEventListener('input', () => {
    const q = filter.value.trim().toLowerCase();
    const shownTables = new Set<HTMLElement>();
    for (const n of nodes) {
      const hit = q === '' || n.words.includes(q);
      if (n.node !== n.table) n.node.hidden = !hit;
      if (hit) shownTables.add(n.table);
      if (hit && q !== '') {
        n.table.open = n.node !== n.table;
        n.schema.open = true;
      }
    }
    for (const n of nodes) if (n.node === n.table) n.table.hidden = !shownTables.has(n.table);
  });
  host.replaceChildren(filter, tree);
}
