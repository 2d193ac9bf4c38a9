import { expect } from 'chai';
import { runVodax } from '../support/vodax-process.js';
import crypto from 'node:crypto';
import { testServer, getJson, type TestServer } from '../support/server.js';
import { testDatabase } from '../support/database.js';

/** Run `vodax ARGS` against the test database. */
async function vodax(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return runVodax(args, { DATABASE_URL: (await testDatabase()).url });
}

describe('auth: vodax user and vodax db, while the server runs', function () {
  this.timeout(120_000);
  let srv: TestServer;
  const suffix = crypto.randomBytes(3).toString('hex');
  const owner = `own${suffix}`;
  const friend = `fri${suffix}`;
  const dbName = `priv_${suffix}`;
  let ownerToken: string;
  let friendToken: string;
  before(async () => {
    srv = await testServer();
  });
  after(() => srv.close());

  it('user add prints a token once, on stdout alone, that the running server accepts at once', async () => {
    const r = await vodax(['user', 'add', owner]);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/^vdx_[A-Za-z0-9_-]{43}\n$/);
    expect(r.stderr).to.match(new RegExp(`created user ${owner} .*shown once`));
    ownerToken = r.stdout.trim();
    const res = await fetch(srv.url + '/meta/v0/db', { headers: { authorization: `Bearer ${ownerToken}` } });
    expect(res.status).to.equal(200);
    expect(res.headers.get('x-vo-authenticated')).to.equal(owner);
    const again = await vodax(['user', 'add', owner]);
    expect(again.code).to.equal(1);
    expect(again.stderr).to.match(/exists already/);
  });

  it('db create makes a private database that only its owner, then a friend it is shared with, can see', async () => {
    const friendAdd = await vodax(['user', 'add', friend]);
    friendToken = friendAdd.stdout.trim();
    const r = await vodax(['db', 'create', 'l3', dbName, '--owner', owner, '--description', 'my own data']);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stderr).to.match(new RegExp(`created private database ${dbName} at level L3, owned by ${owner}`));
    const asOwner = await getJson(srv.url, `/meta/v0/db/L3/${dbName}`, { authorization: `Bearer ${ownerToken}` });
    expect(asOwner.status).to.equal(200);
    expect(asOwner.body.result[0]).to.include({ name: dbName, owner, description: 'my own data' });
    expect((await getJson(srv.url, `/meta/v0/db/L3/${dbName}`, { authorization: `Bearer ${friendToken}` })).status).to.equal(404);
    expect((await getJson(srv.url, `/meta/v0/db/L3/${dbName}`)).status).to.equal(404);

    expect((await vodax(['db', 'share', dbName, friend])).code).to.equal(0);
    expect((await getJson(srv.url, `/meta/v0/db/L3/${dbName}`, { authorization: `Bearer ${friendToken}` })).status).to.equal(200);
    const unshare = await vodax(['db', 'unshare', dbName, friend]);
    expect(unshare.stderr).to.match(/no longer shared/);
    expect((await getJson(srv.url, `/meta/v0/db/L3/${dbName}`, { authorization: `Bearer ${friendToken}` })).status).to.equal(404);
  });

  it('user token issues another; user list shows ids and databases; revoke --token ends one, revoke ends all', async () => {
    const second = (await vodax(['user', 'token', owner])).stdout.trim();
    const list = await vodax(['user', 'list']);
    const line = list.stdout.split('\n').find((l) => l.startsWith(`${owner} `))!;
    expect(line).to.include(ownerToken.slice(0, 12)).and.include(second.slice(0, 12)).and.include(`databases: ${dbName}`);
    expect(line).not.to.include(ownerToken.slice(12));

    const one = await vodax(['user', 'revoke', owner, '--token', second.slice(0, 12)]);
    expect(one.stderr).to.match(/revoked 1 token/);
    expect((await getJson(srv.url, '/meta/v0/db', { authorization: `Bearer ${second}` })).status).to.equal(401);
    expect((await getJson(srv.url, '/meta/v0/db', { authorization: `Bearer ${ownerToken}` })).status).to.equal(200);
    const all = await vodax(['user', 'revoke', owner]);
    expect(all.stderr).to.match(/revoked 1 token/);
    expect((await getJson(srv.url, '/meta/v0/db', { authorization: `Bearer ${ownerToken}` })).status).to.equal(401);
  });

  it('explains mistakes: unknown users, missing owner, bad level, usage', async () => {
    const ghost = await vodax(['user', 'token', 'ghost_nobody']);
    expect(ghost.code).to.equal(1);
    expect(ghost.stderr).to.match(/no user 'ghost_nobody'/);
    const noOwner = await vodax(['db', 'create', 'L3', 'x']);
    expect(noOwner.code).to.equal(2);
    expect(noOwner.stderr).to.match(/missing option --owner/);
    const badLevel = await vodax(['db', 'create', 'L7', 'x', '--owner', friend]);
    expect(badLevel.code).to.equal(1);
    expect(badLevel.stderr).to.match(/no level 'L7'/);
    const noAction = await vodax(['user']);
    expect(noAction.code).to.equal(2);
  });
});
