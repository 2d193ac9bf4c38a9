/** XML escaping for the serializers and the VO documents (VOSI, capabilities, UWS): one set of rules. */

/** Characters XML 1.0 forbids (C0 controls but tab/LF/CR, U+FFFE/U+FFFF, unpaired surrogates). */
const XML_ILLEGAL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF\uD800-\uDFFF]/gu;
const XML_TEXT_SPECIAL = /[&<>\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF\uD800-\uDFFF]/u;
const XML_ATTR_SPECIAL = /[&<>"\t\n\r\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF\uD800-\uDFFF]/u;

/** Removes the characters XML 1.0 cannot carry at all (they have no escape either). */
export function stripXmlIllegal(s: string): string {
  return s.replace(XML_ILLEGAL, '');
}

/** Escapes text content for XML and HTML; characters illegal in XML 1.0 are removed. */
export function escapeXmlText(s: string): string {
  if (!XML_TEXT_SPECIAL.test(s)) return s;
  return stripXmlIllegal(s).replace(/[&<>]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : '&gt;'));
}

const ATTR_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  '\t': '&#9;',
  '\n': '&#10;',
  '\r': '&#13;',
};

/** Escapes a double-quoted attribute value; tabs and newlines survive as character references. */
export function escapeXmlAttr(s: string): string {
  if (!XML_ATTR_SPECIAL.test(s)) return s;
  return stripXmlIllegal(s).replace(/[&<>"\t\n\r]/g, (c) => ATTR_ESCAPES[c]);
}


/** Escape text for element content or a double-quoted attribute (characters XML cannot carry are dropped). */
export function escapeXml(s: string): string {
  return escapeXmlAttr(s);
}

/** An element with escaped text content, or nothing when the value is null/empty. */
export function textElement(name: string, value: string | null | undefined): string {
  return value === null || value === undefined || value === '' ? '' : `<${name}>${escapeXml(value)}</${name}>`;
}
