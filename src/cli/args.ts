/** A small, strict command-line parser: positionals and `--name value` / `--flag` options. */

/** Parsed arguments. */
export interface Args {
  positionals: string[];
  options: Map<string, string | true>;
}

/** Split argv into positionals and options; `flags` names the options that take no value. */
export function parseArgs(argv: string[], flags: ReadonlySet<string> = new Set()): Args {
  const positionals: string[] = [];
  const options = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
      if (eq > 0) options.set(name, a.slice(eq + 1));
      else if (flags.has(name)) options.set(name, true);
      else {
        const v = argv[i + 1];
        if (v === undefined || v.startsWith('--')) throw new UsageError(`option --${name} needs a value`);
        options.set(name, v);
        i++;
      }
    } else positionals.push(a);
  }
  return { positionals, options };
}

/** A mistake in how a command was called; printed with the usage text. */
export class UsageError extends Error {}

/** A string option, required or with a fallback. */
export function option(args: Args, name: string, fallback?: string): string {
  const v = args.options.get(name);
  if (typeof v === 'string') return v;
  if (fallback !== undefined) return fallback;
  throw new UsageError(`missing option --${name}`);
}

/** A non-negative integer option. */
export function intOption(args: Args, name: string, fallback: number): number {
  const v = args.options.get(name);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (typeof v !== 'string' || !Number.isInteger(n) || n < 0) throw new UsageError(`--${name} must be a non-negative integer`);
  return n;
}

/** Options that are not in `known` (typos), as an error. */
export function rejectUnknown(args: Args, known: string[]): void {
  for (const k of args.options.keys()) if (!known.includes(k)) throw new UsageError(`unknown option --${k}`);
}
