/**
 * The ADQL editor: a textarea with line numbers, and an error marker at a line and column. No
 * wrapping, so a line of text is a line of the gutter; a mirror behind the transparent textarea
 * draws the marker under the very character the error names.
 */

/** The editor's elements and what the page does with them. */
export interface Editor {
  readonly text: () => string;
  setText(text: string): void;
  /** Insert at the caret (the schema browser's names). */
  insert(text: string): void;
  markError(line: number, column: number): void;
  clearError(): void;
  onRun(run: () => void): void;
}

/** Make an editor inside `host` (an empty element). */
export function createEditor(host: HTMLElement, initial: string): Editor {
  host.classList.add('editor');
  const gutter = document.createElement('div');
  gutter.className = 'gutter';
  gutter.setAttribute('aria-hidden', 'true');
  const area = document.createElement('div');
  area.className = 'editor-area';
  const mirror = document.createElement('pre');
  mirror.className = 'mirror';
  mirror.setAttribute('aria-hidden', 'true');
  const ta = document.createElement('textarea');
  ta.id = 'adql';
  ta.spellcheck = false;
  ta.wrap = 'off';
  ta.setAttribute('aria-label', 'ADQL query');
  ta.value = initial;
  area.append(mirror, ta);
  host.append(gutter, area);

  let error: { line: number; column: number } | null = null;

  const render = () => {
    const lines = ta.value.split('\n');
    gutter.replaceChildren(
      ...lines.map((_, i) => {
        const d = document.createElement('div');
        d.textContent = String(i + 1);
        if (error && error.line === i + 1) d.className = 'error-line';
        return d;
      }),
    );
    mirror.replaceChildren();
    if (error && error.line <= lines.length) {
      // Text before the marked character, the character (or a space past the line's end), the rest.
      const at = offsetOf(ta.value, error.line, error.column);
      const mark = document.createElement('mark');
      mark.className = 'error-mark';
      mark.textContent = ta.value.slice(at, at + 1).replace('\n', ' ') || ' ';
      mirror.append(ta.value.slice(0, at), mark, ta.value.slice(at + 1) + '\n');
    } else {
      mirror.textContent = ta.value + '\n';
    }
    sync();
  };
  const sync = () => {
    gutter.scrollTop = ta.scrollTop;
    mirror.scrollTop = ta.scrollTop;
    mirror.scrollLeft = ta.scrollLeft;
  };
  ta.addEventListener('input', () => {
    // An edit makes the old position meaningless.
    error = null;
    render();
  });
  ta.addEventListener('scroll', sync);
  ta.addEventListener('keydown', (e) => {
    if (e.key === 'Tab' && !e.shiftKey) {
      e.preventDefault();
      ta.setRangeText('  ', ta.selectionStart, ta.selectionEnd, 'end');
      render();
    }
  });
  render();

  return {
    text: () => ta.value,
    setText(text) {
      ta.value = text;
      error = null;
      render();
    },
    insert(text) {
      ta.focus();
      ta.setRangeText(text, ta.selectionStart, ta.selectionEnd, 'end');
      error = null;
      render();
    },
    markError(line, column) {
      error = { line, column };
      render();
      const at = offsetOf(ta.value, line, column);
      ta.focus();
      ta.setSelectionRange(at, Math.min(at + 1, ta.value.length));
      // Bring the line into view: each line is one line-height.
      const lh = parseFloat(getComputedStyle(ta).lineHeight) || 18;
      if ((line - 1) * lh < ta.scrollTop || line * lh > ta.scrollTop + ta.clientHeight) ta.scrollTop = (line - 2) * lh;
      sync();
    },
    clearError() {
      error = null;
      render();
    },
    onRun(run) {
      ta.addEventListener('keydown', (e) => {
        if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
          e.preventDefault();
          run();
        }
      });
    },
  };
}

/** The offset in `text` of a 1-based line and column, kept inside the text. */
export function offsetOf(text: string, line: number, column: number): number {
  let at = 0;
  for (let l = 1; l < line; l++) {
    const nl = text.indexOf('\n', at);
    if (nl < 0) return text.length;
    at = nl + 1;
  }
  const end = text.indexOf('\n', at);
  const lineEnd = end < 0 ? text.length : end;
  return Math.min(at + Math.max(0, column - 1), lineEnd);
}
