import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Run `vodax ARGS` without a database; resolves with exit code and output. */
async function vodax(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { env: { ...process.env, LOG_FORMAT: 'silent' }, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

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
