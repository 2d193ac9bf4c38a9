import { expect } from 'chai';
import crypto from 'node:crypto';
import { testServer, getJson, type TestServer } from '../support/server.js';
import { testDatabase } from '../support/database.js';
import { addUser, issueToken, revokeTokens } from '../../src/auth/users.js';

describe('auth over HTTP: bearer tokens, challenge, anonymous callers', () => {
  let srv: TestServer;
  const name = `u${crypto.randomBytes(4).toString('hex')}`;
  let token: string;
  before(async () => {
    srv = await testServer();
    token = (await addUser((await testDatabase()).db, name)).token;
  });
  after(() => srv.close());

  it('serves an anonymous caller the public levels, without an identity header', async () => {
    const res = await fetch(srv.url + '/meta/v0/db', { headers: { accept: 'application/json' } });
    expect(res.status).to.equal(200);
    expect(res.headers.get('x-vo-authenticated')).to.equal(null);
    expect(res.headers.get('vary')).to.match(/Authorization/i);
    expect((await res.json()).result).not.to.include('L3');
  });

  it('names the user of a valid token in X-VO-Authenticated', async () => {
    const res = await fetch(srv.url + '/meta/v0/db', { headers: { accept: 'application/json', authorization: `Bearer ${token}` } });
    expect(res.status).to.equal(200);
    expect(res.headers.get('x-vo-authenticated')).to.equal(name);
    // The scheme name is case-insensitive (RFC 9110).
    const lower = await fetch(srv.url + '/meta/v0/db', { headers: { authorization: `bearer ${token}` } });
    expect(lower.status).to.equal(200);
    expect(lower.headers.get('x-vo-authenticated')).to.equal(name);
  });

  it('answers a bad token with 401 and an RFC 6750 invalid_token challenge', async () => {
    for (const bad of [token.slice(0, -2), 'vdx_' + 'A'.repeat(43), 'garbage', `${token} ${token}`]) {
      const res = await fetch(srv.url + '/meta/v0/db/L2', { headers: { accept: 'application/json', authorization: `Bearer ${bad}` } });
      expect(res.status, bad).to.equal(401);
      const challenge = res.headers.get('www-authenticate')!;
      expect(challenge).to.match(/^Bearer realm="vodax", error="invalid_token", error_description="[^"\\]+"$/);
      const body = await res.json();
      expect(body.error.code).to.equal('Unauthorized');
      expect(res.headers.get('x-vo-authenticated')).to.equal(null);
    }
  });

  it('answers another scheme or an empty Bearer with 401 and a challenge', async () => {
    const basic = await fetch(srv.url + '/meta/v0/db', { headers: { authorization: 'Basic dXNlcjpwYXNz' } });
    expect(basic.status).to.equal(401);
    expect(basic.headers.get('www-authenticate')).to.equal('Bearer realm="vodax"');
    expect((await basic.json()).error.message).to.match(/Bearer/);
    const empty = await fetch(srv.url + '/meta/v0/db', { headers: { authorization: 'Bearer' } });
    expect(empty.status).to.equal(401);
    expect(empty.headers.get('www-authenticate')).to.match(/error="invalid_token"/);
  });

  it('honours a token issued while serving, and a revocation, at once', async () => {
    const { db } = await testDatabase();
    const { token: fresh, id } = await issueToken(db, name);
    const auth = { authorization: `Bearer ${fresh}` };
    expect((await getJson(srv.url, '/meta/v0/db', auth)).status).to.equal(200);
    await revokeTokens(db, name, id);
    const after = await getJson(srv.url, '/meta/v0/db', auth);
    expect(after.status).to.equal(401);
    // The user's other token still works.
    expect((await getJson(srv.url, '/meta/v0/db', { authorization: `Bearer ${token}` })).status).to.equal(200);
  });

  it('knows the sample data user joe, who sees joe_myDb with a token', async () => {
    const { db } = await testDatabase();
    const { token: joe, id } = await issueToken(db, 'joe');
    try {
      const levels = await getJson(srv.url, '/meta/v0/db', { authorization: `Bearer ${joe}` });
      expect(levels.body.result).to.include('L3');
      const dbs = await getJson(srv.url, '/meta/v0/db/L3', { authorization: `Bearer ${joe}` });
      expect(dbs.body.result).to.include('joe_myDb');
    } finally {
      await revokeTokens(db, 'joe', id);
    }
  });
});
