/**
 * This process among the vodax processes sharing one database. Each has an id; its connections
 * carry `application_name = 'vodax:<id>'` and it keeps a heartbeat row in vodax.instances.
 * A vodax killed outright (kill -9, a lost machine) leaves its queries running in PostgreSQL:
 * a server does not notice a vanished client until it next writes to it, which a long query
 * may not do for hours. So every instance, at start and with each beat, ends the sessions of
 * instances that are gone, and never those of a live one:
 *  - on this machine (same boot, same pid namespace), an instance is gone when its process is;
 *  - elsewhere, when its heartbeat is older than `staleMs`;
 *  - a session naming an instance with no row is left alone while younger than `staleMs`
 *    (its instance may be starting), and ended after.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import type { Logger } from '../log.js';
import type { Database } from './database.js';
import { isAlive } from '../system/processes.js';

const APPLICATION_PREFIX = 'vodax:';
// The migrations' lock: the table is made by whichever process gets there first, one at a time.
const SCHEMA_LOCK = 774411;

/** A new instance id. */
export function newInstanceId(): string {
  return crypto.randomUUID();
}

/** The application_name of an instance's connections. */
export function applicationName(instanceId: string): string {
  return APPLICATION_PREFIX + instanceId;
}

/** How often to beat, and when a heartbeat is too old. */
export interface InstanceOptions {
  log: Logger;
  /** Milliseconds between heartbeats (default 5000). */
  beatMs?: number;
  /** A heartbeat older than this marks an instance elsewhere as gone (default three beats). */
  staleMs?: number;
}

/** A registered instance. */
export interface Instance {
  readonly id: string;
  /** End the sessions of gone instances and remove their rows now; answers the sessions ended. */
  sweep(): Promise<number>;
  /** Stop the heartbeat and remove this instance's row. */
  stop(): Promise<void>;
}

/** Where a pid means a process: the boot and the pid namespace (null where unknown, not Linux). */
interface ProcessPlace {
  machine: string | null;
  pidStart: string | null;
}

interface InstanceRow extends Record<string, unknown> {
  id: string;
  pid: number;
  machine: string | null;
  pid_start: string | null;
  stale: boolean;
}

/**
 * Register `id` on `db` (whose connections must carry applicationName(id)), end the sessions of
 * gone instances, and beat until stop().
 */
export async function startInstance(db: Database, id: string, options: InstanceOptions): Promise<Instance> {
  const { log } = options;
  const beatMs = options.beatMs ?? 5000;
  const staleMs = options.staleMs ?? 3 * beatMs;
  const self = processPlace(process.pid);
  await db.transaction(async (client) => {
    await client.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK]);
    await client.query('CREATE SCHEMA IF NOT EXISTS vodax');
    await client.query(`CREATE TABLE IF NOT EXISTS vodax.instances (
      id         text PRIMARY KEY,
      pid        integer NOT NULL,
      host       text NOT NULL,
      machine    text,
      pid_start  text,
      started_at timestamptz NOT NULL DEFAULT now(),
      beat_at    timestamptz NOT NULL DEFAULT now()
    )`);
  });

  /** Insert or refresh our row; true when it had to be inserted. */
  const beat = async (): Promise<boolean> => {
    const [row] = await db.query<{ inserted: boolean }>(
      `INSERT INTO vodax.instances (id, pid, host, machine, pid_start) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (id) DO UPDATE SET beat_at = now() RETURNING (xmax = 0) AS inserted`,
      [id, process.pid, os.hostname(), self.machine, self.pidStart],
    );
    return row!.inserted;
  };

  const sweep = async (): Promise<number> => {
    const rows = await db.query<InstanceRow>(
      `SELECT id, pid, machine, pid_start, beat_at < now() - make_interval(secs => $2) AS stale
         FROM vodax.instances WHERE id <> $1`,
      [id, staleMs / 1000],
    );
    const gone = new Set(rows.filter((r) => isGone(r, self)).map((r) => r.id));
    const known = new Set(rows.map((r) => r.id));
    const sessions = await db.query<{ pid: number; application_name: string; old: boolean }>(
      `SELECT pid, application_name, backend_start < now() - make_interval(secs => $2) AS old
         FROM pg_stat_activity
        WHERE datname = current_database() AND starts_with(application_name, $3) AND application_name <> $1`,
      [applicationName(id), staleMs / 1000, APPLICATION_PREFIX],
    );
    let ended = 0;
    for (const s of sessions) {
      const owner = s.application_name.slice(APPLICATION_PREFIX.length);
      if (!gone.has(owner) && (known.has(owner) || !s.old)) continue;
      try {
        const [r] = await db.query<{ ok: boolean }>('SELECT pg_terminate_backend($1) AS ok', [s.pid]);
        if (r!.ok) ended++;
      } catch (e) {
        // Not ours to end (another role, no pg_signal_backend): an administrator must.
        log.warn('could not end a session of a vodax that is gone', { pid: s.pid, instance: owner, error: (e as Error).message });
      }
    }
    if (gone.size) await db.query('DELETE FROM vodax.instances WHERE id = ANY($1)', [[...gone]]);
    if (ended) log.warn('ended the database sessions of vodax processes that are gone', { sessions: ended, instances: [...gone] });
    return ended;
  };

  await beat();
  await sweep();
  let failing = false;
  let running: Promise<void> | null = null;
  const tick = () => {
    if (running) return;
    running = (async () => {
      try {
        // Our row gone means another instance took us for dead (our beats were late).
        if (await beat()) log.warn('this vodax was taken for gone by another one (late heartbeats); registered again', { instance: id });
        await sweep();
        if (failing) log.info('heartbeat works again', { instance: id });
        failing = false;
      } catch (e) {
        if (!failing) log.warn('heartbeat failed; retrying with each beat', { instance: id, error: (e as Error).message });
        failing = true;
      } finally {
        running = null;
      }
    })();
  };
  const timer = setInterval(tick, beatMs);
  // The heartbeat alone must not keep a finished process alive.
  timer.unref();
  let stopped: Promise<void> | null = null;
  return {
    id,
    sweep,
    stop: () =>
      (stopped ??= (async () => {
        clearInterval(timer);
        await running;
        await db.query('DELETE FROM vodax.instances WHERE id = $1', [id]).catch(() => {});
      })()),
  };
}

/** True when the instance of `row` is gone, judged from `self`'s place. */
export function isGone(row: { pid: number; machine: string | null; pid_start: string | null; stale: boolean }, self: ProcessPlace): boolean {
  if (row.machine !== null && row.machine === self.machine) return !processRunning(row.pid, row.pid_start);
  return row.stale;
}

/** True when process `pid` runs here and, if its start time is known, is the one started then. */
function processRunning(pid: number, pidStart: string | null): boolean {
  if (!isAlive(pid)) return false;
  const now = processPlace(pid).pidStart;
  // A reused pid belongs to a process started at another time.
  return pidStart === null || now === null || now === pidStart;
}

/** The boot and pid namespace of this machine, and the start time of process `pid` (Linux /proc). */
function processPlace(pid: number): ProcessPlace {
  let machine: string | null = null;
  let pidStart: string | null = null;
  try {
    const boot = fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    machine = `${boot}/${fs.readlinkSync('/proc/self/ns/pid')}`;
  } catch {
    machine = null;
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22, start time in clock ticks since boot; fields after the ')' of the name start at 3.
    pidStart = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    pidStart = null;
  }
  return { machine, pidStart };
}
