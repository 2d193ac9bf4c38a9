/** What an Accept header asks for, where the header alone cannot be taken at its word. */

/**
 * Whether an Accept header that prefers HTML means it: a browser's (it lists
 * application/xhtml+xml), or one that takes nothing it does not list (no wildcard). Java's
 * default, `text/html, image/gif, image/jpeg, *; q=.2, * / *; q=.2`, which TOPCAT and STILTS
 * send, lists HTML first but takes anything: those clients want VOTable (or JSON).
 */
export function asksForHtml(accept: string): boolean {
  const ranges = accept.split(',').map((r) => r.split(';')[0]!.trim().toLowerCase());
  return ranges.includes('application/xhtml+xml') || !ranges.some((r) => r === '*' || r === '*/*');
}

/** Whether a request with this Accept header is a person's in a browser: HTML first, and meant (asksForHtml). */
export function fromBrowser(accept: string | undefined): boolean {
  if (!accept) return false;
  const first = accept.split(',')[0]!.split(';')[0]!.trim().toLowerCase();
  return (first === 'text/html' || first === 'application/xhtml+xml') && asksForHtml(accept);
}
