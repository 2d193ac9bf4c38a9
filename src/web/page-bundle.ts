/**
 * The query page's browser code (src/web/page/, TypeScript) bundled with esbuild's API, in
 * memory, on the first request for it, once per process (about half a second, most of it
 * Aladin Lite). Bundling when served rather than at build time means `npm start`, `npm test` and
 * `node --import tsx src/cli.ts serve` all serve the sources as they are, with no build step to
 * forget and no stale bundle; the server build (scripts/build.mjs) leaves the browser code out.
 * Aladin Lite is a chunk of its own, loaded only when the sky view is opened.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/** One file of the bundle: its content and type. */
export interface BundleFile {
  contents: Uint8Array;
  type: string;
}

const TYPES: Record<string, string> = { '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.map': 'application/json' };

/** src/web/page/, from src/web (tsx) or dist/src/web (built): the sources stay in src/. */
function pageSourcesDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = path.join(dir, 'src', 'web', 'page');
    if (fs.existsSync(path.join(candidate, 'main.ts'))) return candidate;
    if (path.basename(dir) === 'web' && fs.existsSync(path.join(dir, 'page', 'main.ts'))) return path.join(dir, 'page');
    dir = path.dirname(dir);
  }
  throw new Error('the query page sources (src/web/page/main.ts) were not found beside the program');
}

/** Bundle the page: file name (main.js, main.css, chunk-*.js) to content. */
export async function bundlePage(): Promise<Map<string, BundleFile>> {
  const dir = pageSourcesDir();
  const result = await build({
    entryPoints: [path.join(dir, 'main.ts')],
    bundle: true,
    splitting: true,
    format: 'esm',
    target: 'es2022',
    minify: true,
    write: false,
    outdir: '/',
    entryNames: '[name]',
    chunkNames: 'chunk-[hash]',
    logLevel: 'silent',
    // Resolve npm packages (aladin-lite) from the repository's node_modules wherever the sources are.
    absWorkingDir: path.resolve(dir, '..', '..', '..'),
  });
  const files = new Map<string, BundleFile>();
  for (const f of result.outputFiles) {
    const name = path.basename(f.path);
    files.set(name, { contents: f.contents, type: TYPES[path.extname(name)] ?? 'application/octet-stream' });
  }
  return files;
}

let bundled: Promise<Map<string, BundleFile>> | null = null;

/** The bundle, built once per process; a failed build is retried on the next request. */
export function pageBundle(): Promise<Map<string, BundleFile>> {
  bundled ??= bundlePage().catch((e: unknown) => {
    bundled = null;
    throw e;
  });
  return bundled;
}
