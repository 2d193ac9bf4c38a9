/**
 * COPY takes no bind parameters, so the string parameters of a translated query ($1, $2, ...)
 * are written into its text as literals. The scan skips quoted identifiers and string literals,
 * and gives up (null) on anything it does not fully understand, so the caller can run the query
 * the ordinary way instead.
 */

/** A string as a PostgreSQL literal, whatever standard_conforming_strings says. */
export function sqlLiteral(s: string): string {
  const quoted = `'${s.replace(/'/g, "''")}'`;
  return s.includes('\\') ? ` E${quoted.replace(/\\/g, '\\\\')}` : quoted;
}

/** `sql` with every $n replaced by the literal of params[n-1]; null when that cannot be done safely. */
export function inlineParams(sql: string, params: readonly unknown[]): string | null {
  if (params.some((p) => typeof p !== 'string' || p.includes('\0'))) return null;
  // Nothing to replace and nothing that could hide a placeholder: the text as it is (a cone's
  // 2 KB were otherwise copied a quoted name at a time, 8 KiB of garbage).
  if (params.length === 0 && !/[$'\\]|--|\/\*/.test(sql)) return sql;
  // Text between the characters that matter is copied a run at a time: a string built a
  // character at a time cost a cone's query (2 KB of HEALPix ranges) 40 KB of garbage.
  const special = /["'$]|--|\/\*/g;
  let out = '';
  let i = 0;
  while (i < sql.length) {
    special.lastIndex = i;
    const found = special.exec(sql);
    if (!found) {
      out += sql.slice(i);
      break;
    }
    out += sql.slice(i, found.index);
    i = found.index;
    const c = sql[i];
    if (c === '"' || c === "'") {
      // A quoted identifier or a standard string: up to the closing quote (doubled quotes stay inside).
      if (c === "'" && i > 0 && /[A-Za-z0-9_]/.test(sql[i - 1])) return null; // E'', U&'', B'': not ours
      let j = i + 1;
      for (;;) {
        const k = sql.indexOf(c, j);
        if (k < 0) return null;
        if (sql[k + 1] === c) {
          j = k + 2;
          continue;
        }
        j = k + 1;
        break;
      }
      out += sql.slice(i, j);
      i = j;
    } else if (c === '$') {
      if (i > 0 && /[A-Za-z0-9_$]/.test(sql[i - 1])) return null; // part of an unquoted name
      const m = /^\$(\d+)/.exec(sql.slice(i, i + 12));
      if (!m) return null; // dollar quoting
      const n = Number(m[1]);
      if (n < 1 || n > params.length) return null;
      out += sqlLiteral(params[n - 1] as string);
      i += m[0].length;
    } else {
      return null; // -- or /*: comments could hide quotes
    }
  }
  return out;
}
