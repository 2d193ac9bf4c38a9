import { expect } from 'chai';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { testDatabase } from '../support/database.js';

/** Young-generation collections (scavenges) between the child's MARK lines: how many, and the bytes they promoted. */
function scavenges(output: string): { count: number; promoted: number } {
  let on = false;
  let count = 0;
  let promoted = 0;
  for (const line of output.split('\n')) {
    if (line.startsWith('MARK')) on = line === 'MARK start';
    else if (on && line.includes(' gc=s ')) {
      count++;
      promoted += Number(/ promoted=(\d+)/.exec(line)?.[1] ?? NaN);
    }
  }
  return { count, promoted };
}

describe('query: an answered cone leaves nothing behind for the old generation', () => {
  it('answers 3000 cones (VOTable, CSV, BINARY2) with their objects dying young, not promoted with each collection', async function () {
    this.timeout(120_000);
    const { url } = await testDatabase();
    // As `npm start` runs the server: a young generation of 4 MB, collected every few dozen cones.
    const child = spawn(process.execPath, ['--max-semi-space-size=4', '--trace-gc-nvp', '--import', 'tsx', path.join(import.meta.dirname, 'fixtures', 'cone-answers-child.ts'), url, '1500'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout!.setEncoding('utf8').on('data', (s: string) => (output += s));
    const code = await new Promise<number | null>((r) => child.once('exit', r));
    expect(code).to.equal(0);
    const { count, promoted } = scavenges(output);
    expect(count, 'scavenges while the cones were answered').to.be.greaterThan(3);
    // Measured: about 27 kB per scavenge; 490 kB when generator functions were made per answer
    // (each answer's objects then outlived it and were promoted, 2 MB with a larger young generation).
    expect(promoted / count, 'bytes promoted per scavenge').to.be.below(100_000);
  });
});
