import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { LAYERS, layerOf } from './layers.js';

const ROOT = path.join(import.meta.dirname, '..', '..');
const SRC = path.join(ROOT, 'src');

/** Every .ts file below `dir`. */
function sources(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts')).map((f) => path.join(dir, f));
}

/** The relative imports of a file: static, type-only, re-exports and dynamic import(). */
export function importsOf(text: string): string[] {
  const found: string[] = [];
  for (const m of text.matchAll(/(?:^|\s)(?:import|export)\s[^;]*?from\s*['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)|^import\s+['"](\.{1,2}\/[^'"]+)['"]/gm)) {
    found.push((m[1] ?? m[2] ?? m[3])!);
  }
  return found;
}

/** The top-level entry of src/ a file belongs to (a folder, or a file directly in src/). */
const entryOf = (file: string): string => path.relative(SRC, file).split(path.sep)[0]!;

/** Every import that points to a higher layer, as a sentence naming both ends and their layers. */
export function upwardImports(files: readonly string[]): string[] {
  const faults: string[] = [];
  for (const file of files) {
    const from = layerOf(entryOf(file))!;
    for (const spec of importsOf(fs.readFileSync(file, 'utf8'))) {
      const target = path.resolve(path.dirname(file), spec);
      if (!target.startsWith(SRC + path.sep)) continue;
      const to = layerOf(entryOf(target));
      if (to !== null && to > from) {
        faults.push(`${path.relative(ROOT, file)} (layer ${from}, ${entryOf(file)}) imports ${path.relative(ROOT, target).replace(/\.js$/, '.ts')} (layer ${to}, ${entryOf(target)})`);
      }
    }
  }
  return faults;
}

describe('layers of src/ (README "Layout")', () => {
  it('places every folder and top-level file of src/ in a layer', () => {
    const unplaced = fs.readdirSync(SRC).filter((e) => layerOf(e) === null);
    expect(unplaced, 'add each to test/architecture/layers.ts and the README layout').to.deep.equal([]);
  });

  it('has no import pointing to a higher layer: no core imports a face, no lower layer a higher one', () => {
    expect(upwardImports(sources(SRC))).to.deep.equal([]);
  });

  it('finds an upward import when there is one (the check can fail)', () => {
    const tmp = fs.mkdtempSync(path.join(SRC, 'healpix', '.layers-probe-'));
    const probe = path.join(tmp, 'probe.ts');
    try {
      fs.writeFileSync(probe, "import type { Face } from '../../http/face.js';\nexport const x = (f: Face) => f;\n");
      expect(upwardImports([probe])).to.deep.equal([
        `${path.relative(ROOT, probe)} (layer 1, healpix) imports src/http/face.ts (layer 5, http)`,
      ]);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('reads static, type-only, re-exported and dynamic imports', () => {
    const text = [
      "import { a } from '../x/a.js';",
      "import type { B } from './b.js';",
      "export { c } from '../../c.js';",
      'import {\n  d,\n  e,\n} from "./de.js";',
      "const f = await import('../f.js');",
      "import './side-effect.js';",
      "import fs from 'node:fs';",
    ].join('\n');
    expect(importsOf(text)).to.have.members(['../x/a.js', './b.js', '../../c.js', './de.js', '../f.js', './side-effect.js']);
  });

  it('names every folder of src/ in the README layout section, with the layer order', () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const layout = readme.slice(readme.indexOf('## Layout'));
    const missing = fs.readdirSync(SRC, { withFileTypes: true }).filter((d) => d.isDirectory() && !layout.includes(`\`${d.name}/\``)).map((d) => d.name);
    expect(missing).to.deep.equal([]);
    expect(LAYERS.length).to.equal(7);
  });
});
