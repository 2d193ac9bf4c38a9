#!/usr/bin/env node
/** The `vodax` command line: serve, fixtures, ingest (SPEC section 7). */
import { loadConfig } from './config.js';
import { createLogger } from './log.js';
import { UsageError } from './cli/args.js';
import { COMMANDS, usage } from './cli/commands.js';
import { isVodaxError } from './errors.js';

/** Run one command line; returns the process exit code. */
async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === 'help') {
    process.stdout.write(await usage());
    return name ? 0 : 2;
  }
  const load = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!load) {
    process.stderr.write(`vodax: unknown command '${name}'\n\n${await usage()}`);
    return 2;
  }
  const command = await load();
  const config = loadConfig();
  const log = createLogger(config.logFormat === 'json' && name !== 'serve' ? 'pretty' : config.logFormat);
  try {
    return await command.run(rest, { config, log });
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`vodax ${name}: ${e.message}\n\n${await usage()}`);
      return 2;
    }
    if (isVodaxError(e)) {
      process.stderr.write(`vodax ${name}: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== -1) process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`vodax: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 1;
  },
);
