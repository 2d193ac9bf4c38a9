/** `vodax db create|share|unshare`: databases owned by users, and who else may see them. */
import { createOwnedDatabase, shareDatabase, sharingMatters, unshareDatabase } from '../ingest/user-databases.js';
import { openStorage } from '../server/storage.js';
import { option, parseArgs, rejectUnknown, UsageError } from './args.js';
import type { Command } from './commands.js';

export const dbCommand: Command = {
  usage: [
    '  vodax db create LEVEL NAME --owner USER [--description TEXT]   create an empty database (L3: private to USER)',
    '  vodax db share NAME USER         let USER see a private database',
    '  vodax db unshare NAME USER       stop sharing it with USER',
  ].join('\n'),
  async run(argv, { config, log }) {
    const args = parseArgs(argv);
    const [action, ...rest] = args.positionals;
    const arity: Record<string, number> = { create: 2, share: 2, unshare: 2 };
    if (action === undefined || arity[action] === undefined) throw new UsageError('vodax db needs create, share or unshare');
    if (rest.length !== arity[action]) {
      throw new UsageError(action === 'create' ? 'vodax db create needs LEVEL and NAME' : `vodax db ${action} needs NAME and USER`);
    }
    rejectUnknown(args, action === 'create' ? ['owner', 'description'] : []);
    const owner = action === 'create' ? option(args, 'owner') : '';
    const storage = await openStorage(config, log);
    try {
      if (action === 'create') {
        const [levelText, name] = rest as [string, string];
        const description = args.options.get('description');
        const level = await createOwnedDatabase(storage.db, {
          level: levelText,
          name,
          owner,
          description: typeof description === 'string' ? description : '',
        });
        process.stderr.write(`created ${sharingMatters(level) ? 'private ' : ''}database ${name} at level ${level}, owned by ${owner}\n`);
      } else if (action === 'share') {
        const [name, user] = rest as [string, string];
        const { level, added } = await shareDatabase(storage.db, name, user);
        process.stderr.write(
          `${added ? 'shared' : 'already shared'} ${name} with ${user}` +
            (sharingMatters(level) ? '\n' : ` (note: ${name} is at level ${level}, which everyone can see anyway)\n`),
        );
      } else {
        const [name, user] = rest as [string, string];
        const removed = await unshareDatabase(storage.db, name, user);
        process.stderr.write(removed ? `${name} is no longer shared with ${user}\n` : `${name} was not shared with ${user}\n`);
      }
    } finally {
      await storage.close();
    }
    return 0;
  },
};
