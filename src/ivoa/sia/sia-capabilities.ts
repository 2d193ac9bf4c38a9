/** The SIA 2.0 service's VOSI capabilities: the query endpoint and the VOSI resources. */
import { escapeXml } from '../../xml/escape.js';
import { fillTemplate, readResource } from '../vosi/vosi-template.js';

/** The capabilities XML of the SIA service at `base` (an absolute URL). */
export function siaCapabilitiesXml(base: string, securityMethods: readonly (string | null)[]): string {
  const methods = securityMethods
    .map((m) => (m === null ? '      <securityMethod/>' : `      <securityMethod standardID="${escapeXml(m)}"/>`))
    .join('\n');
  return fillTemplate(readResource('sia-capabilities.xml'), { base: escapeXml(base), securityMethods: methods });
}
