/** Structured logging: one JSON object per line on stderr (or a readable line, or nothing). */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** A logger that writes structured records. */
export interface Logger {
  log(level: LogLevel, msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

/** Make a logger for a format ('json' lines, 'pretty' text, or 'silent'). */
export function createLogger(format: 'json' | 'pretty' | 'silent', out: NodeJS.WritableStream = process.stderr): Logger {
  const log = (level: LogLevel, msg: string, fields: Record<string, unknown> = {}): void => {
    if (format === 'silent') return;
    const time = new Date().toISOString();
    if (format === 'json') {
      out.write(JSON.stringify({ time, level, msg, ...fields }, errorReplacer) + '\n');
    } else {
      const extra = Object.entries(fields)
        .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v, errorReplacer)}`)
        .join(' ');
      out.write(`${time} ${level.toUpperCase()} ${msg}${extra ? ' ' + extra : ''}\n`);
    }
  };
  return {
    log,
    info: (m, f) => log('info', m, f),
    warn: (m, f) => log('warn', m, f),
    error: (m, f) => log('error', m, f),
  };
}

/** JSON.stringify replacer that keeps an Error's message and stack. */
function errorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message, stack: value.stack };
  if (typeof value === 'bigint') return value.toString();
  return value;
}
