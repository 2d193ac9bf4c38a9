/**
 * `vodax adql check [FILE] [--lines|--whole]`: check ADQL without a database (syntax, functions,
 * types; names as written), queries separated by blank lines or a ';' ending a line (or one per
 * line, or the whole input as one); `vodax adql translate [--maxrec N] [--user U] QUERY`:
 * the PostgreSQL a query becomes, against the configured database's catalog.
 */
import fs from 'node:fs';
import { parseAdql } from '../adql/parser.js';
import { tokenize } from '../adql/lexer.js';
import { validate } from '../adql/validator.js';
import { translate } from '../adql/translator.js';
import { loadCatalog } from '../catalog/query-catalog.js';
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

/** How `adql check` finds the queries of its input. */
export type CheckMode = 'blocks' | 'lines' | 'whole';

/**
 * The queries of a file: runs of text separated by a blank line or by a ';' that ends a line,
 * found on the tokens so that a blank line or a ';' inside a string literal does not split.
 * Each query's text starts at the beginning of its first line, so columns are the input's.
 */
export function splitQueries(text: string): Array<{ line: number; text: string }> {
  const tokens = tokenize(text);
  const out: Array<{ line: number; text: string }> = [];
  let first = -1;
  let last = -1;
  const flush = () => {
    if (first < 0) return;
    const start = tokens[first]!.pos;
    out.push({ line: start.line, text: text.slice(start.offset - start.column + 1, tokens[last]!.end) });
    first = -1;
  };
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k]!;
    if (t.type === 'eof') break;
    const nextStart = tokens[k + 1]!.pos.offset;
    const gap = text.slice(t.end, nextStart);
    const endsLine = tokens[k + 1]!.type === 'eof' ? /^\s*(--[^\r\n]*)?/.test(gap) : /^[ \t\f\v]*(--[^\r\n]*)?(\r?\n|\r)/.test(gap);
    if (t.type === 'bad' && t.raw === ';' && endsLine) {
      flush();
      continue;
    }
    if (first < 0) first = k;
    last = k;
    // A blank line: a line holding nothing but white space.
    if (/(\r?\n|\r)[ \t\f\v]*(\r?\n|\r)/.test(gap)) flush();
  }
  flush();
  return out;
}

/**
 * Check ADQL text: queries separated by blank lines or a ';' at the end of a line (`blocks`),
 * one query per non-blank line (`lines`; lines holding only a `--` comment are skipped), or
 * the whole text as one query. Positions are reported in the input.
 */
export function checkAdql(text: string, mode: CheckMode = 'blocks'): CheckResult[] {
  const queries =
    mode === 'whole'
      ? [{ line: 1, text }]
      : mode === 'blocks'
        ? splitQueries(text)
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
  usage: `  vodax adql check [FILE] [--lines|--whole] check ADQL (no database) in FILE or stdin: queries separated
                                   by a blank line or a ';' ending a line (--lines: one per line, --whole:
                                   all one query); prints VALID or the error with line and column per query
  vodax adql translate [--maxrec N] [--user U] QUERY
                                   print the PostgreSQL and parameters a query becomes (opens the database)`,
  async run(argv, { config, log }) {
    const args = parseArgs(argv, new Set(['whole', 'lines']));
    const [what, ...rest] = args.positionals;
    if (what === 'check') {
      rejectUnknown(args, ['whole', 'lines']);
      if (rest.length > 1) throw new UsageError('give at most one FILE');
      if (args.options.has('whole') && args.options.has('lines')) throw new UsageError('give --lines or --whole, not both');
      const text = fs.readFileSync(rest[0] ?? 0, 'utf8');
      const results = checkAdql(text, args.options.has('whole') ? 'whole' : args.options.has('lines') ? 'lines' : 'blocks');
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
