/** The UWS 1.1 HTTP binding over the job engine: every resource, every phase change, XML against the schema. */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { expect } from 'chai';
import { createJob, eventually, get, harness, postForm, sleepingBackends, untilPhase, uwsSchemaProblems, type Harness } from './support.js';

describe('UWS binding', function () {
  this.timeout(30_000);
  let h: Harness;
  before(async () => {
    h = await harness();
  });
  after(async () => {
    await h?.close();
  });

  describe('creating and reading a job', () => {
    it('POST to the list creates a PENDING job and answers 303 with its absolute URL', async () => {
      const res = await postForm(h.url + h.base, { SECONDS: '0', Rows: '5', RUNID: 'my-run' }, 'alice');
      expect(res.status).to.equal(303);
      const loc = res.headers.get('location')!;
      expect(loc).to.match(new RegExp(`^${h.url}${h.base}/[A-Za-z0-9_-]{22}$`));
      const xml = await (await get(loc, 'alice')).text();
      expect(xml).to.contain('<uws:phase>PENDING</uws:phase>');
      expect(xml).to.contain('<uws:runId>my-run</uws:runId>');
      expect(xml).to.contain('<uws:ownerId>alice</uws:ownerId>');
      expect(xml).to.contain('<uws:parameter id="seconds">0</uws:parameter>');
      expect(xml).to.contain('<uws:parameter id="rows">5</uws:parameter>');
      expect(xml).not.to.contain('id="runid"');
      expect(await uwsSchemaProblems(xml)).to.equal('');
    });

    it('job ids are unguessable: 128 random bits, never repeated', async () => {
      const ids = new Set<string>();
      for (let i = 0; i < 20; i++) ids.add((await createJob(h, { seconds: '0' })).id);
      expect(ids.size).to.equal(20);
      for (const id of ids) expect(Buffer.from(id, 'base64url').length).to.equal(16);
    });

    it('answers every child resource, text/plain where UWS says so', async () => {
      const { url } = await createJob(h, { seconds: '0', EXECUTIONDURATION: '30', RUNID: 'r1' }, 'alice');
      const phase = await get(`${url}/phase`, 'alice');
      expect(phase.headers.get('content-type')).to.match(/^text\/plain/);
      expect(await phase.text()).to.equal('PENDING');
      expect(await (await get(`${url}/executionduration`, 'alice')).text()).to.equal('30');
      const destruction = new Date(await (await get(`${url}/destruction`, 'alice')).text());
      expect(destruction.getTime() - Date.now()).to.be.within(6.9 * 86_400_000, 7.01 * 86_400_000);
      expect(await (await get(`${url}/owner`, 'alice')).text()).to.equal('alice');
      expect(await (await get(`${url}/runId`, 'alice')).text()).to.equal('r1');
      expect(await (await get(`${url}/quote`, 'alice')).text()).to.equal('');
      expect(await (await get(`${url}/error`, 'alice')).text()).to.equal('');
      const params = await (await get(`${url}/parameters`, 'alice')).text();
      expect(params).to.contain('<uws:parameter id="seconds">0</uws:parameter>');
      expect(await uwsSchemaProblems(params)).to.equal('');
      const results = await (await get(`${url}/results`, 'alice')).text();
      expect(await uwsSchemaProblems(results)).to.equal('');
    });

    it('unknown jobs and results are 404 with a DALI-style error', async () => {
      const res = await get(`${h.url}${h.base}/AAAAAAAAAAAAAAAAAAAAAA`);
      expect(res.status).to.equal(404);
      expect(res.headers.get('content-type')).to.match(/^application\/x-votable\+xml/);
      expect(await res.text()).to.match(/<INFO name="QUERY_STATUS" value="ERROR">no job 'AAAAAAAAAAAAAAAAAAAAAA'<\/INFO>/);
      expect((await get(`${h.url}${h.base}/..%2F..%2Fetc/phase`)).status).to.equal(404);
      const { url } = await createJob(h, { seconds: '0' });
      expect((await get(`${url}/results/result`)).status).to.equal(404);
    });

    it('bad parameters are refused with 400 and no job is created', async () => {
      expect((await postForm(h.url + h.base, { seconds: 'soon' }, 'bob')).status).to.equal(400);
      expect((await postForm(h.url + h.base, { seconds: '1', PHASE: 'ABORT' }, 'bob')).status).to.equal(400);
      expect((await postForm(h.url + h.base, { seconds: '1', EXECUTIONDURATION: 'long' }, 'bob')).status).to.equal(400);
      expect((await postForm(h.url + h.base, { seconds: '1', DESTRUCTION: 'tomorrow' }, 'bob')).status).to.equal(400);
      const list = await (await get(h.url + h.base, 'bob')).text();
      expect(list).not.to.contain('<uws:jobref');
    });
  });

  describe('running', () => {
    it('PHASE=RUN at creation runs the job to COMPLETED; the result is served with its type and size', async () => {
      const { url, id } = await createJob(h, { seconds: '0', rows: '1000', PHASE: 'RUN' }, 'alice');
      await untilPhase(h.engine, id, ['COMPLETED']);
      const xml = await (await get(url, 'alice')).text();
      expect(await uwsSchemaProblems(xml)).to.equal('');
      expect(xml).to.match(/<uws:startTime>[^<]+<\/uws:startTime>/);
      expect(xml).to.match(/<uws:endTime>[^<]+<\/uws:endTime>/);
      const expected = Array.from({ length: 1000 }, (_, i) => String(i + 1)).join('\n') + '\n';
      expect(xml).to.contain(`<uws:result id="result" xlink:type="simple" xlink:href="${url}/results/result" mime-type="text/plain" size="${expected.length}"/>`);
      const res = await get(`${url}/results/result`, 'alice');
      expect(res.status).to.equal(200);
      expect(res.headers.get('content-type')).to.match(/^text\/plain/);
      expect(await res.text()).to.equal(expected);
      expect(fs.readFileSync(path.join(h.dataDir, 'results', id, 'result.txt'), 'utf8')).to.equal(expected);
    });

    it('POST PHASE=RUN to the job and to phase queues a PENDING job; running it again when finished is 409', async () => {
      const a = await createJob(h, { seconds: '0' });
      expect((await postForm(a.url, { PHASE: 'RUN' })).status).to.equal(303);
      await untilPhase(h.engine, a.id, ['COMPLETED']);
      const b = await createJob(h, { seconds: '0' });
      const res = await postForm(`${b.url}/phase`, { phase: 'run' });
      expect(res.status).to.equal(303);
      expect(res.headers.get('location')).to.equal(b.url);
      await untilPhase(h.engine, b.id, ['COMPLETED']);
      expect((await postForm(`${b.url}/phase`, { PHASE: 'RUN' })).status).to.equal(409);
      expect((await postForm(`${b.url}/phase`, { PHASE: 'SUSPEND' })).status).to.equal(400);
    });

    it('a failing job goes to ERROR with its message in errorSummary and /error', async () => {
      const { url, id } = await createJob(h, { seconds: '0', fail: 'no such table', PHASE: 'RUN' });
      await untilPhase(h.engine, id, ['ERROR']);
      const xml = await (await get(url)).text();
      expect(xml).to.contain('<uws:errorSummary type="fatal" hasDetail="true"><uws:message>failing on purpose: no such table</uws:message></uws:errorSummary>');
      expect(xml).to.contain('<uws:results></uws:results>');
      expect(await uwsSchemaProblems(xml)).to.equal('');
      expect(await (await get(`${url}/error`)).text()).to.equal('failing on purpose: no such table');
    });

    it('PHASE=ABORT stops a running pg_sleep(30): ABORTED, and gone from pg_stat_activity within a second', async () => {
      const { url, id } = await createJob(h, { seconds: '30', PHASE: 'RUN' });
      await untilPhase(h.engine, id, ['EXECUTING']);
      await new Promise((r) => setTimeout(r, 200));
      expect(await sleepingBackends(h.db)).to.equal(1);
      const t0 = Date.now();
      const res = await postForm(url, { PHASE: 'ABORT' });
      expect(res.status).to.equal(303);
      expect(res.headers.get('location')).to.equal(url);
      while ((await sleepingBackends(h.db)) > 0) {
        expect(Date.now() - t0).to.be.below(1000);
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(Date.now() - t0).to.be.below(1000);
      expect(await (await get(`${url}/phase`)).text()).to.equal('ABORTED');
      expect(fs.readdirSync(path.join(h.dataDir, 'results', id))).to.deep.equal(['uploads']);
    });

    it('a job past its execution duration is stopped in the database and set to ERROR saying so', async () => {
      const { url, id } = await createJob(h, { seconds: '30', EXECUTIONDURATION: '1', PHASE: 'RUN' });
      await untilPhase(h.engine, id, ['EXECUTING']);
      const t0 = Date.now();
      await untilPhase(h.engine, id, ['ERROR'], 5000);
      expect(Date.now() - t0).to.be.below(2500);
      expect(await sleepingBackends(h.db)).to.equal(0);
      const xml = await (await get(url)).text();
      expect(xml).to.match(/<uws:message>execution duration of 1 s exceeded[^<]*cancelled<\/uws:message>/);
    });

    it('EXECUTIONDURATION is clamped to the maximum, 0 meaning the maximum', async () => {
      const a = await createJob(h, { EXECUTIONDURATION: '100000' });
      expect(await (await get(`${a.url}/executionduration`)).text()).to.equal('120');
      expect((await postForm(`${a.url}/executionduration`, { EXECUTIONDURATION: '0' })).status).to.equal(303);
      expect(await (await get(`${a.url}/executionduration`)).text()).to.equal('120');
      expect((await postForm(`${a.url}/executionduration`, { EXECUTIONDURATION: '7' })).status).to.equal(303);
      expect(await (await get(`${a.url}/executionduration`)).text()).to.equal('7');
    });
  });

  describe('parameters', () => {
    it('may change while PENDING, by POST to the job or to parameters (names case-insensitive)', async () => {
      const { url } = await createJob(h, { seconds: '0', rows: '1' });
      expect((await postForm(url, { ROWS: '2' })).status).to.equal(303);
      expect((await postForm(`${url}/parameters`, { Seconds: '0.0', extra: ['a', 'b'] })).status).to.equal(303);
      const xml = await (await get(`${url}/parameters`)).text();
      expect(xml).to.contain('<uws:parameter id="rows">2</uws:parameter>');
      expect(xml).to.contain('<uws:parameter id="seconds">0.0</uws:parameter>');
      expect(xml).to.contain('<uws:parameter id="extra">a</uws:parameter><uws:parameter id="extra">b</uws:parameter>');
      expect((await postForm(`${url}/parameters`, { seconds: 'x' })).status).to.equal(400);
    });

    it('are frozen once the job left PENDING: 409, unchanged', async () => {
      const { url, id } = await createJob(h, { seconds: '0', rows: '1', PHASE: 'RUN' });
      await untilPhase(h.engine, id, ['COMPLETED']);
      expect((await postForm(url, { rows: '9' })).status).to.equal(409);
      expect((await postForm(`${url}/parameters`, { rows: '9' })).status).to.equal(409);
      expect((await postForm(`${url}/executionduration`, { EXECUTIONDURATION: '9' })).status).to.equal(409);
      expect(await (await get(`${url}/parameters`)).text()).to.contain('<uws:parameter id="rows">1</uws:parameter>');
    });

    it('PHASE=RUN at creation stores the job QUEUED in one statement; with files, PENDING until they are in its folder', async () => {
      // The phases the database stores, in order, by a trigger of this test's own.
      await h.db.query('CREATE TABLE public.job_phases (n serial, id text, old text, new text)');
      await h.db.query(`CREATE FUNCTION public.log_job_phase() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO public.job_phases (id, old, new) VALUES (NEW.id, CASE WHEN TG_OP = 'UPDATE' THEN OLD.phase END, NEW.phase); RETURN NEW; END $$`);
      await h.db.query('CREATE TRIGGER log_job_phase AFTER INSERT OR UPDATE OF phase ON vodax.jobs FOR EACH ROW EXECUTE FUNCTION public.log_job_phase()');
      const stored = async (id: string) => (await h.db.query<{ old: string | null; new: string }>('SELECT old, new FROM public.job_phases WHERE id = $1 ORDER BY n', [id])).map((r) => `${r.old ?? ''}>${r.new}`);
      try {
        const plain = await createJob(h, { seconds: '0', PHASE: 'RUN' }, 'alice');
        await untilPhase(h.engine, plain.id, ['COMPLETED']);
        expect(await stored(plain.id)).to.deep.equal(['>QUEUED', 'QUEUED>EXECUTING', 'EXECUTING>COMPLETED']);
        const form = new FormData();
        form.append('PHASE', 'RUN');
        form.append('table', new Blob(['a,b\n1,2\n'], { type: 'text/csv' }), 'mine.csv');
        const res = await fetch(h.url + h.base, { method: 'POST', body: form, redirect: 'manual' });
        const url = res.headers.get('location')!;
        const id = url.slice(url.lastIndexOf('/') + 1);
        await untilPhase(h.engine, id, ['COMPLETED']);
        expect(await stored(id)).to.deep.equal(['>PENDING', 'PENDING>QUEUED', 'QUEUED>EXECUTING', 'EXECUTING>COMPLETED']);
        expect(await (await get(`${url}/results/echo`)).text()).to.equal('a,b\n1,2\n');
      } finally {
        await h.db.query('DROP TRIGGER log_job_phase ON vodax.jobs');
        await h.db.query('DROP FUNCTION public.log_job_phase()');
        await h.db.query('DROP TABLE public.job_phases');
      }
    });

    it('multipart: fields are parameters and files land in the job folder for the runner', async () => {
      const form = new FormData();
      form.append('SECONDS', '0');
      form.append('PHASE', 'RUN');
      form.append('table', new Blob(['a,b\n1,2\n'], { type: 'text/csv' }), 'mine.csv');
      const res = await fetch(h.url + h.base, { method: 'POST', body: form, redirect: 'manual' });
      expect(res.status).to.equal(303);
      const url = res.headers.get('location')!;
      const id = url.slice(url.lastIndexOf('/') + 1);
      await untilPhase(h.engine, id, ['COMPLETED']);
      expect(fs.readFileSync(path.join(h.dataDir, 'results', id, 'uploads', 'table'), 'utf8')).to.equal('a,b\n1,2\n');
      expect(await (await get(`${url}/results/echo`)).text()).to.equal('a,b\n1,2\n');
      const bad = new FormData();
      bad.append('../evil', new Blob(['x']), 'x');
      expect((await fetch(h.url + h.base, { method: 'POST', body: bad, redirect: 'manual' })).status).to.equal(400);
    });
    it('multipart cut off mid-file: the request fails, every file write ends (no descriptor left open), no staging folder is left', async () => {
      const port = Number(new URL(h.url).port);
      const fds = () => fs.readdirSync('/proc/self/fd').length;
      const before = fds();
      for (let i = 0; i < 5; i++) {
        const socket = net.connect(port, '127.0.0.1');
        socket.on('error', () => {});
        await new Promise((r) => socket.once('connect', r));
        socket.write(
          `POST ${h.base} HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=B\r\nContent-Length: 1000000\r\n\r\n` +
            `--B\r\nContent-Disposition: form-data; name="SECONDS"\r\n\r\n0\r\n--B\r\nContent-Disposition: form-data; name="table"; filename="t.csv"\r\n\r\n` +
            'x'.repeat(200_000),
        );
        await new Promise((r) => setTimeout(r, 100));
        socket.destroy();
      }
      const staging = () =>
        fs.existsSync(path.join(h.dataDir, 'results'))
          ? fs.readdirSync(path.join(h.dataDir, 'results'), { recursive: true }).filter((p) => String(p).includes('.staging-'))
          : [];
      for (let i = 0; i < 50 && staging().length > 0; i++) await new Promise((r) => setTimeout(r, 100));
      expect(staging()).to.deep.equal([]);
      for (let i = 0; i < 50 && fds() > before; i++) await new Promise((r) => setTimeout(r, 100));
      expect(fds(), 'file descriptors left open').to.be.at.most(before);
      expect((await get(h.url + h.base, 'alice')).status).to.equal(200);
    });
  });

  describe('destruction and deletion', () => {
    it('DELETE and ACTION=DELETE answer 303 to the list; the job and its folder are gone', async () => {
      const a = await createJob(h, { seconds: '0', PHASE: 'RUN' });
      await untilPhase(h.engine, a.id, ['COMPLETED']);
      const del = await fetch(a.url, { method: 'DELETE', redirect: 'manual' });
      expect(del.status).to.equal(303);
      expect(del.headers.get('location')).to.equal(h.url + h.base);
      expect((await get(a.url)).status).to.equal(404);
      expect(fs.existsSync(path.join(h.dataDir, 'results', a.id))).to.equal(false);
      const b = await createJob(h, { seconds: '30', PHASE: 'RUN' });
      await untilPhase(h.engine, b.id, ['EXECUTING']);
      const res = await postForm(b.url, { ACTION: 'DELETE' });
      expect(res.status).to.equal(303);
      expect(res.headers.get('location')).to.equal(h.url + h.base);
      expect((await get(b.url)).status).to.equal(404);
      // Cancelled in the database and its folder removed once the runner has stopped.
      // Well before the 30 s sleep would end, even on a loaded machine.
      expect(await eventually(() => sleepingBackends(h.db), 0, 10_000)).to.equal(0);
      expect(await eventually(() => fs.existsSync(path.join(h.dataDir, 'results', b.id)), false)).to.equal(false);
    });

    it('the reaper destroys a job and its folder at its destruction time', async () => {
      const { url, id } = await createJob(h, { seconds: '0', PHASE: 'RUN' });
      await untilPhase(h.engine, id, ['COMPLETED']);
      const at = new Date(Date.now() + 1000);
      expect((await postForm(`${url}/destruction`, { DESTRUCTION: at.toISOString() })).status).to.equal(303);
      expect(await (await get(`${url}/destruction`)).text()).to.equal(at.toISOString());
      expect(fs.existsSync(path.join(h.dataDir, 'results', id))).to.equal(true);
      const end = Date.now() + 3000;
      while ((await get(url)).status !== 404) {
        expect(Date.now()).to.be.below(end);
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(Date.now()).to.be.at.least(at.getTime());
      expect(await eventually(() => fs.existsSync(path.join(h.dataDir, 'results', id)), false)).to.equal(false);
    });

    it('a destruction later than allowed is clamped', async () => {
      const { url } = await createJob(h, { DESTRUCTION: '2999-01-01T00:00:00Z' });
      const d = new Date(await (await get(`${url}/destruction`)).text());
      expect(d.getTime()).to.be.below(Date.now() + 7.01 * 86_400_000);
    });
  });

  describe('owners', () => {
    it("another user's job is 404 on every resource; an anonymous job is reachable by its URL", async () => {
      const { url, id } = await createJob(h, { seconds: '0', PHASE: 'RUN' }, 'alice');
      await untilPhase(h.engine, id, ['COMPLETED']);
      for (const p of ['', '/phase', '/executionduration', '/destruction', '/error', '/quote', '/parameters', '/results', '/results/result', '/owner', '/runId']) {
        expect((await get(url + p, 'mallory')).status, p).to.equal(404);
        expect((await get(url + p)).status, `anonymous ${p}`).to.equal(404);
        expect((await get(url + p, 'alice')).status, p).to.equal(200);
      }
      expect((await postForm(url, { ACTION: 'DELETE' }, 'mallory')).status).to.equal(404);
      expect((await fetch(url, { method: 'DELETE', headers: { 'x-test-user': 'mallory' } })).status).to.equal(404);
      expect((await get(url, 'alice')).status).to.equal(200);
      const anon = await createJob(h, { seconds: '0' });
      expect((await get(anon.url, 'mallory')).status).to.equal(200);
      const xml = await (await get(anon.url)).text();
      expect(xml).to.contain('<uws:ownerId xsi:nil="true"/>');
      expect(await uwsSchemaProblems(xml)).to.equal('');
    });
  });

  describe('the job list', () => {
    let ids: string[];
    let middle: Date;
    before(async () => {
      ids = [];
      for (let i = 0; i < 6; i++) {
        if (i === 3) {
          await new Promise((r) => setTimeout(r, 30));
          middle = new Date();
          await new Promise((r) => setTimeout(r, 30));
        }
        ids.push((await createJob(h, { seconds: '0', ...(i % 2 === 0 ? { PHASE: 'RUN' } : {}) }, 'lister')).id);
      }
      for (const [i, id] of ids.entries()) if (i % 2 === 0) await untilPhase(h.engine, id, ['COMPLETED']);
      await createJob(h, { seconds: '0' }, 'someone-else');
      await createJob(h, { seconds: '0' });
    });
    const listed = (xml: string) => [...xml.matchAll(/<uws:jobref id="([^"]+)"/g)].map((m) => m[1]);

    it("lists only the caller's jobs, newest first, as valid UWS XML", async () => {
      const xml = await (await get(h.url + h.base, 'lister')).text();
      expect(listed(xml)).to.deep.equal([...ids].reverse());
      expect(xml).to.match(/^<\?xml[^>]*>\n<uws:jobs [^>]*version="1.1">/);
      expect(xml).to.contain(`xlink:href="${h.url}${h.base}/${ids[0]}"`);
      expect(await uwsSchemaProblems(xml)).to.equal('');
    });

    it('anonymous callers see no jobs at all', async () => {
      expect(listed(await (await get(h.url + h.base)).text())).to.deep.equal([]);
    });

    it('filters by PHASE (repeatable), AFTER and LAST, together', async () => {
      const q = (s: string) => get(`${h.url}${h.base}?${s}`, 'lister').then((r) => r.text()).then(listed);
      expect(await q('PHASE=PENDING')).to.deep.equal([ids[5], ids[3], ids[1]]);
      expect(await q('PHASE=COMPLETED&PHASE=PENDING')).to.deep.equal([...ids].reverse());
      expect(await q('phase=completed')).to.deep.equal([ids[4], ids[2], ids[0]]);
      expect(await q(`AFTER=${middle.toISOString()}`)).to.deep.equal([ids[5], ids[4], ids[3]]);
      expect(await q('LAST=2')).to.deep.equal([ids[5], ids[4]]);
      expect(await q(`LAST=1&PHASE=COMPLETED&AFTER=${middle.toISOString()}`)).to.deep.equal([ids[4]]);
      expect((await get(`${h.url}${h.base}?LAST=0`, 'lister')).status).to.equal(400);
      expect((await get(`${h.url}${h.base}?PHASE=DONE`, 'lister')).status).to.equal(400);
      expect((await get(`${h.url}${h.base}?AFTER=yesterday`, 'lister')).status).to.equal(400);
    });
  });

  describe('WAIT', () => {
    it('returns as soon as the phase changes', async () => {
      const { url, id } = await createJob(h, { seconds: '0.5', PHASE: 'RUN' });
      await untilPhase(h.engine, id, ['EXECUTING']);
      const t0 = Date.now();
      const xml = await (await get(`${url}?WAIT=4`)).text();
      const took = Date.now() - t0;
      expect(xml).to.contain('<uws:phase>COMPLETED</uws:phase>');
      expect(took).to.be.below(1500);
    });

    it('returns after WAIT seconds when nothing changes, bounded by the server maximum', async () => {
      const { url } = await createJob(h, { seconds: '0' });
      let t0 = Date.now();
      expect(await (await get(`${url}?WAIT=1`)).text()).to.contain('<uws:phase>PENDING</uws:phase>');
      expect(Date.now() - t0).to.be.within(950, 1800);
      t0 = Date.now();
      await get(`${url}?WAIT=1000`); // the test server's maximum is 5 s
      expect(Date.now() - t0).to.be.within(4900, 6500);
    });

    it('returns at once for a finished job or a PHASE other than the current one, and wakes on RUN', async () => {
      const { url, id } = await createJob(h, { seconds: '0' });
      let t0 = Date.now();
      await get(`${url}?WAIT=3&PHASE=EXECUTING`);
      expect(Date.now() - t0).to.be.below(500);
      const waiting = get(`${url}?WAIT=4&PHASE=PENDING`).then((r) => r.text());
      await new Promise((r) => setTimeout(r, 200));
      t0 = Date.now();
      await postForm(url, { PHASE: 'RUN' });
      expect(await waiting).to.match(/<uws:phase>(QUEUED|EXECUTING|COMPLETED)<\/uws:phase>/);
      expect(Date.now() - t0).to.be.below(1000);
      await untilPhase(h.engine, id, ['COMPLETED']);
      t0 = Date.now();
      await get(`${url}?WAIT=3`);
      expect(Date.now() - t0).to.be.below(500);
      expect((await get(`${url}?WAIT=soon`)).status).to.equal(400);
    });
  });
});
