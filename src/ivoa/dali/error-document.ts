/**
 * The DALI error document: a VOTable whose RESOURCE type="results" holds only
 * INFO name="QUERY_STATUS" value="ERROR", with the message a person can act on as its content.
 */
import { escapeXmlAttr, escapeXmlText } from '../../xml/escape.js';
import { VOTABLE_NAMESPACE } from '../../formats/votable-writer.js';
import type { ErrorRenderer } from '../../http/error-style.js';

/** Content-Type of a DALI error document. */
export const DALI_ERROR_CONTENT_TYPE = 'application/x-votable+xml';

/** A DALI error document carrying `message` (escaped; characters XML cannot hold are dropped). */
export function daliErrorDocument(message: string): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<VOTABLE version="1.4" xmlns="${escapeXmlAttr(VOTABLE_NAMESPACE)}">\n` +
    '<RESOURCE type="results">\n' +
    `<INFO name="QUERY_STATUS" value="ERROR">${escapeXmlText(message)}</INFO>\n` +
    '</RESOURCE>\n' +
    '</VOTABLE>\n'
  );
}

/** The IVOA face's error style: every error a DALI error document. */
export const renderDaliError: ErrorRenderer = (e) => ({
  type: `${DALI_ERROR_CONTENT_TYPE}; charset=utf-8`,
  body: daliErrorDocument(e.message),
});

/** A failed job's `/error` document on the IVOA face. */
export const daliJobErrorDocument = (error: { message: string }) => ({ type: DALI_ERROR_CONTENT_TYPE, body: daliErrorDocument(error.message) });
