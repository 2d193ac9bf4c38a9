/** Reads a {links} document with astropy and pyvo (check_links.py under /usr/bin/python3). */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const PYTHON = '/usr/bin/python3';
const HERE = path.dirname(fileURLToPath(import.meta.url));

/** A link row as astropy reads it (empty cells: null). */
export interface ReadRow {
  ID: string;
  access_url: string | null;
  service_def: string | null;
  error_message: string | null;
  semantics: string;
  description: string | null;
  content_type: string | null;
  content_length: number | null;
  content_qualifier: string | null;
  local_semantics: string | null;
}

/** One input parameter of a service descriptor. */
export interface ReadInput {
  ref: string | null;
  xtype: string | null;
  unit: string | null;
  ucd: string | null;
  datatype: string;
  arraysize: string | null;
  min?: number[] | null;
  max?: number[] | null;
  options?: string[];
}

/** What check_links.py prints. */
export interface ReadLinks {
  resourceType: string;
  infos: [string, string][];
  fields: { name: string; ID: string; datatype: string; ucd: string; unit: string | null }[];
  rows: ReadRow[];
  descriptors: { type: string; utype: string; ID: string; params: Record<string, string>; inputs: Record<string, ReadInput> }[];
  sodaCalls: { ID: string; url: string; params: Record<string, string> }[];
}

/** Why the check cannot run here, or null when it can. */
export function pyvoMissing(): string | null {
  if (!fs.existsSync(PYTHON)) return `${PYTHON} not found`;
  const r = spawnSync(PYTHON, ['-W', 'ignore', '-c', 'import astropy.io.votable, pyvo.dal.adhoc'], { encoding: 'utf8' });
  return r.status === 0 ? null : `${PYTHON} cannot import astropy and pyvo (install python3-astropy python3-pyvo)`;
}

/** The document as astropy and pyvo read it; throws with their complaint when they cannot. */
export function readLinks(xml: string): ReadLinks {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vodax-datalink-'));
  try {
    const file = path.join(dir, 'links.xml');
    fs.writeFileSync(file, xml);
    const r = spawnSync(PYTHON, [path.join(HERE, 'check_links.py'), file], { encoding: 'utf8', maxBuffer: 1 << 26 });
    if (r.status !== 0) throw new Error(`check_links.py failed: ${r.stderr}`);
    return JSON.parse(r.stdout) as ReadLinks;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
