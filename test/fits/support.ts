/** Helpers for FITS tests: fitsverify and astropy, when installed. */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';

/** fitsverify's verdict on a file: error and warning counts, or null when fitsverify is absent. */
export function fitsverify(file: string): { errors: number; warnings: number; output: string } | null {
  const r = spawnSync('fitsverify', ['-e', file], { encoding: 'utf8' });
  if (r.error) return null;
  const output = `${r.stdout}${r.stderr}`;
  const m = /found (\d+) warning\(s\) and (\d+) error\(s\)/.exec(output);
  if (!m) return { errors: -1, warnings: -1, output };
  return { warnings: Number(m[1]), errors: Number(m[2]), output };
}

/** Whether Debian's python3 with astropy is installed. */
export function hasAstropy(): boolean {
  if (!fs.existsSync('/usr/bin/python3')) return false;
  return spawnSync('/usr/bin/python3', ['-c', 'import astropy'], { encoding: 'utf8' }).status === 0;
}

/** Runs a Python snippet with Debian's python3 and returns its standard output (throws on failure). */
export function python(code: string, args: string[] = []): string {
  const r = spawnSync('/usr/bin/python3', ['-c', code, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`python failed: ${r.stderr}`);
  return r.stdout;
}
