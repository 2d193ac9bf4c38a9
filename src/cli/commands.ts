/** The commands of the `vodax` command line. */
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import { serveCommand } from './serve-command.js';
import { fixturesCommand } from './fixtures.js';
import { adqlCommand } from './adql.js';
import { ingestCommand } from './ingest.js';
import { userCommand } from './users-command.js';
import { dbCommand } from './db.js';
import { hipsCommand } from './hips.js';
import { shardCommand } from './shard.js';

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

/** Every command, by name. */
export const COMMANDS: Record<string, Command> = {
  serve: serveCommand,
  fixtures: fixturesCommand,
  ingest: ingestCommand,
  user: userCommand,
  db: dbCommand,
  adql: adqlCommand,
  hips: hipsCommand,
  shard: shardCommand,
};

/** The usage text listing every command. */
export function usage(): string {
  return `usage: vodax <command> [options]\n\n${Object.values(COMMANDS)
    .map((c) => c.usage)
    .join('\n')}\n\nConfiguration comes from environment variables; see README.md.\n`;
}
