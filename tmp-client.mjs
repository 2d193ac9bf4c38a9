import http from 'node:http';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
const [url, fmt, how] = process.argv.slice(2);
const Q = 'SELECT TOP 1000000 objectId, ra, decl, uPsfFlux, gPsfFlux, rPsfFlux, iPsfFlux, zPsfFlux, rPsfMag, extendedness FROM DC_W13_Stripe82.Object';
const body = new URLSearchParams({ LANG: 'ADQL', QUERY: Q, RESPONSEFORMAT: fmt, MAXREC: '1000000' }).toString();
let bytes = 0;
const sink = () => new Writable({ write(c, _e, cb) { bytes += c.length; cb(); } });
const t0 = performance.now(); const c0 = process.cpuUsage();
if (how === 'fetch') {
  const res = await fetch(`${url}/db/v0/tap/sync`, { method: 'POST', body: new URLSearchParams({ LANG: 'ADQL', QUERY: Q, RESPONSEFORMAT: fmt, MAXREC: '1000000' }) });
  await pipeline(res.body, sink());
} else {
  await new Promise((resolve, reject) => {
    const req = http.request(`${url}/db/v0/tap/sync`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) } }, (res) => {
      pipeline(res, sink()).then(resolve, reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}
const cpu = process.cpuUsage(c0);
console.log(how, fmt, ((performance.now() - t0) / 1000).toFixed(2), 's', (bytes / 2 ** 20).toFixed(0), 'MiB client cpu', ((cpu.user + cpu.system) / 1e6).toFixed(2));
