#!/usr/bin/env node
// @ts-check
/**
 * `npm run build`: the server's TypeScript (src/**\/*.ts but src/web/page/, which the server
 * bundles from src/ when first asked for it) to ES modules in dist/src/, same layout, with source
 * maps, by esbuild one file at a time. Type checking is not done here but by `npm test`
 * (`tsc --noEmit`, with `isolatedModules` so that per-file transpiling is proven safe).
 *
 * Plain JavaScript rather than TypeScript: it runs before anything is compiled, and Node 20 runs
 * no .ts without a loader (tsx costs about 0.3 s, on every `npm start`).
 *
 * Only what changed is transpiled: dist/build-manifest.json records, for each source, the size
 * and mtime it had when its output was written, and a key of everything else the output depends
 * on (this script, tsconfig.json, the esbuild version). A source whose size or mtime differs from
 * its record (newer or older: a restored file counts) is transpiled again; a changed key means
 * all of them. Outputs in dist/src/ of no source (a file deleted or moved) are removed.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The repository this script is in. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** The esbuild target: keep in step with `target` in tsconfig.json (test/scripts/build.test.ts checks). */
export const TARGET = 'es2022';
/** Folders under src/ that are not part of the server build (as tsconfig excludes nothing else). */
export const EXCLUDED = ['web/page'];
const MANIFEST = 'build-manifest.json';

/**
 * @typedef {{ size: number, mtimeMs: number }} Stamp
 * @typedef {{ key: string, files: Record<string, Stamp> }} Manifest
 * @typedef {{ root?: string, srcDir?: string, outDir?: string, log?: (line: string) => void }} BuildOptions
 * @typedef {{ built: string[], skipped: number, removed: string[], seconds: number }} BuildResult
 */

/**
 * The sources of the build, relative to srcDir with '/' separators, sorted.
 * @param {string} srcDir
 * @returns {string[]}
 */
export function sources(srcDir) {
  /** @type {string[]} */
  const out = [];
  /** @param {string} rel */
  const walk = (rel) => {
    for (const e of fs.readdirSync(path.join(srcDir, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        if (!EXCLUDED.includes(r)) walk(r);
      } else if (e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) {
        out.push(r);
      }
    }
  };
  walk('');
  return out.sort();
}

/**
 * The outputs of one source: x/y.ts gives x/y.js and x/y.js.map.
 * @param {string} source
 * @returns {string[]}
 */
export function outputsOf(source) {
  const js = source.replace(/\.ts$/, '.js');
  return [js, `${js}.map`];
}

/**
 * What every output depends on besides its source.
 * @param {string} root
 * @param {string} version of esbuild
 * @returns {string}
 */
export function buildKey(root, version) {
  const h = crypto.createHash('sha256');
  h.update(`esbuild ${version}\0`);
  h.update(fs.readFileSync(fileURLToPath(import.meta.url)));
  h.update('\0');
  h.update(fs.readFileSync(path.join(root, 'tsconfig.json')));
  return h.digest('hex');
}

/**
 * The manifest of the last build, or an empty one when there is none or it cannot be read.
 * @param {string} file
 * @returns {Manifest}
 */
function readManifest(file) {
  try {
    const m = JSON.parse(fs.readFileSync(file, 'utf8'));
    if (m && typeof m.key === 'string' && m.files && typeof m.files === 'object') return m;
  } catch {
    /* none yet, or damaged: build everything */
  }
  return { key: '', files: {} };
}

/**
 * Every file under dir, relative with '/' separators ([] when dir does not exist).
 * @param {string} dir
 * @returns {string[]}
 */
function filesUnder(dir) {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)).split(path.sep).join('/'));
}

/**
 * The version of the esbuild this script imports, without loading it (it is loaded only when there is work).
 * @returns {string}
 */
export function esbuildVersion() {
  const file = createRequire(import.meta.url).resolve('esbuild/package.json');
  return JSON.parse(fs.readFileSync(file, 'utf8')).version;
}

/**
 * Remove the empty folders under dir (not dir itself).
 * @param {string} dir
 */
function removeEmptyDirs(dir) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (!e.isDirectory()) continue;
    const sub = path.join(dir, e.name);
    removeEmptyDirs(sub);
    if (fs.readdirSync(sub).length === 0) fs.rmdirSync(sub);
  }
}

/**
 * Build src/ into dist/src/, transpiling only the sources that changed since the last build.
 * @param {BuildOptions} [options]
 * @returns {Promise<BuildResult>}
 */
export async function build(options = {}) {
  const t0 = performance.now();
  const root = options.root ?? ROOT;
  const srcDir = options.srcDir ?? path.join(root, 'src');
  const outDir = options.outDir ?? path.join(root, 'dist', 'src');
  const manifestFile = path.join(path.dirname(outDir), MANIFEST);
  const log = options.log ?? (() => {});

  const all = sources(srcDir);
  /** @type {Record<string, Stamp>} */
  const stamps = {};
  for (const s of all) {
    // Stamped before transpiling: a source edited while it is read is seen as changed next time.
    const st = fs.statSync(path.join(srcDir, s));
    stamps[s] = { size: st.size, mtimeMs: st.mtimeMs };
  }
  const key = buildKey(root, esbuildVersion());
  const previous = readManifest(manifestFile);
  const recorded = previous.key === key ? previous.files : {};
  const present = new Set(filesUnder(outDir));
  const changed = all.filter((s) => {
    const r = recorded[s];
    const now = /** @type {Stamp} */ (stamps[s]);
    return !r || r.size !== now.size || r.mtimeMs !== now.mtimeMs || !outputsOf(s).every((o) => present.has(o));
  });

  if (changed.length > 0) {
    // The manifest is written after the outputs: a build that fails or is cut short leaves the
    // changed sources' old stamps, so they are transpiled next time.
    const esbuild = await import('esbuild');
    await esbuild.build({
      absWorkingDir: root,
      entryPoints: changed.map((s) => path.join(srcDir, s)),
      outdir: outDir,
      outbase: srcDir,
      bundle: false,
      format: 'esm',
      platform: 'node',
      target: TARGET,
      sourcemap: 'linked',
      // The compiler options esbuild honours per file (class fields, decorators, ...) are tsconfig.json's.
      tsconfig: path.join(root, 'tsconfig.json'),
      logLevel: 'silent',
    });
  }

  const expected = new Set(all.flatMap(outputsOf));
  const removed = [...present].filter((f) => !expected.has(f));
  for (const f of removed) fs.rmSync(path.join(outDir, f));
  if (removed.length > 0) removeEmptyDirs(outDir);
  if (changed.length > 0 || removed.length > 0 || Object.keys(previous.files).length !== all.length) {
    fs.writeFileSync(manifestFile, JSON.stringify({ key, files: stamps }));
  }
  const result = { built: changed, skipped: all.length - changed.length, removed, seconds: (performance.now() - t0) / 1000 };
  if (changed.length > 0 || removed.length > 0) {
    log(`build: ${changed.length} transpiled, ${result.skipped} unchanged, ${removed.length} stale removed, ${result.seconds.toFixed(2)} s`);
  }
  return result;
}

/** @param {unknown} e */
function explain(e) {
  const errors = /** @type {{ errors?: { text: string, location?: { file: string, line: number, column: number } | null }[] }} */ (e).errors;
  if (!Array.isArray(errors) || errors.length === 0) return e instanceof Error ? (e.stack ?? e.message) : String(e);
  return errors.map((m) => (m.location ? `${m.location.file}:${m.location.line}:${m.location.column + 1}: ${m.text}` : m.text)).join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  build({ log: (line) => process.stderr.write(`${line}\n`) }).catch((e) => {
    process.stderr.write(`build failed:\n${explain(e)}\n`);
    process.exitCode = 1;
  });
}
