/** UWS 1.1 XML documents (namespace http://www.ivoa.net/xml/UWS/v1.0, version="1.1"). */
import { escapeXml } from '../../xml/escape.js';
import type { JobRef } from '../../jobs/job-store.js';
import type { JobParameters, JobResult, JobView } from '../../jobs/job-model.js';

/** The UWS namespace (unchanged since 1.0). */
export const UWS_NAMESPACE = 'http://www.ivoa.net/xml/UWS/v1.0';
const XLINK = 'http://www.w3.org/1999/xlink';
const XSI = 'http://www.w3.org/2001/XMLSchema-instance';
const HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n';
const NAMESPACES = `xmlns:uws="${UWS_NAMESPACE}" xmlns:xlink="${XLINK}" xmlns:xsi="${XSI}"`;

/** Content type of every UWS XML answer. */
export const UWS_XML_TYPE = 'text/xml; charset=utf-8';

/** A UWS time: ISO 8601 in UTC with milliseconds. */
export function uwsTime(d: Date): string {
  return d.toISOString();
}

/** An element, or the nil form when the value is null. */
function nillable(name: string, value: string | null): string {
  return value === null ? `<uws:${name} xsi:nil="true"/>` : `<uws:${name}>${escapeXml(value)}</uws:${name}>`;
}

/** The job list: references to jobs, newest first as given. */
export function jobListXml(jobs: JobRef[], jobUrl: (id: string) => string): string {
  const refs = jobs.map(
    (j) =>
      `  <uws:jobref id="${escapeXml(j.id)}" xlink:href="${escapeXml(jobUrl(j.id))}">` +
      `<uws:phase>${j.phase}</uws:phase>` +
      (j.runId !== null ? `<uws:runId>${escapeXml(j.runId)}</uws:runId>` : '') +
      nillable('ownerId', j.owner) +
      `<uws:creationTime>${uwsTime(j.created)}</uws:creationTime>` +
      '</uws:jobref>\n',
  );
  return `${HEAD}<uws:jobs ${NAMESPACES} version="1.1">\n${refs.join('')}</uws:jobs>\n`;
}

/** The `<uws:parameters>` element (a document of its own when `root`). */
export function parametersXml(params: JobParameters, root = false): string {
  const items = Object.entries(params).flatMap(([name, values]) =>
    values.map((v) => `<uws:parameter id="${escapeXml(name)}">${escapeXml(v)}</uws:parameter>`),
  );
  const open = root ? `${HEAD}<uws:parameters ${NAMESPACES}>` : '<uws:parameters>';
  return `${open}${items.join('')}</uws:parameters>${root ? '\n' : ''}`;
}

/** The `<uws:results>` element (a document of its own when `root`). */
export function resultsXml(results: JobResult[], resultUrl: (r: JobResult) => string, root = false): string {
  const items = results.map(
    (r) =>
      `<uws:result id="${escapeXml(r.id)}" xlink:type="simple" xlink:href="${escapeXml(resultUrl(r))}" mime-type="${escapeXml(r.mimeType)}"` +
      (r.size !== undefined ? ` size="${r.size}"` : '') +
      '/>',
  );
  const open = root ? `${HEAD}<uws:results ${NAMESPACES}>` : '<uws:results>';
  return `${open}${items.join('')}</uws:results>${root ? '\n' : ''}`;
}

/** The job resource (`uws:job`), elements in the order of the schema's JobSummary. */
export function jobXml(job: JobView, resultUrl: (r: JobResult) => string, info: { progress: number | null } = { progress: null }): string {
  const parts = [
    `<uws:jobId>${escapeXml(job.id)}</uws:jobId>`,
    job.runId !== null ? `<uws:runId>${escapeXml(job.runId)}</uws:runId>` : '',
    nillable('ownerId', job.owner),
    `<uws:phase>${job.phase}</uws:phase>`,
    nillable('quote', job.quote && uwsTime(job.quote)),
    `<uws:creationTime>${uwsTime(job.created)}</uws:creationTime>`,
    nillable('startTime', job.started && uwsTime(job.started)),
    nillable('endTime', job.ended && uwsTime(job.ended)),
    `<uws:executionDuration>${job.executionDuration}</uws:executionDuration>`,
    `<uws:destruction>${uwsTime(job.destruction)}</uws:destruction>`,
    parametersXml(job.parameters),
    resultsXml(job.results, resultUrl),
    job.error
      ? `<uws:errorSummary type="${job.error.type}" hasDetail="true"><uws:message>${escapeXml(job.error.message)}</uws:message></uws:errorSummary>`
      : '',
    info.progress !== null ? `<uws:jobInfo><progress>${info.progress}</progress></uws:jobInfo>` : '',
  ];
  return `${HEAD}<uws:job ${NAMESPACES} version="1.1">\n${parts.filter((p) => p !== '').map((p) => `  ${p}\n`).join('')}</uws:job>\n`;
}
