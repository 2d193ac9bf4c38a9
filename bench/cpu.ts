/**
 * Where a load test's CPU goes, from Linux's /proc: the whole machine, the vodax server, the
 * PostgreSQL server (its postmaster, every backend alive, and those it has reaped) and this
 * process (the load generator). On two cores shared by all three, a rate is bounded by the
 * CPU each request costs them together, and this says by how much.
 */
import fs from 'node:fs';
import { execFileSync } from 'node:child_process';

/** CPU seconds used so far, per part; null where /proc cannot say (not Linux, a remote database). */
export interface CpuSnapshot {
  machine: number | null;
  server: number | null;
  database: number | null;
  client: number;
}

/** Clock ticks per second of /proc's times. */
function clockTicks(): number {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
}

/** The fields of /proc/<pid>/stat after the command name (which may hold spaces), or null. */
function statFields(pid: number | string): string[] | null {
  try {
    const text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/** Busy time of all cores (everything but idle and iowait), in ticks, or null. */
function machineTicks(): number | null {
  try {
    const cpu = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const total = cpu.slice(0, 8).reduce((a, b) => a + b, 0);
    return total - cpu[3]! - cpu[4]!;
  } catch {
    return null;
  }
}

/** utime + stime of a process (fields 14 and 15 of stat), with its reaped children's when asked. */
function processTicks(fields: string[], withReaped: boolean): number {
  const [utime, stime, cutime, cstime] = [11, 12, 13, 14].map((i) => Number(fields[i]));
  return utime! + stime! + (withReaped ? cutime! + cstime! : 0);
}

/** The postmaster of a backend (its parent), or null when the backend is not on this machine. */
export function postmasterOf(backendPid: number): number | null {
  const fields = statFields(backendPid);
  return fields ? Number(fields[1]) : null;
}

/** Snapshots of the CPU used by the machine, `serverPid` and the PostgreSQL server of `postmasterPid`. */
export function cpuMeter(serverPid: number | undefined, postmasterPid: number | null): () => CpuSnapshot {
  const hz = clockTicks();
  const seconds = (ticks: number | null) => (ticks === null ? null : ticks / hz);
  const database = (): number | null => {
    if (postmasterPid === null) return null;
    const own = statFields(postmasterPid);
    if (!own) return null;
    let ticks = processTicks(own, true);
    for (const entry of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      const f = statFields(entry);
      if (f && Number(f[1]) === postmasterPid) ticks += processTicks(f, false);
    }
    return ticks;
  };
  return () => {
    const server = serverPid === undefined ? null : statFields(serverPid);
    const usage = process.cpuUsage();
    return {
      machine: seconds(machineTicks()),
      server: server ? seconds(processTicks(server, true)) : null,
      database: seconds(database()),
      client: (usage.user + usage.system) / 1e6,
    };
  };
}

/** Milliseconds of CPU per request between two snapshots, per part (null where unknown). */
export function cpuPerRequest(before: CpuSnapshot, after: CpuSnapshot, requests: number): Record<keyof CpuSnapshot, number | null> {
  const per = (a: number | null, b: number | null) => (a === null || b === null || requests === 0 ? null : ((b - a) * 1000) / requests);
  return {
    machine: per(before.machine, after.machine),
    server: per(before.server, after.server),
    database: per(before.database, after.database),
    client: per(before.client, after.client),
  };
}
