/** The SODA service's VOSI capabilities (SODA 1.0 section 2.6): sync, async when jobs run, and VOSI. */
import { escapeXml } from '../../xml/escape.js';
import { fillTemplate, readResource } from '../vosi/vosi-template.js';

/** The capabilities XML of the SODA service at `base` (an absolute URL). */
export function sodaCapabilitiesXml(base: string, securityMethods: readonly (string | null)[], withAsync: boolean): string {
  const methods = securityMethods
    .map((m) => (m === null ? '      <securityMethod/>' : `      <securityMethod standardID="${escapeXml(m)}"/>`))
    .join('\n');
  const asyncCapability = withAsync
    ? '  <capability standardID="ivo://ivoa.net/std/SODA#async-1.0">\n' +
      '    <interface xsi:type="vs:ParamHTTP" role="std" version="1.0">\n' +
      `      <accessURL use="full">${escapeXml(base)}/async</accessURL>\n${methods}\n` +
      '    </interface>\n' +
      '  </capability>\n'
    : '';
  return fillTemplate(readResource('soda-capabilities.xml'), { base: escapeXml(base), securityMethods: methods, asyncCapability });
}
