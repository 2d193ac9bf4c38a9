/** The commands of the `vodax` command line. */
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
/** What every command runs with. */
export interface CommandContext {
  config: Config;
  log: Logger;
}

/** A sub-command: its usage lines and its implementation. */
export interface Command {
  usage: string;
  /** Run; resolves to the exit code, or -1 to keep the process running (serve). */
  run(argv: string[], ctx: CommandContext): Promise<number>;
}

/**
 * Every command, by name, loaded when it runs: a command imports only what it needs (ingest
 * started in 0.3 s loading the server's modules too; the usage text loads them all).
 */
export const COMMANDS: Record<string, () => Promise<Command>> = {
  serve: async () => (await import('./serve-command.js')).serveCommand,
  fixtures: async () => (await import('./fixtures.js')).fixturesCommand,
  ingest: async () => (await import('./ingest.js')).ingestCommand,
  user: async () => (await import('./users-command.js')).userCommand,
  db: async () => (await import('./db.js')).dbCommand,
  adql: async () => (await import('./adql.js')).adqlCommand,
  hips: async () => (await import('./hips.js')).hipsCommand,
  shard: async () => (await import('./shard.js')).shardCommand,
};

/** The usage text listing every command. */
export async function usage(): Promise<string> {
  const commands = await Promise.all(Object.values(COMMANDS).map((load) => load()));
  return `usage: vodax <command> [options]\n\n${commands.map((c) => c.usage).join('\n')}\n\nConfiguration comes from environment variables; see README.md.\n`;
}
