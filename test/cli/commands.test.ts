import { expect } from 'chai';
import { runVodax } from '../support/vodax-process.js';

/** Run `vodax ARGS` without a database. */
const vodax = (args: string[]) => runVodax(args);

describe('cli: the vodax command', function () {
  this.timeout(60_000);

  it('lists every command in its usage text', async () => {
    const r = await vodax(['help']);
    expect(r.code).to.equal(0);
    for (const name of ['serve', 'fixtures', 'ingest catalog', 'ingest images', 'user', 'db', 'adql', 'hips', 'shard']) expect(r.stdout).to.include(`vodax ${name}`);
  });

  it('says an unknown command is unknown, even one named like an object property (was a TypeError and a stack trace)', async () => {
    for (const name of ['nope', 'constructor', '__proto__', 'toString']) {
      const r = await vodax([name]);
      expect(r.code, name).to.equal(2);
      expect(r.stderr, name).to.match(new RegExp(`^vodax: unknown command '${name}'\\n\\nusage: vodax`));
    }
  });
});
