/**
 * Clients that misbehave, for the chaos tests: they cut a download at a chosen byte or moment,
 * send bodies that stop, and send raw bytes that no well-behaved client would. Loopback only.
 */
import http from 'node:http';
import net from 'node:net';

/** How a request ends: the status seen (if any), the bytes read, and whether we cut it. */
export interface CutResult {
  status: number | null;
  bytes: number;
  cut: boolean;
}

/**
 * Send a request and cut the connection after `afterBytes` bytes of the answer's body, or after
 * `afterMs` milliseconds, whichever comes first; an answer shorter than that ends normally.
 */
export function cutRequest(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string | Buffer; afterBytes?: number; afterMs?: number },
): Promise<CutResult> {
  return new Promise((resolve) => {
    let status: number | null = null;
    let bytes = 0;
    let settled = false;
    const done = (cut: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ status, bytes, cut });
    };
    const req = http.request(url, { method: options.method ?? 'GET', headers: options.headers, agent: false }, (res) => {
      status = res.statusCode ?? null;
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        if (options.afterBytes !== undefined && bytes >= options.afterBytes) {
          req.destroy();
          done(true);
        }
      });
      res.on('end', () => done(false));
      res.on('error', () => done(true));
      res.on('close', () => done(!res.complete));
    });
    req.on('error', () => done(true));
    const timer = options.afterMs !== undefined ? setTimeout(() => (req.destroy(), done(true)), options.afterMs) : undefined;
    req.end(options.body);
  });
}

/** Raw bytes to a server; answers what came back (up to `maxBytes`) once it closes or `ms` pass. */
export function rawExchange(port: number, bytes: Buffer | string, ms = 5000, maxBytes = 1 << 20): Promise<{ answer: string; reset: boolean }> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let size = 0;
    let reset = false;
    const finish = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ answer: Buffer.concat(chunks).toString('latin1'), reset });
    };
    const timer = setTimeout(finish, ms);
    socket.on('data', (c: Buffer) => {
      if (size < maxBytes) chunks.push(c);
      size += c.length;
    });
    socket.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ECONNRESET' || e.code === 'EPIPE') reset = true;
    });
    socket.on('close', finish);
    socket.write(bytes);
  });
}

/** Run `fn` over `items` with at most `width` at once. */
export async function inParallel<T, R>(items: readonly T[], width: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
  return out;
}

/** Poll `check` until it answers true or `ms` pass; answers its last value. */
export async function eventually(check: () => Promise<boolean> | boolean, ms = 5000, step = 100): Promise<boolean> {
  const end = Date.now() + ms;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, step));
  }
}
