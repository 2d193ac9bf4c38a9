import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { checkPathPart, joinUnder, resolveUnder, UnsafePathError } from '../../src/auth/safe-path.js';
import { statusOf } from '../../src/http/error-table.js';

/** The error `fn` throws (sync or async), or null. */
async function failure(fn: () => unknown): Promise<unknown> {
  try {
    await fn();
    return null;
  } catch (e) {
    return e;
  }
}

describe('auth: paths from requests stay under their root', () => {
  let root: string;
  let outside: string;
  before(() => {
    const base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'vodax-safe-')));
    root = path.join(base, 'data');
    outside = path.join(base, 'secret');
    fs.mkdirSync(path.join(root, 'results', 'job1'), { recursive: true });
    fs.mkdirSync(outside);
    fs.writeFileSync(path.join(outside, 'passwd'), 'secret');
    fs.writeFileSync(path.join(root, 'results', 'job1', 'result.vot'), '<VOTABLE/>');
    fs.symlinkSync(outside, path.join(root, 'results', 'escape'));
    fs.symlinkSync(path.join(outside, 'passwd'), path.join(root, 'results', 'job1', 'link.vot'));
    fs.symlinkSync(path.join(outside, 'not-yet'), path.join(root, 'results', 'dangling'));
    fs.symlinkSync(path.join(root, 'results', 'job1'), path.join(root, 'results', 'alias'));
  });
  after(() => fs.rmSync(path.dirname(root), { recursive: true, force: true }));

  it('joins plain names under the root, for existing and new files', async () => {
    expect(await resolveUnder(root, 'results', 'job1', 'result.vot')).to.equal(path.join(root, 'results', 'job1', 'result.vot'));
    expect(await resolveUnder(root, 'results', 'job2', 'new.fits')).to.equal(path.join(root, 'results', 'job2', 'new.fits'));
    expect(await resolveUnder(root, 'results', '..hidden-but-plain')).to.equal(path.join(root, 'results', '..hidden-but-plain'));
    // A link that stays inside the root is fine.
    expect(await resolveUnder(root, 'results', 'alias', 'result.vot')).to.equal(path.join(root, 'results', 'alias', 'result.vot'));
  });

  it('refuses dot segments, separators, absolute paths, NUL, control and percent-encoded forms', async () => {
    const bad = [
      ['..'],
      ['.'],
      [''],
      ['results', '..', '..', 'secret'],
      ['../secret'],
      ['..\\secret'],
      ['/etc/passwd'],
      ['results/job1'],
      ['job1\0.vot'],
      ['%2e%2e'],
      ['%2E%2E%2Fsecret'],
      ['..%2f'],
      ['%252e%252e'],
      ['%u002e%u002e'],
      ['a\nb'],
      ['x'.repeat(256)],
    ];
    for (const parts of bad) {
      const e = await failure(() => resolveUnder(root, ...parts));
      expect(e, JSON.stringify(parts)).to.be.instanceOf(UnsafePathError);
      expect(statusOf((e as UnsafePathError))).to.equal(400);
    }
  });

  it('refuses symbolic links that lead out of the root, dangling ones included', async () => {
    for (const parts of [
      ['results', 'escape', 'passwd'],
      ['results', 'escape'],
      ['results', 'job1', 'link.vot'],
      ['results', 'escape', 'new-file'],
      ['results', 'dangling'],
    ]) {
      const e = await failure(() => resolveUnder(root, ...parts));
      expect(e, parts.join('/')).to.be.instanceOf(UnsafePathError);
      expect((e as Error).message).to.match(/symbolic link/);
    }
  });

  it('never yields a path outside the root, whatever the parts (property)', () => {
    const piece = fc.oneof(
      fc.constantFrom('..', '.', '/', '\\', '%2e', '%2f', '\0', 'a', 'b', '~', ':', ' '),
      fc.string({ maxLength: 6 }),
    );
    const part = fc.array(piece, { minLength: 1, maxLength: 5 }).map((a) => a.join(''));
    fc.assert(
      fc.property(fc.array(part, { minLength: 1, maxLength: 4 }), (parts) => {
        let out: string;
        try {
          out = joinUnder(root, ...parts);
        } catch (e) {
          return e instanceof UnsafePathError;
        }
        const rel = path.relative(root, out);
        return !rel.startsWith('..' + path.sep) && rel !== '..' && !path.isAbsolute(rel) && parts.every((p) => checkPathPart(p) === p);
      }),
      { numRuns: 2000 },
    );
  });
});
