/**
 * Request limits: size checks that answer before any work (413, 400), and admission: a number
 * of requests served at once per caller and in total, a bounded wait queue, then 503 with
 * Retry-After. A slot is held until the answer has been sent, streamed bodies included.
 */
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import type { Context, Next } from 'koa';
import type { Limits } from '../config.js';
import { BadRequestError, HeadersTooLargeError, LimitExceededError, RequestTimeoutError, UnavailableError, UriTooLongError } from '../errors.js';
import { renderError } from './error-style.js';
import { statusOf } from './error-table.js';

/** The limits the request checks use (what the request reader may read is read-request.ts's RequestLimits). */
export type RequestCheckLimits = Pick<Limits, 'uploadBytes' | 'queryStringChars' | 'maxParameters' | 'headerBytes' | 'requestIdleTimeout'>;

/** The limits admission uses. */
export type AdmissionLimits = Pick<Limits, 'concurrentRequests' | 'concurrentRequestsPerCaller' | 'requestQueue' | 'requestQueueWait'>;

/**
 * Cheap checks before anything else runs: header size (431), declared body size (413),
 * query-string length (414) and parameter count (400), a path that does not decode (400); and
 * a body that stops arriving (408 after the idle timeout).
 */
export function requestLimits(limits: RequestCheckLimits) {
  return async (ctx: Context, next: Next): Promise<void> => {
    const headerBytes = ctx.req.rawHeaders.reduce((n, h) => n + h.length + 2, 0);
    if (headerBytes > limits.headerBytes) {
      ctx.set('Connection', 'close');
      throw new HeadersTooLargeError(`the request headers (${headerBytes} bytes) are larger than the limit of ${limits.headerBytes} bytes`);
    }
    watchBodyIdle(ctx, limits.requestIdleTimeout * 1000);
    const declared = ctx.get('content-length');
    if (declared !== '' && Number(declared) > limits.uploadBytes) {
      // The body is not read: close the connection after answering rather than drain it.
      ctx.set('Connection', 'close');
      throw new LimitExceededError(`the request body (${declared} bytes) is larger than the limit of ${limits.uploadBytes} bytes`);
    }
    const qs = ctx.querystring;
    if (qs.length > limits.queryStringChars) {
      ctx.set('Connection', 'close');
      throw new UriTooLongError(`the query string (${qs.length} characters) is longer than ${limits.queryStringChars}; send long requests as POST`);
    }
    const count = parameterCount(qs);
    if (count > limits.maxParameters) throw new BadRequestError(`too many parameters (${count}; at most ${limits.maxParameters})`);
    try {
      // Only a % can make a percent-encoding malformed ('+' decodes to nothing that could fail).
      if (ctx.path.includes('%')) decodeURIComponent(ctx.path);
      if (qs.includes('%')) decodeURIComponent(qs);
    } catch {
      throw new BadRequestError('the request URL holds a malformed percent-encoding');
    }
    await next();
  };
}

/** The non-empty `&`-separated parameters of a query string, counted without splitting it. */
function parameterCount(qs: string): number {
  let count = 0;
  let start = 0;
  for (;;) {
    const end = qs.indexOf('&', start);
    const stop = end < 0 ? qs.length : end;
    if (stop > start) count++;
    if (end < 0) return count;
    start = end + 1;
  }
}

/**
 * A client that goes silent in the middle of its body (fewer bytes than its Content-Length, a
 * chunked body that stops) gets a 408 after `ms` of silence, and its connection is closed, which
 * ends every reader waiting for the body. Node emits 'timeout' on the request only while it is
 * incomplete; once the body has ended the socket's timer is cleared, so a long answer is never cut.
 */
function watchBodyIdle(ctx: Context, ms: number): void {
  const req = ctx.req;
  if (req.complete || (ctx.get('content-length') === '' && ctx.get('transfer-encoding') === '') || ctx.get('content-length') === '0') return;
  const socket = req.socket;
  const clear = () => socket.setTimeout(0);
  req.setTimeout(ms, () => {
    clear();
    const error = new RequestTimeoutError(`the request body stopped arriving (nothing for ${ms / 1000} s)`);
    // The request is destroyed too: once its answer is sent Node no longer ends it with the
    // socket, and whatever waits for the rest of the body would wait for ever.
    const cut = () => {
      req.destroy(error);
      socket.destroy();
    };
    const res = ctx.res;
    if (!res.headersSent && !res.writableEnded) {
      const { type, body } = renderError(error, ctx);
      res.writeHead(statusOf(error), { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), Connection: 'close' });
      res.end(body, cut);
    } else {
      cut();
    }
  });
  req.once('end', clear);
  ctx.res.once('close', clear);
}

/**
 * A request body stream that fails with a 413 once more than `maxBytes` have come, for bodies
 * sent without Content-Length (chunked). Consumers of request bodies read this, not ctx.req.
 */
export function limitedBody(ctx: Context, maxBytes: number): Readable {
  let seen = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback) {
      seen += chunk.length;
      if (seen > maxBytes) {
        ctx.set('Connection', 'close');
        done(new LimitExceededError(`the request body is larger than the limit of ${maxBytes} bytes`));
        return;
      }
      done(null, chunk);
    },
  });
  ctx.req.on('error', (e) => counter.destroy(e));
  return ctx.req.pipe(counter);
}

/** A counting semaphore with a bounded FIFO of waiters. */
export class Gate {
  private active = 0;
  private readonly waiters: Array<() => void> = [];

  constructor(
    readonly capacity: number,
    readonly queueCapacity: number,
  ) {}

  /** Requests holding a slot now. */
  get busy(): number {
    return this.active;
  }

  /** Requests waiting now. */
  get queued(): number {
    return this.waiters.length;
  }

  /** True when nothing holds or waits for a slot. */
  get idle(): boolean {
    return this.active === 0 && this.waiters.length === 0;
  }

  /**
   * Take a slot: at once when free, else after waiting up to `waitMs` in the queue. Resolves to
   * false when the queue is full, the wait timed out, or the signal `gone` gives aborted (the
   * client left): asked for only when a wait begins, so a free slot costs no AbortSignal.
   */
  enter(waitMs: number, gone?: () => AbortSignal): Promise<boolean> {
    if (this.active < this.capacity) {
      this.active++;
      return Promise.resolve(true);
    }
    const signal = gone?.();
    if (this.waiters.length >= this.queueCapacity || waitMs <= 0 || signal?.aborted) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      const give = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', quit);
        resolve(true);
      };
      const quit = () => {
        const i = this.waiters.indexOf(give);
        if (i >= 0) this.waiters.splice(i, 1);
        clearTimeout(timer);
        signal?.removeEventListener('abort', quit);
        resolve(false);
      };
      const timer = setTimeout(quit, waitMs);
      signal?.addEventListener('abort', quit, { once: true });
      this.waiters.push(give);
    });
  }

  /** Give a slot back; the first waiter, if any, takes it over. */
  leave(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.active = Math.max(0, this.active - 1);
  }
}

/**
 * Admission control, after authentication (the caller is a user, or the client address when
 * anonymous): a per-caller gate, then the global one, each with a bounded wait queue.
 */
export function admission(limits: AdmissionLimits) {
  const total = new Gate(limits.concurrentRequests, limits.requestQueue);
  const callers = new Map<string, Gate>();
  const waitMs = limits.requestQueueWait * 1000;
  const retryAfter = Math.max(1, Math.ceil(limits.requestQueueWait / 2));
  return async (ctx: Context, next: Next): Promise<void> => {
    const user = ctx.state.user as string | undefined;
    const key = user !== undefined ? `user:${user}` : `addr:${ctx.ip}`;
    let mine = callers.get(key);
    if (!mine) {
      mine = new Gate(limits.concurrentRequestsPerCaller, Math.min(limits.requestQueue, limits.concurrentRequestsPerCaller * 4));
      callers.set(key, mine);
    }
    // Made only when a gate makes the request wait (most never do).
    let gone: AbortController | null = null;
    let closed = false;
    const onClose = () => {
      closed = true;
      gone?.abort();
    };
    const goneSignal = () => {
      gone ??= new AbortController();
      if (closed) gone.abort();
      return gone.signal;
    };
    ctx.res.once('close', onClose);
    const callerGate = mine;
    const forget = () => {
      if (callerGate.idle && callers.get(key) === callerGate) callers.delete(key);
    };
    if (!(await callerGate.enter(waitMs, goneSignal))) {
      ctx.res.off('close', onClose);
      forget();
      throw new UnavailableError(`too many requests at once from this caller (at most ${limits.concurrentRequestsPerCaller}); retry later`, retryAfter);
    }
    if (!(await total.enter(waitMs, goneSignal))) {
      callerGate.leave();
      ctx.res.off('close', onClose);
      forget();
      throw new UnavailableError('the server is busy; retry later', retryAfter);
    }
    ctx.res.off('close', onClose);
    // Held until the answer is sent (or the client goes away), streamed bodies included.
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      total.leave();
      callerGate.leave();
      forget();
    };
    if (ctx.res.writableFinished || ctx.res.destroyed) release();
    else ctx.res.once('close', release);
    await next();
  };
}
