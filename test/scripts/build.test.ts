import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, sources, outputsOf, EXCLUDED, ROOT, TARGET } from '../../scripts/build.mjs';

/** A throwaway repository: package.json (ESM), tsconfig.json and these sources under src/. */
function repo(files: Record<string, string>): { root: string; src: string; out: string; write(rel: string, text: string): void } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'vodax-build-test-'));
  fs.writeFileSync(path.join(root, 'package.json'), JSON.stringify({ type: 'module' }));
  fs.writeFileSync(path.join(root, 'tsconfig.json'), JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'NodeNext', strict: true } }));
  const src = path.join(root, 'src');
  const write = (rel: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(src, rel)), { recursive: true });
    fs.writeFileSync(path.join(src, rel), text);
  };
  for (const [rel, text] of Object.entries(files)) write(rel, text);
  return { root, src, out: path.join(root, 'dist', 'src'), write };
}

const roots: string[] = [];
function newRepo(files: Record<string, string>) {
  const r = repo(files);
  roots.push(r.root);
  return r;
}
after(() => roots.forEach((r) => fs.rmSync(r, { recursive: true, force: true })));

const A = "import type { B } from './sub/b.js';\nimport { b } from './sub/b.js';\nexport const a = (): B => b() + 1;\n";
const B = 'export type B = number;\nexport function b(): B {\n  return 41;\n}\n';

describe('scripts/build.mjs: src/ to dist/src/ with esbuild, only what changed', function () {
  this.timeout(30_000);

  it('takes the .ts files of src/ but no .d.ts and not the browser code of src/web/page/', () => {
    const r = newRepo({ 'a.ts': A, 'sub/b.ts': B, 'types.d.ts': 'declare const x: number;\n', 'web/page/main.ts': 'export {};\n', 'web/index.ts': 'export {};\n', 'notes.md': '' });
    expect(EXCLUDED).to.include('web/page');
    expect(sources(r.src)).to.deep.equal(['a.ts', 'sub/b.ts', 'web/index.ts']);
    expect(outputsOf('sub/b.ts')).to.deep.equal(['sub/b.js', 'sub/b.js.map']);
  });

  it('writes ES modules with linked source maps in the same layout, which run', async () => {
    const r = newRepo({ 'a.ts': A, 'sub/b.ts': B, 'web/page/main.ts': 'export {};\n' });
    const res = await build({ root: r.root });
    expect(res.built).to.deep.equal(['a.ts', 'sub/b.ts']);
    expect(fs.existsSync(path.join(r.out, 'web'))).to.equal(false);
    const js = fs.readFileSync(path.join(r.out, 'a.js'), 'utf8');
    expect(js).to.not.include('import type');
    expect(js).to.include('//# sourceMappingURL=a.js.map');
    const map = JSON.parse(fs.readFileSync(path.join(r.out, 'sub', 'b.js.map'), 'utf8')) as { sources: string[] };
    expect(map.sources).to.deep.equal(['../../../src/sub/b.ts']);
    const mod = (await import(pathToFileURL(path.join(r.out, 'a.js')).href)) as { a(): number };
    expect(mod.a()).to.equal(42);
  });

  it('transpiles nothing when nothing changed, and leaves the outputs untouched', async () => {
    const r = newRepo({ 'a.ts': A, 'sub/b.ts': B });
    await build({ root: r.root });
    const before = fs.statSync(path.join(r.out, 'a.js')).mtimeMs;
    const res = await build({ root: r.root });
    expect(res.built).to.deep.equal([]);
    expect(res.skipped).to.equal(2);
    expect(fs.statSync(path.join(r.out, 'a.js')).mtimeMs).to.equal(before);
  });

  it('transpiles again only the source that changed', async () => {
    const r = newRepo({ 'a.ts': A, 'sub/b.ts': B });
    await build({ root: r.root });
    r.write('sub/b.ts', B.replace('41', '99'));
    const res = await build({ root: r.root });
    expect(res.built).to.deep.equal(['sub/b.ts']);
    expect(fs.readFileSync(path.join(r.out, 'sub', 'b.js'), 'utf8')).to.include('99');
  });

  it('transpiles a source whose mtime went back (a restored older version), not only a newer one', async () => {
    const r = newRepo({ 'a.ts': A, 'sub/b.ts': B });
    await build({ root: r.root });
    const file = path.join(r.src, 'sub', 'b.ts');
    r.write('sub/b.ts', B.replace('41', '17'));
    const past = new Date(Date.now() - 86_400_000);
    fs.utimesSync(file, past, past);
    const res = await build({ root: r.root });
    expect(res.built).to.deep.equal(['sub/b.ts']);
    expect(fs.readFileSync(path.join(r.out, 'sub', 'b.js'), 'utf8')).to.include('17');
  });

  it('transpiles a source whose output was deleted', async () => {
    const r = newRepo({ 'a.ts': A, 'sub/b.ts': B });
    await build({ root: r.root });
    fs.rmSync(path.join(r.out, 'a.js.map'));
    expect((await build({ root: r.root })).built).to.deep.equal(['a.ts']);
    expect(fs.existsSync(path.join(r.out, 'a.js.map'))).to.equal(true);
  });

  it('transpiles everything when tsconfig.json changes', async () => {
    const r = newRepo({ 'a.ts': A, 'sub/b.ts': B });
    await build({ root: r.root });
    fs.writeFileSync(path.join(r.root, 'tsconfig.json'), JSON.stringify({ compilerOptions: { target: 'ES2022', useDefineForClassFields: false } }));
    expect((await build({ root: r.root })).built).to.deep.equal(['a.ts', 'sub/b.ts']);
  });

  it('removes the outputs of a deleted source and outputs of no source, with folders left empty', async () => {
    const r = newRepo({ 'a.ts': A, 'sub/b.ts': B, 'old/gone.ts': 'export const gone = 1;\n' });
    await build({ root: r.root });
    fs.rmSync(path.join(r.src, 'old'), { recursive: true });
    fs.writeFileSync(path.join(r.out, 'stale.js'), 'export {};\n');
    const res = await build({ root: r.root });
    expect(res.built).to.deep.equal([]);
    expect(res.removed.sort()).to.deep.equal(['old/gone.js', 'old/gone.js.map', 'stale.js']);
    expect(fs.existsSync(path.join(r.out, 'old'))).to.equal(false);
    expect(fs.existsSync(path.join(r.out, 'a.js'))).to.equal(true);
  });

  it('fails on a syntax error, naming the file, and does not take the broken source as built', async () => {
    const r = newRepo({ 'a.ts': A, 'sub/b.ts': B });
    await build({ root: r.root });
    r.write('sub/b.ts', 'export function b( {\n');
    let error: unknown;
    await build({ root: r.root }).catch((e: unknown) => (error = e));
    expect(String((error as { errors?: { location?: { file: string } }[] })?.errors?.[0]?.location?.file)).to.include('b.ts');
    // The old output is still there, but the next build must not take it for the (broken) source.
    expect((await build({ root: r.root }).catch(() => null))).to.equal(null);
    r.write('sub/b.ts', B.replace('41', '7'));
    expect((await build({ root: r.root })).built).to.deep.equal(['sub/b.ts']);
    expect(fs.readFileSync(path.join(r.out, 'sub', 'b.js'), 'utf8')).to.include('7');
  });

  it("targets what tsconfig.json targets, and runs esbuild with the repository's tsconfig.json", () => {
    const tsconfig = JSON.parse(fs.readFileSync(path.join(ROOT, 'tsconfig.json'), 'utf8')) as { compilerOptions: { target: string; isolatedModules?: boolean } };
    expect(tsconfig.compilerOptions.target.toLowerCase()).to.equal(TARGET);
    // Per-file transpiling is only safe when tsc checks that each file can be transpiled alone.
    expect(tsconfig.compilerOptions.isolatedModules).to.equal(true);
  });
});
