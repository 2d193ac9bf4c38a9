/** Runs the astropy check scripts under /usr/bin/python3 (where Debian's astropy lives). */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const PYTHON = '/usr/bin/python3';
const HERE = path.dirname(fileURLToPath(import.meta.url));

/** Why astropy checks cannot run here, or null when they can. */
export function astropyMissing(): string | null {
  if (!fs.existsSync(PYTHON)) return `${PYTHON} not found`;
  const r = spawnSync(PYTHON, ['-c', 'import astropy.io.votable, astropy.io.fits'], { encoding: 'utf8' });
  return r.status === 0 ? null : `${PYTHON} cannot import astropy (install python3-astropy)`;
}

/** Why fitsverify cannot run here, or null when it can. */
export function fitsverifyMissing(): string | null {
  const r = spawnSync('fitsverify', ['-h'], { encoding: 'utf8' });
  return r.error ? 'fitsverify not installed (apt install fitsverify)' : null;
}

/** Writes `bytes` to a temporary file, runs `script` (a check_*.py here) on it, returns its JSON. */
export function checkWithAstropy<T>(script: string, bytes: Buffer, ext: string): T {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vodax-check-'));
  try {
    const file = path.join(dir, `t.${ext}`);
    fs.writeFileSync(file, bytes);
    const r = spawnSync(PYTHON, [path.join(HERE, script), file], { encoding: 'utf8', maxBuffer: 1 << 26 });
    if (r.status !== 0) throw new Error(`${script} failed: ${r.stderr}`);
    return JSON.parse(r.stdout) as T;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs fitsverify on `bytes`; returns its output and whether it reported 0 errors and 0 warnings. */
export function fitsverify(bytes: Buffer): { ok: boolean; output: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vodax-check-'));
  try {
    const file = path.join(dir, 't.fits');
    fs.writeFileSync(file, bytes);
    const r = spawnSync('fitsverify', [file], { encoding: 'utf8' });
    const output = `${r.stdout}${r.stderr}`;
    return { ok: /found 0 warning\(s\) and 0 error\(s\)/.test(output), output };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
