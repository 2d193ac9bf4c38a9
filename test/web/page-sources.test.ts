/**
 * The query page's browser code (src/web/page/) stays browser code: it imports only its own
 * files and the npm packages it bundles, never a server module; and it bundles.
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { bundlePage } from '../../src/web/page-bundle.js';

const PAGE = path.join(import.meta.dirname, '..', '..', 'src', 'web', 'page');
const BUNDLED_PACKAGES = ['aladin-lite'];

describe('the query page sources (src/web/page)', () => {
  it('import only each other and the packages they bundle', () => {
    const faults: string[] = [];
    for (const f of fs.readdirSync(PAGE).filter((n) => n.endsWith('.ts'))) {
      const text = fs.readFileSync(path.join(PAGE, f), 'utf8');
      for (const m of text.matchAll(/(?:from\s*|import\s*\(?\s*)['"]([^'"]+)['"]/g)) {
        const spec = m[1]!;
        const inside = spec.startsWith('./') && !spec.slice(2).includes('/');
        if (!inside && !BUNDLED_PACKAGES.includes(spec)) faults.push(`${f} imports ${spec}`);
      }
    }
    expect(faults).to.deep.equal([]);
  });

  it('bundle with esbuild: the page script, its style sheet, and Aladin Lite as a chunk of its own', async function () {
    this.timeout(20_000);
    const files = await bundlePage();
    expect([...files.keys()].sort().filter((n) => !n.startsWith('chunk-'))).to.deep.equal(['main.css', 'main.js']);
    const main = Buffer.from(files.get('main.js')!.contents).toString();
    const chunks = [...files].filter(([n]) => n.startsWith('chunk-'));
    expect(chunks).to.have.length(1);
    // Aladin is loaded only when the sky view opens: main.js names the chunk, does not hold it.
    expect(main.length).to.be.below(200_000);
    expect(main).to.include(chunks[0]![0]);
    expect(chunks[0]![1].contents.length).to.be.above(1_000_000);
  });
});
