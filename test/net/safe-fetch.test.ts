import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import dc from 'node:diagnostics_channel';
import { expect } from 'chai';
import { BadRequestError, LimitExceededError } from '../../src/errors.js';
import { fetchToFile, hostAllowed, type ResolvedAddress, type SafeFetchOptions } from '../../src/net/safe-fetch.js';
import { loopbackFiles, votableOf, type LoopbackFiles } from '../support/loopback-files.js';
import { statusOf } from '../../src/http/error-table.js';

/** Count the TCP client sockets this process opens while `work` runs. */
async function socketsOpenedBy(work: () => Promise<unknown>): Promise<number> {
  let n = 0;
  const onSocket = (_msg: unknown) => void n++;
  dc.subscribe('net.client.socket', onSocket);
  try {
    await work();
  } finally {
    dc.unsubscribe('net.client.socket', onSocket);
  }
  return n;
}

/** The error `promise` rejects with (fails the test when it resolves). */
async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a rejection');
}

describe('safe URL fetch (net/safe-fetch)', function () {
  this.timeout(20_000);
  let files: LoopbackFiles;
  let dir: string;
  let n = 0;
  const target = () => path.join(dir, `f${n++}`);
  before(async () => {
    files = await loopbackFiles();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vodax-safe-fetch-'));
  });
  after(async () => {
    await files.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const allowed = (over: Partial<SafeFetchOptions> = {}): SafeFetchOptions => ({ maxBytes: 1 << 20, timeoutMs: 5000, allowHosts: [files.hostPort], ...over });

  it('streams an allow-listed loopback URL to the file', async () => {
    const file = target();
    const got = await fetchToFile(`${files.url}/x.vot`, file, allowed());
    expect(fs.readFileSync(file, 'utf8')).to.equal(votableOf(3));
    expect(got.bytes).to.equal(Buffer.byteLength(votableOf(3)));
    expect(got.contentType).to.equal('application/x-votable+xml');
  });

  it('refuses loopback, private, link-local and other non-public addresses without opening a connection', async () => {
    for (const [url, reason] of [
      [`${files.url}/x.vot`, /127\.0\.0\.1 is a loopback address/],
      ['http://[::1]/x.vot', /::1 is a loopback address/],
      ['http://10.0.0.1/x.vot', /10\.0\.0\.1 is a private address/],
      ['http://192.168.0.10:8080/x.vot', /private address/],
      ['http://169.254.169.254/latest/meta-data/', /link-local address/],
      ['http://100.64.1.1/', /carrier-grade NAT/],
      ['http://0.0.0.0:8080/', /unspecified address/],
      ['http://[::ffff:10.0.0.1]/', /private address/],
      ['http://[fd00::1]/', /private address/],
      ['http://[fe80::1]/', /link-local address/],
      ['http://224.0.0.1/', /multicast address/],
      ['http://255.255.255.255/', /broadcast address/],
      // Other spellings of 127.0.0.1 that URL parsing turns into it.
      ['http://2130706433/', /127\.0\.0\.1 is a loopback address/],
      ['http://0x7f.1/', /loopback address/],
    ] as const) {
      let err: Error | undefined;
      const sockets = await socketsOpenedBy(async () => {
        err = await rejection(fetchToFile(url, target(), { maxBytes: 1000, timeoutMs: 5000 }));
      });
      expect(err, url).to.be.instanceOf(BadRequestError);
      expect(err!.message, url).to.match(reason);
      expect(err!.message, url).to.include('this server fetches only from public addresses');
      expect(sockets, url).to.equal(0);
    }
    expect(files.requests.filter((r) => r.path === '/x.vot' && r.host === files.hostPort)).to.have.length(1); // the allowed fetch only
  });

  it('resolves a name and refuses it when any of its addresses is not public', async () => {
    const resolve = async (host: string): Promise<ResolvedAddress[]> =>
      host === 'mixed.test' ? [{ address: '93.184.216.34', family: 4 }, { address: '10.1.2.3', family: 4 }] : [{ address: '127.0.0.1', family: 4 }];
    let err: Error | undefined;
    const sockets = await socketsOpenedBy(async () => {
      err = await rejection(fetchToFile('http://mixed.test/t.vot', target(), { maxBytes: 1000, timeoutMs: 5000, resolve }));
    });
    expect(err!.message).to.match(/host mixed\.test resolves to 10\.1\.2\.3, a private address/);
    expect(sockets).to.equal(0);
    // localhost, through the system resolver (/etc/hosts).
    const local = await rejection(fetchToFile('http://localhost/t.vot', target(), { maxBytes: 1000, timeoutMs: 5000 }));
    expect(local.message).to.match(/host localhost resolves to (127\.0\.0\.1|::1), a loopback address/);
  });

  it('connects to the address it vetted, sending the name as Host: a second DNS answer cannot redirect it', async () => {
    const lookups: string[] = [];
    // A rebinding resolver: the first answer is the one checked, later ones point elsewhere.
    const resolve = async (host: string): Promise<ResolvedAddress[]> => {
      lookups.push(host);
      return [{ address: lookups.length === 1 ? '127.0.0.1' : '10.9.9.9', family: 4 }];
    };
    const file = target();
    await fetchToFile(`http://files.test:${files.port}/host`, file, allowed({ allowHosts: [`files.test:${files.port}`], resolve }));
    expect(fs.readFileSync(file, 'utf8')).to.equal(`files.test:${files.port}`);
    expect(lookups).to.deep.equal(['files.test']);
  });

  it('follows up to 5 redirects, checking each hop, and refuses a sixth', async () => {
    const file = target();
    const got = await fetchToFile(`${files.url}/hops/5`, file, allowed());
    expect(got.url).to.equal(`${files.url}/x.vot`);
    expect(fs.readFileSync(file, 'utf8')).to.equal(votableOf(3));
    const err = await rejection(fetchToFile(`${files.url}/hops/6`, target(), allowed()));
    expect(err).to.be.instanceOf(BadRequestError);
    expect(err.message).to.match(/more than 5 redirects/);
  });

  it('refuses a redirect to a forbidden address, another port, or another scheme, before connecting there', async () => {
    for (const [to, reason] of [
      ['http://169.254.169.254/latest/meta-data/', /169\.254\.169\.254 is a link-local address/],
      ['http://10.0.0.1/x.vot', /private address/],
      ['http://localhost:' + files.port + '/x.vot', /host localhost resolves to .*loopback address/],
      ['http://127.0.0.1:1/x.vot', /127\.0\.0\.1 is a loopback address/], // allow-listed is host:port, not the host
      ['file:///etc/passwd', /only http and https URLs are fetched, not file/],
    ] as const) {
      const before = files.requests.length;
      const url = `${files.url}/to?u=${encodeURIComponent(to)}`;
      let err: Error | undefined;
      const sockets = await socketsOpenedBy(async () => {
        err = await rejection(fetchToFile(url, target(), allowed()));
      });
      expect(err, to).to.be.instanceOf(BadRequestError);
      expect(err!.message, to).to.match(reason);
      expect(err!.message, to).to.include(url);
      expect(sockets, to).to.equal(1); // the allowed first hop only
      expect(files.requests.length - before, to).to.equal(1);
    }
  });

  it('refuses a body over the size limit with 413, declared or not, and leaves no file', async () => {
    const chunked = target();
    const err = await rejection(fetchToFile(`${files.url}/bytes/300000`, chunked, allowed({ maxBytes: 100_000 })));
    expect(err).to.be.instanceOf(LimitExceededError);
    expect(statusOf((err as LimitExceededError))).to.equal(413);
    expect(err.message).to.include(`${files.url}/bytes/300000 is larger than 100000 bytes`);
    expect(fs.existsSync(chunked)).to.equal(false);
    const declared = await rejection(fetchToFile(`${files.url}/declared/5000000`, target(), allowed({ maxBytes: 100_000 })));
    expect(declared).to.be.instanceOf(LimitExceededError);
    expect(declared.message).to.match(/larger than 100000 bytes \(5000000\)/);
    // Exactly at the limit is fine.
    const exact = target();
    expect((await fetchToFile(`${files.url}/bytes/100000`, exact, allowed({ maxBytes: 100_000 }))).bytes).to.equal(100_000);
    expect(fs.statSync(exact).size).to.equal(100_000);
  });

  it('gives up on a server that stalls, before headers or in the body, within the time allowed', async () => {
    for (const route of ['/stall', '/stall-body']) {
      const started = Date.now();
      const err = await rejection(fetchToFile(`${files.url}${route}`, target(), allowed({ timeoutMs: 400 })));
      const took = Date.now() - started;
      expect(err, route).to.be.instanceOf(BadRequestError);
      expect(err.message, route).to.equal(`URL ${files.url}${route}: no complete answer within 0.4 s`);
      expect(took, route).to.be.within(350, 3000);
    }
  });

  it('reports an answer that is not 2xx, naming the URL and the status', async () => {
    const err = await rejection(fetchToFile(`${files.url}/missing.vot`, target(), allowed()));
    expect(err).to.be.instanceOf(BadRequestError);
    expect(err.message).to.equal(`URL ${files.url}/missing.vot: the server answered 404 Not Found`);
    const refused = await rejection(fetchToFile('http://127.0.0.1:1/x.vot', target(), allowed({ allowHosts: ['127.0.0.1'] })));
    expect(refused).to.be.instanceOf(BadRequestError);
    expect(refused.message).to.match(/cannot fetch http:\/\/127\.0\.0\.1:1\/x\.vot \(.*ECONNREFUSED/);
  });

  it('stops the transfer and closes the connection when the caller aborts', async () => {
    const ac = new AbortController();
    const before = files.requests.length;
    const started = Date.now();
    setTimeout(() => ac.abort(), 150);
    const err = await rejection(fetchToFile(`${files.url}/stall-body`, target(), allowed({ timeoutMs: 10_000, signal: ac.signal })));
    expect(Date.now() - started).to.be.lessThan(3000);
    expect(err.message).to.match(/cancelled/);
    const seen = files.requests[before]!;
    for (let i = 0; i < 50 && !seen.closedEarly; i++) await new Promise((r) => setTimeout(r, 20));
    expect(seen.closedEarly).to.equal(true);
  });

  it('matches allow-list entries by host or by host:port', () => {
    expect(hostAllowed(new URL('http://Files.Example:8080/x'), ['files.example'])).to.equal(true);
    expect(hostAllowed(new URL('http://files.example:8080/x'), ['files.example:8080'])).to.equal(true);
    expect(hostAllowed(new URL('http://files.example:8081/x'), ['files.example:8080'])).to.equal(false);
    expect(hostAllowed(new URL('http://files.example/x'), ['files.example:80'])).to.equal(true);
    expect(hostAllowed(new URL('https://files.example/x'), ['files.example:80'])).to.equal(false);
    expect(hostAllowed(new URL('http://[::1]:9000/x'), ['[::1]:9000'])).to.equal(true);
    expect(hostAllowed(new URL('http://evil.files.example/x'), ['files.example'])).to.equal(false);
  });
});
