/** Progress display for long commands: a bar on a terminal, nothing otherwise; a summary line at the end. */

/** A progress reporter for one long task. */
export interface Progress {
  /** Report `done` units of `total` (total may be unknown). */
  update(done: number, total?: number, label?: string): void;
  /** Clear the bar and print the one-line summary. */
  finish(summary: string): void;
}

/** Format a count with thousands separators. */
export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** A progress bar on `out` when it is a terminal (redrawn at most 10 times a second). */
export function progressBar(unit: string, out: NodeJS.WriteStream = process.stderr): Progress {
  const tty = out.isTTY === true;
  const t0 = Date.now();
  let last = 0;
  return {
    update(done, total, label) {
      if (!tty) return;
      const now = Date.now();
      if (now - last < 100) return;
      last = now;
      const rate = done / Math.max(0.001, (now - t0) / 1000);
      const width = 30;
      const bar =
        total && total > 0
          ? '[' + '#'.repeat(Math.min(width, Math.round((done / total) * width))).padEnd(width, '.') + `] ${Math.min(100, Math.floor((done / total) * 100))}% `
          : '';
      out.write(`\r${label ? label + ' ' : ''}${bar}${formatCount(done)} ${unit} (${formatCount(rate)} ${unit}/s)\x1b[K`);
    },
    finish(summary) {
      if (tty) out.write('\r\x1b[K');
      out.write(summary + '\n');
    },
  };
}
