/** XML escaping for the VO documents (VOSI, capabilities, UWS): the serializers' rules, in one place. */
import { escapeXmlAttr } from '../formats/table-writer.js';

/** Escape text for element content or a double-quoted attribute (characters XML cannot carry are dropped). */
export function escapeXml(s: string): string {
  return escapeXmlAttr(s);
}

/** An element with escaped text content, or nothing when the value is null/empty. */
export function textElement(name: string, value: string | null | undefined): string {
  return value === null || value === undefined || value === '' ? '' : `<${name}>${escapeXml(value)}</${name}>`;
}
