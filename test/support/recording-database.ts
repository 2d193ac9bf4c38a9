/**
 * A Database whose connections record the text of every message they send (round trips, in
 * order), calling `onSend` with each before it goes.
 */
import type { Database } from '../../src/storage/database.js';

export function recordingDatabase(db: Database, onSend?: (text: string) => void): { db: Database; statements: string[] } {
  const statements: string[] = [];
  const recording = new Proxy(db, {
    get: (target, key) => {
      if (key !== 'connect') return Reflect.get(target, key);
      return async () => {
        const client = await target.connect();
        return new Proxy(client, {
          get: (c, k) => {
            const v = Reflect.get(c, k);
            if (k !== 'query' || typeof v !== 'function') return typeof v === 'function' ? v.bind(c) : v;
            return (q: unknown, ...rest: unknown[]) => {
              const text = typeof q === 'string' ? q : String((q as { text?: string }).text ?? '(COPY)');
              statements.push(text);
              onSend?.(text);
              return (v as (...a: unknown[]) => unknown).call(c, q, ...rest);
            };
          },
        });
      };
    },
  });
  return { db: recording, statements };
}
