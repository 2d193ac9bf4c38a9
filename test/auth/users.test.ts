import { expect } from 'chai';
import { freshDatabase } from '../support/database.js';
import { addUser, ensureUser, issueToken, listUsers, revokeTokens, userOfToken } from '../../src/auth/users.js';
import { createOwnedDatabase, shareDatabase, sharesOf, unshareDatabase } from '../../src/ingest/user-databases.js';
import { hashToken } from '../../src/auth/tokens.js';

/** Expect `p` to fail with a message matching `re`. */
async function rejects(p: Promise<unknown>, re: RegExp): Promise<void> {
  const outcome = await p.then(
    () => null,
    (e: unknown) => e as Error,
  );
  expect(outcome, `expected a failure matching ${re}`).to.be.instanceOf(Error);
  expect(outcome!.message).to.match(re);
}

describe('auth: users, tokens, owned and shared databases', () => {
  let fresh: Awaited<ReturnType<typeof freshDatabase>>;
  before(async () => {
    fresh = await freshDatabase();
  });
  after(() => fresh.drop());

  it('adds a user with a 256-bit token that is stored only as its SHA-256 hash', async () => {
    const { token, id, user } = await addUser(fresh.db, 'alice');
    expect(user).to.equal('alice');
    expect(token).to.match(/^vdx_[A-Za-z0-9_-]{43}$/);
    expect(token.startsWith(id)).to.equal(true);
    const rows = await fresh.db.query<{ hash: string; prefix: string }>(`SELECT hash, prefix FROM vodax.tokens WHERE username = 'alice'`);
    expect(rows).to.deep.equal([{ hash: hashToken(token), prefix: id }]);
    const dump = JSON.stringify(await fresh.db.query('SELECT * FROM vodax.tokens'));
    expect(dump).not.to.include(token.slice(id.length));
    expect(await userOfToken(fresh.db, token)).to.equal('alice');
  });

  it('refuses a second user of the same name and names that are not plain', async () => {
    await rejects(addUser(fresh.db, 'alice'), /exists already/);
    for (const bad of ['', '1abc', 'a b', 'a/b', "x'; DROP TABLE vodax.users; --", 'a'.repeat(64)]) {
      await rejects(addUser(fresh.db, bad), /invalid user name/);
    }
  });

  it('answers null for unknown, malformed and tampered tokens', async () => {
    const { token } = await issueToken(fresh.db, 'alice');
    expect(await userOfToken(fresh.db, token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A'))).to.equal(null);
    expect(await userOfToken(fresh.db, 'vdx_nope')).to.equal(null);
    expect(await userOfToken(fresh.db, '')).to.equal(null);
    expect(await userOfToken(fresh.db, 'x'.repeat(10_000))).to.equal(null);
  });

  it('issues further tokens; revokes one by its prefix, then all, effective at once', async () => {
    const { token: t1 } = await addUser(fresh.db, 'bob');
    const { token: t2, id: id2 } = await issueToken(fresh.db, 'bob');
    const { token: t3 } = await issueToken(fresh.db, 'bob');
    expect(new Set([t1, t2, t3]).size).to.equal(3);
    expect(await revokeTokens(fresh.db, 'bob', id2)).to.equal(1);
    expect(await userOfToken(fresh.db, t2)).to.equal(null);
    expect(await userOfToken(fresh.db, t1)).to.equal('bob');
    await rejects(revokeTokens(fresh.db, 'bob', id2), /no active token/);
    // The whole token works as a prefix of itself.
    expect(await revokeTokens(fresh.db, 'bob', t3)).to.equal(1);
    expect(await userOfToken(fresh.db, t3)).to.equal(null);
    expect(await revokeTokens(fresh.db, 'bob')).to.equal(1);
    expect(await userOfToken(fresh.db, t1)).to.equal(null);
    const bob = (await listUsers(fresh.db)).find((u) => u.name === 'bob')!;
    expect(bob.activeTokens).to.deep.equal([]);
    expect(bob.revokedTokens).to.equal(3);
  });

  it('refuses tokens for unknown users and too-short revoke prefixes', async () => {
    await rejects(issueToken(fresh.db, 'nobody'), /no user 'nobody'/);
    await rejects(revokeTokens(fresh.db, 'nobody'), /no user/);
    await rejects(revokeTokens(fresh.db, 'alice', 'vdx'), /start of a token/);
    await rejects(revokeTokens(fresh.db, 'alice', 'vdx_'), /start of a token/);
  });

  it('lists users with active token ids and owned databases', async () => {
    await createOwnedDatabase(fresh.db, { level: 'l3', name: 'alice_db', owner: 'alice', description: 'mine' });
    const alice = (await listUsers(fresh.db)).find((u) => u.name === 'alice')!;
    expect(alice.activeTokens).to.have.length(2);
    expect(alice.activeTokens.every((t) => /^vdx_.{8}$/.test(t))).to.equal(true);
    expect(alice.databases).to.deep.equal(['alice_db']);
    const [row] = await fresh.db.query(`SELECT level, owner, description FROM vodax.databases WHERE name = 'alice_db'`);
    expect(row).to.deep.equal({ level: 'L3', owner: 'alice', description: 'mine' });
    const [schema] = await fresh.db.query(`SELECT schema_name FROM "TAP_SCHEMA".schemas WHERE schema_name = 'alice_db'`);
    expect(schema).to.deep.equal({ schema_name: 'alice_db' });
  });

  it('creates databases only for existing owners, at real levels, with new names', async () => {
    await rejects(createOwnedDatabase(fresh.db, { level: 'L3', name: 'x_db', owner: 'ghost' }), /no user 'ghost'/);
    await rejects(createOwnedDatabase(fresh.db, { level: 'L9', name: 'x_db', owner: 'alice' }), /no level 'L9'/);
    await rejects(createOwnedDatabase(fresh.db, { level: 'L3', name: 'alice_db', owner: 'alice' }), /exists already/);
    await rejects(createOwnedDatabase(fresh.db, { level: 'L3', name: 'pg_catalog', owner: 'alice' }), /taken/);
  });

  it('shares and unshares with existing users, idempotently', async () => {
    await ensureUser(fresh.db, 'carol');
    expect((await shareDatabase(fresh.db, 'alice_db', 'carol')).added).to.equal(true);
    expect((await shareDatabase(fresh.db, 'alice_db', 'carol')).added).to.equal(false);
    expect(await sharesOf(fresh.db, 'alice_db')).to.deep.equal(['carol']);
    await rejects(shareDatabase(fresh.db, 'alice_db', 'ghost'), /no user 'ghost'/);
    await rejects(shareDatabase(fresh.db, 'no_such_db', 'carol'), /no database/);
    expect(await unshareDatabase(fresh.db, 'alice_db', 'carol')).to.equal(true);
    expect(await unshareDatabase(fresh.db, 'alice_db', 'carol')).to.equal(false);
    expect(await sharesOf(fresh.db, 'alice_db')).to.deep.equal([]);
  });
});
