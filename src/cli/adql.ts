/**
 * `vodax adql check [FILE] [--whole]`: lint ADQL (syntax only, no database), one query per line
 * (or the whole input as one query); `vodax adql translate [--maxrec N] [--user U] QUERY`:
 * the PostgreSQL a query becomes, against the configured database's catalog.
 */
import fs from 'node:fs';
import { parseAdql } from '../adql/parser.js';
import { validate } from '../adql/validator.js';
import { translate } from '../adql/translator.js';
import { loadCatalog } from '../registry/catalog.js';
import { openStorage } from '../server/storage.js';
import { QuerySyntaxError } from '../errors.js';
import { intOption, parseArgs, rejectUnknown, UsageError } from './args.js';
import type { Command } from './commands.js';

/** One checked query: where it starts in the input, and VALID or its error. */
export interface CheckResult {
  /** 1-based input line where the query starts. */
  line: number;
  ok: boolean;
  /** `VALID`, or the error with line and column in the input. */
  message: string;
}

/**
 * Check ADQL text: every non-blank line is a query (lines holding only a `--` comment are
 * skipped), or with `whole` the text is one query. Positions are reported in the input.
 */
export function checkAdql(text: string, whole: boolean): CheckResult[] {
  const queries = whole
    ? [{ line: 1, text }]
    : text
        .split(/\r?\n/)
        .map((t, i) => ({ line: i + 1, text: t }))
        .filter((q) => q.text.trim() !== '' && !q.text.trim().startsWith('--'));
  return queries.map((q) => {
    try {
      // Without a catalog: names of tables and columns are taken as written, all else is
      // checked as the server checks it (functions, types, geometry), so the two agree.
      validate(parseAdql(q.text), null);
      return { line: q.line, ok: true, message: 'VALID' };
    } catch (e) {
      if (!(e instanceof QuerySyntaxError)) throw e;
      return { line: q.line, ok: false, message: `line ${q.line + e.line - 1}, column ${e.column}: ${e.detail}` };
    }
  });
}

export const adqlCommand: Command = {
  usage: `  vodax adql check [FILE] [--whole]        check ADQL syntax (no database): one query per line of FILE
                                   or stdin, or --whole for one query; prints VALID or the error per query
  vodax adql translate [--maxrec N] [--user U] QUERY
                                   print the PostgreSQL and parameters a query becomes (opens the database)`,
  async run(argv, { config, log }) {
    const args = parseArgs(argv, new Set(['whole']));
    const [what, ...rest] = args.positionals;
    if (what === 'check') {
      rejectUnknown(args, ['whole']);
      if (rest.length > 1) throw new UsageError('give at most one FILE');
      const text = fs.readFileSync(rest[0] ?? 0, 'utf8');
      const results = checkAdql(text, args.options.has('whole'));
      for (const r of results) process.stdout.write(`${r.message}\n`);
      return results.every((r) => r.ok) ? 0 : 1;
    }
    if (what === 'translate') {
      rejectUnknown(args, ['maxrec', 'user']);
      if (rest.length !== 1) throw new UsageError('give the query as one argument (quote it)');
      const maxrec = args.options.has('maxrec') ? intOption(args, 'maxrec', 0) : undefined;
      const user = args.options.get('user');
      const storage = await openStorage(config, log);
      try {
        const catalog = await loadCatalog(storage.db, { user: typeof user === 'string' ? user : null });
        const t = translate(validate(parseAdql(rest[0]!), catalog), { maxrec });
        process.stdout.write(`${t.sql}\n`);
        process.stdout.write(`-- parameters: ${JSON.stringify(t.params)}\n`);
        process.stdout.write(`-- columns: ${t.columns.map((c) => `${c.name} ${c.datatype}${c.arraysize ? `[${c.arraysize}]` : ''}${c.xtype ? ` (${c.xtype})` : ''}`).join(', ')}\n`);
      } catch (e) {
        if (!(e instanceof QuerySyntaxError)) throw e;
        process.stdout.write(`${e.message}\n`);
        return 1;
      } finally {
        await storage.close();
      }
      return 0;
    }
    throw new UsageError("adql what? 'vodax adql check [FILE]' or 'vodax adql translate QUERY'");
  },
};
