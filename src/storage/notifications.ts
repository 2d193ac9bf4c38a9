/**
 * LISTEN on a channel of the database, on a session of its own (a pooled one would be handed to
 * queries). The session reconnects after a failure; notifications sent while it was down are
 * lost, so `onReconnect` lets the listener look again at whatever it follows.
 */
import pg from 'pg';
import type { Logger } from '../log.js';
import type { Database } from './database.js';

/** A running listener. */
export interface Listener {
  /** Resolves once the first LISTEN is in place (or has failed: the listener retries). */
  readonly ready: Promise<void>;
  close(): Promise<void>;
}

/** What a listener does with what it hears. */
export interface ListenHandlers {
  onPayload(payload: string): void;
  /** After a reconnection (not the first connection): notifications may have been missed. */
  onReconnect?(): void;
}

/** Channel names are identifiers we choose; quoting keeps them one. */
function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Listen on `channel` until close(); `retryMs` between reconnection attempts. */
export function listen(db: Database, channel: string, handlers: ListenHandlers, log: Logger, retryMs = 1000): Listener {
  let client: pg.Client | null = null;
  let closed = false;
  let connections = 0;
  let retry: NodeJS.Timeout | null = null;
  let markReady!: () => void;
  const ready = new Promise<void>((resolve) => (markReady = resolve));

  const connect = async (): Promise<void> => {
    if (closed) return;
    const c = new pg.Client(db.sessionConfig);
    client = c;
    let failed = false;
    const fail = (e: unknown) => {
      if (failed) return;
      failed = true;
      c.removeAllListeners('notification');
      void c.end().catch(() => {});
      if (closed) return;
      log.warn('database notifications lost; reconnecting', { channel, error: (e as Error).message });
      retry = setTimeout(() => void connect(), retryMs);
      retry.unref();
    };
    c.on('error', fail);
    c.on('end', () => fail(new Error('the session ended')));
    c.on('notification', (n) => {
      if (n.channel === channel && n.payload !== undefined) handlers.onPayload(n.payload);
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${quoteIdent(channel)}`);
      if (closed) {
        await c.end().catch(() => {});
        return;
      }
      if (connections++ > 0) handlers.onReconnect?.();
      markReady();
    } catch (e) {
      markReady();
      fail(e);
    }
  };
  void connect();

  return {
    ready,
    close: async () => {
      closed = true;
      if (retry) clearTimeout(retry);
      const c = client;
      client = null;
      if (c) {
        c.removeAllListeners('end');
        c.removeAllListeners('notification');
        await c.end().catch(() => {});
      }
    },
  };
}
