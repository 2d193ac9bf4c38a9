/**
 * Fetch an http(s) URL to a file on a user's behalf without becoming a way into the server's
 * own network (SSRF): every host is resolved first and each of its addresses must be public
 * (see addresses.ts) unless the host is allow-listed; the connection goes to the vetted address
 * itself, so a second DNS answer (rebinding) cannot redirect it; redirects are followed by hand
 * and each hop is checked again; size and total time are capped; the body streams to disk.
 */
import dns from 'node:dns';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BadRequestError, LimitExceededError, VodaxError } from '../errors.js';
import { classifyAddress, describeClass } from './addresses.js';

/** One resolved address of a host. */
export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** How a host name becomes addresses: all of them (the operating system's resolver by default). */
export type Resolver = (host: string) => Promise<ResolvedAddress[]>;

export interface SafeFetchOptions {
  /** Most bytes the body may have; more is a LimitExceededError (413). */
  maxBytes: number;
  /** Total time for every hop, headers and body, in milliseconds. */
  timeoutMs: number;
  /** Host names, or host:port, that may be fetched even at non-public addresses (lower case). */
  allowHosts?: readonly string[];
  /** Redirects followed at most. */
  maxRedirects?: number;
  /** Cancels the fetch (the client went away, the job was aborted). */
  signal?: AbortSignal;
  /** Replaces DNS (tests). */
  resolve?: Resolver;
}

/** What was fetched. */
export interface FetchedFile {
  /** The URL that answered, after redirects. */
  url: string;
  bytes: number;
  contentType: string | undefined;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** The operating system's resolver (getaddrinfo: /etc/hosts, then DNS), every address. */
const systemResolver: Resolver = async (host) =>
  (await dns.promises.lookup(host, { all: true, verbatim: true })).map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));

/** Whether `url`'s host (or host:port) is on the allow-list. */
export function hostAllowed(url: URL, allowHosts: readonly string[]): boolean {
  const host = url.hostname.toLowerCase().replace(/\.$/, '');
  const bare = host.replace(/^\[(.*)\]$/, '$1');
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  return allowHosts.some((entry) => {
    const e = entry.trim().toLowerCase();
    return e === host || e === bare || e === `${host}:${port}`;
  });
}

/** Parse and check one hop's URL: http or https, no credentials. */
function parseHop(text: string, base: string | undefined, original: string): URL {
  let url: URL;
  try {
    url = new URL(text, base);
  } catch {
    throw new BadRequestError(`URL ${original}: '${text}' is not a valid URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new BadRequestError(`URL ${original}: only http and https URLs are fetched, not ${url.protocol.replace(/:$/, '')}`);
  }
  if (url.username || url.password) throw new BadRequestError(`URL ${original}: URLs with credentials are not fetched`);
  return url;
}

/** Resolve a hop's host and check every address; answers the addresses to connect to. */
async function vet(url: URL, original: string, options: SafeFetchOptions, signal: AbortSignal): Promise<ResolvedAddress[]> {
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  let addresses: ResolvedAddress[];
  if (net.isIP(host)) {
    addresses = [{ address: host, family: net.isIPv6(host) ? 6 : 4 }];
  } else {
    try {
      addresses = await untilAborted((options.resolve ?? systemResolver)(host), signal);
    } catch (e) {
      if (signal.aborted) throw e;
      throw new BadRequestError(`URL ${original}: cannot resolve host ${host} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    if (addresses.length === 0) throw new BadRequestError(`URL ${original}: host ${host} has no address`);
  }
  if (hostAllowed(url, options.allowHosts ?? [])) return addresses;
  for (const { address } of addresses) {
    const cls = classifyAddress(address);
    if (cls !== 'public') {
      const where = address === host ? `${address} is` : `host ${host} resolves to ${address},`;
      throw new BadRequestError(`URL ${original}: ${where} ${describeClass(cls)}; this server fetches only from public addresses`);
    }
  }
  return addresses;
}

/** A DNS lookup for the connection that answers only the vetted addresses (no second resolution). */
function pinnedLookup(addresses: readonly ResolvedAddress[]): net.LookupFunction {
  return ((_host: string, opts: dns.LookupOptions, cb: (...args: unknown[]) => void) => {
    if (opts.all) cb(null, addresses.map((a) => ({ address: a.address, family: a.family })));
    else cb(null, addresses[0]!.address, addresses[0]!.family);
  }) as net.LookupFunction;
}

/** GET one hop from the vetted addresses; resolves with the response (headers read). */
function request(url: URL, addresses: readonly ResolvedAddress[], signal: AbortSignal): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = (url.protocol === 'https:' ? https : http).request({
      protocol: url.protocol,
      // The name, not the address: it makes the Host header and the TLS server name (SNI).
      hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: url.port || undefined,
      path: url.pathname + url.search,
      method: 'GET',
      headers: { accept: '*/*', 'user-agent': 'vodax (TAP upload)' },
      lookup: pinnedLookup(addresses),
      // No pooled sockets: each hop connects to the address just vetted.
      agent: false,
      signal,
    });
    req.once('response', resolve);
    req.once('error', reject);
    req.end();
  });
}

/** `promise`, or the signal's reason as soon as it aborts. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** Counts bytes through, failing past `max`. */
function byteLimit(max: number, url: string, seen: { bytes: number }): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      seen.bytes += chunk.length;
      if (seen.bytes > max) cb(new LimitExceededError(`URL ${url} is larger than ${max} bytes`));
      else cb(null, chunk);
    },
  });
}

/** Fetch `url` (http or https) into `file`, safely; the file is removed when the fetch fails. */
export async function fetchToFile(url: string, file: string, options: SafeFetchOptions): Promise<FetchedFile> {
  const maxRedirects = options.maxRedirects ?? 5;
  const controller = new AbortController();
  const timedOut = new Error('timed out');
  const timer = setTimeout(() => controller.abort(timedOut), options.timeoutMs);
  const onCallerAbort = () => controller.abort(options.signal!.reason);
  if (options.signal?.aborted) onCallerAbort();
  else options.signal?.addEventListener('abort', onCallerAbort, { once: true });
  const signal = controller.signal;
  try {
    let hop = parseHop(url, undefined, url);
    for (let redirects = 0; ; redirects++) {
      const addresses = await vet(hop, url, options, signal);
      let res: http.IncomingMessage;
      try {
        res = await request(hop, addresses, signal);
      } catch (e) {
        if (signal.aborted) throw e;
        throw new BadRequestError(`URL ${url}: cannot fetch ${hop.href} (${(e as Error).message})`);
      }
      const status = res.statusCode ?? 0;
      if (REDIRECTS.has(status) && res.headers.location) {
        res.resume();
        if (redirects >= maxRedirects) throw new BadRequestError(`URL ${url}: more than ${maxRedirects} redirects`);
        hop = parseHop(res.headers.location, hop.href, url);
        continue;
      }
      if (status < 200 || status > 299) {
        res.resume();
        const at = hop.href === new URL(url).href ? '' : ` (at ${hop.href})`;
        throw new BadRequestError(`URL ${url}: the server answered ${status}${res.statusMessage ? ` ${res.statusMessage}` : ''}${at}`);
      }
      const declared = Number(res.headers['content-length']);
      if (Number.isFinite(declared) && declared > options.maxBytes) {
        res.destroy();
        throw new LimitExceededError(`URL ${url} is larger than ${options.maxBytes} bytes (${declared})`);
      }
      const seen = { bytes: 0 };
      // Opened before the body flows: a stream that opens its file itself may create it after a
      // failure has removed it (the open still pending when the limit is hit).
      const out = await fs.promises.open(file, 'w');
      await pipeline(res, byteLimit(options.maxBytes, url, seen), out.createWriteStream(), { signal });
      return { url: hop.href, bytes: seen.bytes, contentType: res.headers['content-type'] };
    }
  } catch (e) {
    fs.rmSync(file, { force: true });
    if (signal.reason === timedOut) {
      throw new BadRequestError(`URL ${url}: no complete answer within ${options.timeoutMs / 1000} s`);
    }
    if (options.signal?.aborted) {
      // Nobody waits for the answer; a typed error keeps it out of the fault log.
      throw options.signal.reason instanceof VodaxError ? options.signal.reason : new BadRequestError(`URL ${url}: the fetch was cancelled`);
    }
    if (e instanceof VodaxError) throw e;
    // A connection broken while the body streams.
    throw new BadRequestError(`URL ${url}: the transfer failed (${(e as Error).message})`);
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onCallerAbort);
  }
}
