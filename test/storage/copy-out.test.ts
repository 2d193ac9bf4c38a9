import { PassThrough } from 'node:stream';
import { expect } from 'chai';
import pg from 'pg';
import { CopyOut } from '../../src/storage/copy-out.js';
import { testDatabase } from '../support/database.js';

/** A protocol message: code, length, body. */
function message(code: string, body: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head[0] = code.charCodeAt(0);
  head.writeUInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
}

/** A stand-in for pg's Connection: its socket, the driver's data handler, the query text sent. */
function fakeConnection(): { connection: pg.Connection; driverGot: Buffer[]; sent: string[]; stream: PassThrough } {
  const stream = new PassThrough();
  const driverGot: Buffer[] = [];
  const sent: string[] = [];
  stream.on('data', (b: Buffer) => driverGot.push(Buffer.from(b)));
  const connection = { stream, query: (text: string) => sent.push(text) } as unknown as pg.Connection;
  return { connection, driverGot, sent, stream };
}

async function readAll(copy: CopyOut): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const b of copy) parts.push(Buffer.from(b as Buffer));
  return Buffer.concat(parts);
}

describe('storage: CopyOut (COPY TO STDOUT reader)', () => {
  const rows = Array.from({ length: 40 }, (_, i) => Buffer.from(`row ${i} ${'x'.repeat(i % 7)}\n`));
  const after = Buffer.concat([message('C', Buffer.from('COPY 40\0')), message('Z', Buffer.from('I'))]);
  const wire = Buffer.concat([
    message('H', Buffer.from([0, 0, 1, 0, 0])),
    ...rows.slice(0, 10).map((r) => message('d', r)),
    message('N', Buffer.from('SNOTICE\0Mnoise\0\0')),
    ...rows.slice(10, 30).map((r) => message('d', r)),
    message('S', Buffer.from('application_name\0x\0')),
    ...rows.slice(30).map((r) => message('d', r)),
    message('c', Buffer.alloc(0)),
    after,
  ]);

  it('answers the CopyData payloads and hands the driver what follows the COPY, however the socket cuts the bytes', async () => {
    for (const cut of [1, 2, 3, 5, 7, 13, 64, wire.length]) {
      const { connection, driverGot, sent, stream } = fakeConnection();
      const copy = new CopyOut('COPY x TO STDOUT');
      copy.submit(connection);
      expect(sent).to.deep.equal(['COPY x TO STDOUT']);
      for (let at = 0; at < wire.length; at += cut) stream.write(wire.subarray(at, Math.min(wire.length, at + cut)));
      const data = await readAll(copy);
      expect(data.equals(Buffer.concat(rows)), `cut every ${cut} bytes`).to.equal(true);
      await new Promise((r) => setImmediate(r));
      // The driver's handler is back on the socket and got exactly the messages after CopyDone.
      expect(Buffer.concat(driverGot).equals(after), `cut every ${cut} bytes`).to.equal(true);
    }
  });

  it('stops at an ErrorResponse and hands it to the driver', async () => {
    const error = message('E', Buffer.from('SERROR\0C22012\0Mdivision by zero\0\0'));
    const bytes = Buffer.concat([message('H', Buffer.from([0, 0, 1, 0, 0])), message('d', rows[0]!), error, message('Z', Buffer.from('E'))]);
    const { connection, driverGot, stream } = fakeConnection();
    const copy = new CopyOut('COPY x TO STDOUT');
    copy.submit(connection);
    const got: Buffer[] = [];
    copy.on('data', (b: Buffer) => got.push(Buffer.from(b)));
    stream.write(bytes);
    await new Promise((r) => setImmediate(r));
    expect(Buffer.concat(got).equals(rows[0]!)).to.equal(true);
    expect(Buffer.concat(driverGot).subarray(0, error.length).equals(error)).to.equal(true);
  });

  it('reads a real COPY to its end, notices between rows included, and leaves the connection usable', async () => {
    const { url } = await testDatabase();
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query(`CREATE OR REPLACE FUNCTION pg_temp.noisy(i int) RETURNS int LANGUAGE plpgsql AS $$ BEGIN IF i % 1000 = 0 THEN RAISE NOTICE 'at %', i; END IF; RETURN i; END $$`);
      const copy = client.query(new CopyOut(`COPY (SELECT pg_temp.noisy(g), repeat('y', g % 50) FROM generate_series(1, 20000) g) TO STDOUT`));
      const text = (await readAll(copy)).toString();
      const lines = text.split('\n');
      expect(lines).to.have.length(20001);
      expect(lines[19999]).to.equal('20000\t');
      expect(lines[1233]).to.equal(`1234\t${'y'.repeat(34)}`);
      expect((await client.query('SELECT 41 + 1 AS n')).rows[0].n).to.equal(42);
    } finally {
      await client.end();
    }
  });

  it('fails with the error of a COPY that breaks half way, and the connection still answers', async () => {
    const { url } = await testDatabase();
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const copy = client.query(new CopyOut('COPY (SELECT g, 1 / (g - 15000) FROM generate_series(1, 20000) g) TO STDOUT'));
      let bytes = 0;
      let failure: Error | null = null;
      try {
        for await (const b of copy) bytes += (b as Buffer).length;
      } catch (e) {
        failure = e as Error;
      }
      expect(failure?.message).to.match(/division by zero/);
      expect((await client.query('SELECT 42 AS n')).rows[0].n).to.equal(42);
      expect(bytes).to.be.lessThan(200_000);
    } finally {
      await client.end();
    }
  });
});
