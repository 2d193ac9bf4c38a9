/** A real `vodax serve` process for tests of several processes, kill -9 and restarts. */
import path from 'node:path';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { createInterface } from 'node:readline';
import { freePort } from '../../src/system/ports.js';

const CLI = path.join(import.meta.dirname, '..', '..', 'src', 'cli.ts');

/** Run `vodax ARGS` to its end with `env` added (logs silent); resolves with exit code and output. */
export async function runVodax(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--import', 'tsx', CLI, ...args], {
      env: { ...process.env, LOG_FORMAT: 'silent', ...env },
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

/** A running `vodax serve`: the process, its URL, and its exit. */
export interface VodaxProcess {
  child: ChildProcess;
  url: string;
  exited: Promise<number | null>;
}

/** Start `vodax serve` with `env` on a free port; resolves once it listens. */
export async function serveProcess(env: NodeJS.ProcessEnv): Promise<VodaxProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'serve'], {
    env: { ...process.env, ...env, PORT: String(port), LOG_FORMAT: 'json' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const lines: string[] = [];
  const url = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: child.stderr! });
    rl.on('line', (line) => {
      lines.push(line);
      if (lines.length > 50) lines.shift();
      if (line.includes('"vodax listening"')) resolve(JSON.parse(line).url as string);
    });
    void exited.then((code) => reject(new Error(`vodax exited with ${code} before listening:\n${lines.slice(-5).join('\n')}`)));
  });
  return { child, url, exited };
}
