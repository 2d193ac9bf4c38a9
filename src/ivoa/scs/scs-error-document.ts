/**
 * The cone search's error document: the DALI error document (SCS 1.1 section 4) that also
 * carries SCS 1.03's `INFO name="Error"` as a child of VOTABLE, the form SCS 1.1 keeps as a
 * deprecated alternative. Clients of either version then read the message: pyvo 1.2.1's SCS
 * client looks only for the 1.03 INFO, DALI clients only for QUERY_STATUS.
 */
import { escapeXmlAttr, escapeXmlText } from '../../xml/escape.js';
import { VOTABLE_NAMESPACE } from '../../formats/votable-writer.js';
import type { ErrorRenderer } from '../../http/error-style.js';
import { DALI_ERROR_CONTENT_TYPE } from '../dali/error-document.js';

/** The error document carrying `message` (escaped; characters XML cannot hold are dropped). */
export function scsErrorDocument(message: string): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<VOTABLE version="1.4" xmlns="${escapeXmlAttr(VOTABLE_NAMESPACE)}">\n` +
    `<INFO ID="Error" name="Error" value="${escapeXmlAttr(message)}"/>\n` +
    '<RESOURCE type="results">\n' +
    `<INFO name="QUERY_STATUS" value="ERROR">${escapeXmlText(message)}</INFO>\n` +
    '</RESOURCE>\n' +
    '</VOTABLE>\n'
  );
}

/** The error style of the /db/v0/scs paths. */
export const renderScsError: ErrorRenderer = (e) => ({
  type: `${DALI_ERROR_CONTENT_TYPE}; charset=utf-8`,
  body: scsErrorDocument(e.message),
});
