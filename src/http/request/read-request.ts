/**
 * The one request reader of every face: the query string, then an
 * application/x-www-form-urlencoded or multipart/form-data body, into RequestParams, within the
 * limits of the configuration. Multipart file parts are handed to a callback as streams (TAP
 * UPLOAD, UWS job files) and never held in memory.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import type { Context } from 'koa';
import busboy from 'busboy';
import type { Limits } from '../../config.js';
import { BadRequestError, LimitExceededError } from '../../errors.js';
import { RequestParams } from '../../params/request-params.js';
import type { UploadPart } from '../../params/upload-part.js';
import { limitedBody } from '../limits.js';

/** What one request may carry. */
export interface RequestLimits {
  /** Most parameter values, query string and body together (PARAMETERS_MAX). */
  parameters: number;
  /** Longest value of one parameter, bytes. */
  fieldBytes: number;
  /** Most file parts of a multipart body. */
  files: number;
  /** Largest file part, bytes (UPLOAD_MAX_BYTES). */
  fileBytes: number;
  /** Largest body, bytes, whether or not it declares its length (UPLOAD_MAX_BYTES). */
  bodyBytes: number;
}

/** Longest parameter value: far above any ADQL query the services take (100,000 characters). */
const FIELD_BYTES = 1 << 20;

/** The request limits the configuration sets. */
export function requestLimitsOf(limits: Limits): RequestLimits {
  return {
    parameters: limits.maxParameters,
    fieldBytes: FIELD_BYTES,
    files: limits.maxParameters,
    fileBytes: limits.uploadBytes,
    bodyBytes: limits.uploadBytes,
  };
}

/** How a request is read. */
export interface ReadOptions {
  /**
   * Where file parts go. It must consume the stream (or the body stalls) and may reject to fail
   * the request; without it, a file part is a 400.
   */
  onFile?: (part: UploadPart) => Promise<void>;
}

/** The parameters of the query string alone (GET routes). */
export function queryParams(ctx: Context): RequestParams {
  return RequestParams.fromEntries(new URLSearchParams(ctx.querystring));
}

const FORM = /^(application\/x-www-form-urlencoded|multipart\/form-data)$/;

/**
 * Every parameter of a request: the query string, and the body of a POST or PUT (a body without
 * Content-Type is read as a form). Resolves once every file part has been consumed.
 */
export async function readRequest(ctx: Context, limits: RequestLimits, options: ReadOptions = {}): Promise<RequestParams> {
  const params = new RequestParams();
  const tooMany = () => new BadRequestError(`too many parameters (more than ${limits.parameters})`);
  const add = (name: string, value: string) => {
    if (params.size >= limits.parameters) throw tooMany();
    params.add(name, value);
  };
  for (const [name, value] of new URLSearchParams(ctx.querystring)) add(name, value);
  if ((ctx.method !== 'POST' && ctx.method !== 'PUT') || !hasBody(ctx)) return params;
  const header = ctx.get('content-type');
  const type = header.split(';')[0]!.trim().toLowerCase();
  if (type !== '' && !FORM.test(type)) {
    throw new BadRequestError(`unsupported Content-Type '${header}': send application/x-www-form-urlencoded or multipart/form-data`);
  }
  const headers = type === '' ? { ...ctx.req.headers, 'content-type': 'application/x-www-form-urlencoded' } : ctx.req.headers;
  await readBody(ctx, headers, limits, add, options.onFile);
  return params;
}

/** True when the request announces a body. */
function hasBody(ctx: Context): boolean {
  const length = ctx.get('content-length');
  return (length !== '' && length !== '0') || ctx.get('transfer-encoding') !== '';
}

/** Read a form body with busboy: fields to `add`, file parts to `onFile`. */
function readBody(
  ctx: Context,
  headers: IncomingHttpHeaders,
  limits: RequestLimits,
  add: (name: string, value: string) => void,
  onFile: ReadOptions['onFile'],
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let bb: busboy.Busboy;
    try {
      bb = busboy({
        headers,
        limits: {
          fields: limits.parameters,
          fieldSize: limits.fieldBytes,
          files: limits.files,
          fileSize: limits.fileBytes,
          parts: limits.parameters + limits.files,
        },
      });
    } catch (e) {
      reject(new BadRequestError(`malformed request body: ${(e as Error).message}`));
      return;
    }
    const body = limitedBody(ctx, limits.bodyBytes);
    const pending: Promise<void>[] = [];
    const open = new Set<Readable>();
    let failed: Error | null = null;
    // On failure the reading stops, the parts still being written are cut, and only once every
    // consumer has settled does the caller hear of it: then nothing writes into a spool or a
    // folder the caller removes.
    const fail = (e: Error) => {
      if (failed) return;
      failed = e;
      body.unpipe(bb);
      ctx.req.unpipe();
      ctx.req.resume();
      for (const s of open) s.destroy(e);
      void Promise.allSettled(pending).then(() => reject(e));
    };
    const nameless = () => new BadRequestError('a multipart part has no name');
    ctx.req.once('aborted', () => fail(new BadRequestError('the client closed the connection before the request body ended')));
    body.once('error', (e: Error) => fail(e instanceof LimitExceededError ? e : new BadRequestError(`the request body could not be read: ${e.message}`)));
    bb.on('field', (name: string | undefined, value, info) => {
      if (failed) return;
      // busboy gives no name for `name=""`: a client error, never a crash.
      if (!name) return fail(nameless());
      if (info.valueTruncated) return fail(new LimitExceededError(`parameter ${name} is longer than ${limits.fieldBytes} bytes`));
      try {
        add(name, value);
      } catch (e) {
        fail(e as Error);
      }
    });
    bb.on('file', (field: string | undefined, stream: Readable, info) => {
      if (failed) return void stream.resume();
      if (!field) {
        stream.resume();
        return fail(nameless());
      }
      if (!onFile) {
        stream.resume();
        return fail(new BadRequestError(`unexpected file part '${field}': this resource takes no file uploads`));
      }
      open.add(stream);
      stream.once('close', () => open.delete(stream));
      stream.on('limit', () => fail(new LimitExceededError(`upload '${field}' is larger than ${limits.fileBytes} bytes`)));
      pending.push(
        onFile({ field, filename: info.filename ?? field, mimeType: info.mimeType, stream }).catch((e: Error) => {
          stream.resume();
          fail(e);
        }),
      );
    });
    bb.on('fieldsLimit', () => fail(new BadRequestError(`too many parameters (more than ${limits.parameters})`)));
    bb.on('filesLimit', () => fail(new BadRequestError(`too many parts in the multipart body (more than ${limits.files} files)`)));
    bb.on('partsLimit', () => fail(new BadRequestError(`too many parts in the multipart body (at most ${limits.parameters + limits.files})`)));
    bb.on('error', (e: Error) => fail(new BadRequestError(`malformed request body: ${e.message}`)));
    bb.on('close', () => {
      // Every consumer's failure has gone to fail(): these never reject.
      void Promise.all(pending).then(() => {
        if (!failed) resolve();
      });
    });
    body.pipe(bb);
  });
}
