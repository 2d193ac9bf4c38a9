/** `vodax user add|token|revoke|list`: users and their bearer tokens, also while the server runs. */
import { addUser, issueToken, listUsers, revokeTokens } from '../auth/users.js';
import { openStorage } from '../server/storage.js';
import { parseArgs, rejectUnknown, UsageError } from './args.js';
import type { Command } from './commands.js';

export const userCommand: Command = {
  usage: [
    '  vodax user add NAME              create a user; prints a bearer token (shown once)',
    '  vodax user token NAME            issue another token to a user',
    '  vodax user revoke NAME [--token PREFIX]   revoke all of a user\'s tokens, or the one starting with PREFIX',
    '  vodax user list                  users, their active token ids and their databases',
  ].join('\n'),
  async run(argv, { config, log }) {
    const args = parseArgs(argv);
    const [action, name, ...extra] = args.positionals;
    if (extra.length) throw new UsageError(`unexpected argument '${extra[0]}'`);
    rejectUnknown(args, action === 'revoke' ? ['token'] : []);
    if (action !== 'list' && (action === undefined || name === undefined)) {
      throw new UsageError(action ? `vodax user ${action} needs a user NAME` : 'vodax user needs add, token, revoke or list');
    }
    if (!['add', 'token', 'revoke', 'list'].includes(action!)) throw new UsageError(`unknown action 'user ${action}'`);
    const storage = await openStorage(config, log);
    try {
      switch (action) {
        case 'add':
        case 'token': {
          const issued = action === 'add' ? await addUser(storage.db, name!) : await issueToken(storage.db, name!);
          // The token alone on stdout, so scripts can capture it; the advice goes to stderr.
          process.stdout.write(issued.token + '\n');
          process.stderr.write(
            `${action === 'add' ? 'created user' : 'new token for'} ${issued.user} (token id ${issued.id}); ` +
              `this token is shown once: send it as "Authorization: Bearer <token>"\n`,
          );
          break;
        }
        case 'revoke': {
          const prefix = args.options.get('token');
          if (prefix === true) throw new UsageError('--token needs a value');
          const n = await revokeTokens(storage.db, name!, prefix);
          process.stderr.write(`revoked ${n} token(s) of ${name}\n`);
          break;
        }
        case 'list': {
          for (const u of await listUsers(storage.db)) {
            const tokens = u.activeTokens.length ? u.activeTokens.join(' ') : '(no active token)';
            const dbs = u.databases.length ? `  databases: ${u.databases.join(', ')}` : '';
            process.stdout.write(`${u.name}  tokens: ${tokens}${u.revokedTokens ? ` (+${u.revokedTokens} revoked)` : ''}${dbs}\n`);
          }
          break;
        }
      }
    } finally {
      await storage.close();
    }
    return 0;
  },
};
