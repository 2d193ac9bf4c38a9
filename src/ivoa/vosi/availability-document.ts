/** VOSI availability document. */
import { escapeXml } from '../../xml/escape.js';

/** The availability XML: whether the service answers, since when, and a note a person can read. */
export function availabilityXml(a: { available: boolean; note: string; upSince: Date }): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<vosi:availability xmlns:vosi="http://www.ivoa.net/xml/VOSIAvailability/v1.0">
<vosi:available>${a.available}</vosi:available>
<vosi:upSince>${a.upSince.toISOString().replace(/\.\d+Z$/, 'Z')}</vosi:upSince>
<vosi:note>${escapeXml(a.note)}</vosi:note>
</vosi:availability>
`;
}
