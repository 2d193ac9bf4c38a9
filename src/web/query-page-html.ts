/**
 * The query page's HTML: the elements the browser code (src/web/page/main.ts) fills, and its
 * bundle and style sheet, both served by vodax itself. No URL leaves this server.
 */

/** The page, loading its assets from `assets` (a path on this server). */
export function queryPageHtml(assets: string, tapBase: string): string {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>vodax: query</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="${assets}/main.css">
<script type="module" src="${assets}/main.js"></script>
</head><body>
<header>
<h1>vodax query</h1>
<nav><a href="/">home</a> · <a href="${tapBase}">TAP service</a> · <a href="${tapBase}/tables">tables</a> · <a href="${tapBase}/examples">examples</a></nav>
<form id="token-form" autocomplete="off">
<span id="who"></span>
<label>Token <input id="token" type="password" size="24" placeholder="bearer token (optional)"></label>
<button type="submit">Use</button> <button type="button" id="token-clear">Forget</button>
</form>
</header>
<div class="layout">
<aside id="schema" aria-label="Schema browser"></aside>
<main>
<section id="query-section">
<div id="editor"></div>
<div class="controls">
<button type="button" id="run" title="Ctrl+Enter">Run</button>
<button type="button" id="run-async">Submit async</button>
<button type="button" id="cancel" disabled>Cancel</button>
<label>MAXREC <input id="maxrec" type="number" min="0" step="1" value="10000"></label>
<label>Download format <select id="format"></select></label>
<span id="status" role="status"></span>
</div>
<div id="error" role="alert" hidden></div>
</section>
<section><details open><summary>Examples</summary><div id="examples"><p class="muted">Loading…</p></div></details></section>
<section id="results-section" hidden>
<div id="downloads"></div>
<div id="results"></div>
<h2>Plots</h2>
<div id="plots"></div>
<h2>Sky</h2>
<div id="sky"></div>
</section>
</main>
</div>
</body></html>
`;
}
