/** Configuration of vodax, read once from the environment (SPEC section 2). */
import path from 'node:path';

/** Every setting vodax reads; see README "Configuration". */
export interface Config {
  port: number;
  host: string;
  /** External PostgreSQL; null means the embedded server under DATA_DIR/pg. */
  databaseUrl: string | null;
  dataDir: string;
  /** Base for absolute links; null means derived from each request. */
  publicUrl: string | null;
  /** Port of the embedded PostgreSQL. */
  embeddedPgPort: number;
  limits: Limits;
  /** Log format: 'json' lines or 'pretty'; 'silent' for tests. */
  logFormat: 'json' | 'pretty' | 'silent';
  /** Server processes `vodax serve` runs (node:cluster) on the one port and database. */
  workers: number;
}

/** Service limits; seconds unless stated. */
export interface Limits {
  defaultMaxrec: number;
  hardMaxrec: number;
  syncTimeout: number;
  asyncDefaultDuration: number;
  asyncMaxDuration: number;
  destructionDays: number;
  concurrentQueries: number;
  uploadBytes: number;
  uploadRows: number;
  /** Whether TAP UPLOAD may name http(s) URLs, which the server then fetches (public addresses only). */
  uploadUrls: boolean;
  /** Hosts (name, or name:port) URL uploads may fetch from even at loopback or private addresses. */
  uploadUrlHosts: readonly string[];
  poolSize: number;
  /** Longest query string accepted (characters); longer is a 414. */
  queryStringChars: number;
  /** Most parameters a request may carry (query string and form body); more is a 400. */
  maxParameters: number;
  /** Requests served at once, all callers together; more wait in the queue. */
  concurrentRequests: number;
  /** Requests served at once for one caller (a user, or an anonymous client address). */
  concurrentRequestsPerCaller: number;
  /** Requests that may wait for a slot; beyond, or after requestQueueWait, a 503 with Retry-After. */
  requestQueue: number;
  /** Seconds a request may wait in the queue. */
  requestQueueWait: number;
  /** Most tables one user may hold in their L3 databases (user tables over HTTP). */
  userTablesMax: number;
  /** Seconds a client may go silent while sending its request (headers or body); then 408. */
  requestIdleTimeout: number;
  /** Largest header block (request line and headers, bytes); a longer URL is a 414, longer headers a 431. */
  headerBytes: number;
  /** Seconds a stopping server gives running requests before it cuts them. */
  shutdownGrace: number;
}

/** Parse a positive integer setting, or fail naming the variable. */
function int(env: NodeJS.ProcessEnv, name: string, fallback: number, min = 0): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) {
    throw new Error(`configuration: ${name} must be an integer >= ${min}, got '${raw}'`);
  }
  return n;
}

/** Parse a true/false setting, or fail naming the variable. */
function bool(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw new Error(`configuration: ${name} must be true or false, got '${raw}'`);
}

/** Parse a comma-separated list of host names or host:port (IPv6 in brackets), lower-cased. */
function hosts(env: NodeJS.ProcessEnv, name: string): readonly string[] {
  const entries = (env[name] ?? '').split(',').map((h) => h.trim().toLowerCase()).filter((h) => h !== '');
  for (const h of entries) {
    if (!/^(\[[0-9a-f:.]+\]|[a-z0-9_.-]+)(:\d{1,5})?$/.test(h)) {
      throw new Error(`configuration: ${name} must list host names or host:port, separated by commas; '${h}' is neither`);
    }
  }
  return Object.freeze(entries);
}

/** Read the configuration from an environment (process.env by default). */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const dataDir = path.resolve(env.DATA_DIR || './var');
  const logFormat = env.LOG_FORMAT === 'pretty' || env.LOG_FORMAT === 'silent' ? env.LOG_FORMAT : 'json';
  const publicUrl = env.PUBLIC_URL ? env.PUBLIC_URL.replace(/\/+$/, '') : null;
  if (publicUrl !== null && !/^https?:\/\//.test(publicUrl)) {
    throw new Error(`configuration: PUBLIC_URL must start with http:// or https://, got '${publicUrl}'`);
  }
  return Object.freeze({
    port: int(env, 'PORT', 8080),
    host: env.HOST || '127.0.0.1',
    databaseUrl: env.DATABASE_URL || null,
    dataDir,
    publicUrl,
    embeddedPgPort: int(env, 'EMBEDDED_PG_PORT', 54329, 1),
    logFormat,
    workers: int(env, 'WORKERS', 1, 1),
    limits: Object.freeze({
      defaultMaxrec: int(env, 'MAXREC_DEFAULT', 100_000, 0),
      hardMaxrec: int(env, 'MAXREC_HARD', 50_000_000, 1),
      syncTimeout: int(env, 'SYNC_TIMEOUT', 600, 1),
      asyncDefaultDuration: int(env, 'ASYNC_DURATION_DEFAULT', 3600, 1),
      asyncMaxDuration: int(env, 'ASYNC_DURATION_MAX', 86_400, 1),
      destructionDays: int(env, 'DESTRUCTION_DAYS', 7, 1),
      concurrentQueries: int(env, 'CONCURRENT_QUERIES', 8, 1),
      uploadBytes: int(env, 'UPLOAD_MAX_BYTES', 100 * 1024 * 1024, 1),
      uploadRows: int(env, 'UPLOAD_MAX_ROWS', 1_000_000, 1),
      // On by default: TAPRegExt makes upload-http mandatory for a service that takes uploads.
      uploadUrls: bool(env, 'UPLOAD_URLS', true),
      uploadUrlHosts: hosts(env, 'UPLOAD_URL_HOSTS'),
      poolSize: int(env, 'DB_POOL_SIZE', 20, 2),
      queryStringChars: int(env, 'QUERY_STRING_MAX_CHARS', 16_384, 256),
      maxParameters: int(env, 'PARAMETERS_MAX', 200, 10),
      concurrentRequests: int(env, 'CONCURRENT_REQUESTS', 64, 1),
      concurrentRequestsPerCaller: int(env, 'CONCURRENT_REQUESTS_PER_CALLER', 16, 1),
      requestQueue: int(env, 'REQUEST_QUEUE', 256, 0),
      requestQueueWait: int(env, 'REQUEST_QUEUE_WAIT', 10, 0),
      userTablesMax: int(env, 'USER_TABLES_MAX', 100, 0),
      requestIdleTimeout: int(env, 'REQUEST_IDLE_TIMEOUT', 15, 1),
      headerBytes: int(env, 'HEADERS_MAX_BYTES', 16_384, 1024),
      shutdownGrace: int(env, 'SHUTDOWN_GRACE', 3, 0),
    }),
  });
}
