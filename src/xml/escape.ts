/** XML 1.0 text and attribute escaping, shared by every XML document vodax writes. */

// Characters XML 1.0 cannot carry at all (C0 controls except tab, LF, CR; lone surrogates; U+FFFE/F).
// eslint-disable-next-line no-control-regex
const ILLEGAL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Escape text for element content or a double-quoted attribute; illegal characters become U+FFFD. */
export function escapeXml(s: string): string {
  return s.replace(ILLEGAL, '\uFFFD').replace(/[&<>"]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : '&quot;'));
}

/** An element with escaped text content, or nothing when the value is null/empty. */
export function textElement(name: string, value: string | null | undefined): string {
  return value === null || value === undefined || value === '' ? '' : `<${name}>${escapeXml(value)}</${name}>`;
}
