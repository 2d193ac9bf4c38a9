import { expect } from 'chai';
import crypto from 'node:crypto';
import { checkShardName, createForeignPartitionSql, createServerSql, createUserMappingSql, quoteLiteral, shortName } from '../../src/shard/ddl.js';

describe('shard DDL text', () => {
  it('creates a foreign server with the pushdown and failure settings', () => {
    const sql = createServerSql('b', { host: '10.0.0.2', port: 5433, dbname: "cat'db" });
    expect(sql).to.match(/^CREATE SERVER "vodax_shard_b" FOREIGN DATA WRAPPER postgres_fdw OPTIONS \(/);
    for (const opt of ["use_remote_estimate 'true'", "async_capable 'true'", "fetch_size '10000'", "connect_timeout '5'", "dbname 'cat''db'", "port '5433'"]) expect(sql).to.include(opt);
  });

  it('keeps the credentials in the user mapping, quoted', () => {
    expect(createUserMappingSql('b', 'u', "p'w")).to.equal(`CREATE USER MAPPING FOR PUBLIC SERVER "vodax_shard_b" OPTIONS (user 'u', password 'p''w')`);
    expect(() => quoteLiteral('a\u0000b')).to.throw();
  });

  it('opens the first and last partitions to MINVALUE and MAXVALUE', () => {
    const parent = { schema: 'Sky', table: 'T' };
    const first = createForeignPartitionSql('p0', parent, 'a', 'r0', { lo: 0n, hi: 10n }, { first: true, last: false });
    expect(first).to.include('FOR VALUES FROM (MINVALUE) TO (10) SERVER "vodax_shard_a"');
    const last = createForeignPartitionSql('p1', parent, 'b', 'r1', { lo: 10n, hi: 20n }, { first: false, last: true });
    expect(last).to.include('FROM (10) TO (MAXVALUE)');
    expect(last).to.include("table_name 'r1'");
  });

  it('refuses shard names that are not plain identifiers', () => {
    expect(() => checkShardName('a-b')).to.throw(/lower-case/);
    expect(() => checkShardName('Ab')).to.throw();
    checkShardName('shard_1');
  });

  it('shortens long names within 63 bytes, distinctly', () => {
    const h = (s: string) => crypto.createHash('sha1').update(s).digest('hex');
    const a = shortName(['x'.repeat(60), 'a'], h);
    const b = shortName(['x'.repeat(60), 'b'], h);
    expect(Buffer.byteLength(a)).to.be.at.most(63);
    expect(a).not.to.equal(b);
    expect(shortName(['Sky', 'T'], h)).to.equal('Sky__T');
  });
});
