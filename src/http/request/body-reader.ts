/**
 * DALI request parameters: names case-insensitive, values as sent, from the query string and
 * from a form-urlencoded or multipart body alike. Multipart file parts are handed to a callback
 * as streams (TAP UPLOAD, UWS uploads) and never held in memory.
 */
import type { Context } from 'koa';
import type { Readable } from 'node:stream';
import busboy from 'busboy';
import { BadRequestError, LimitExceededError } from '../../errors.js';

/** Parameters by lower-case name; each may repeat. */
export type DaliParams = Map<string, string[]>;

/** A file part of a multipart body: its form field name, file name, and content stream. */
export interface UploadPart {
  field: string;
  filename: string;
  mimeType: string;
  stream: Readable;
}

/** Limits that protect the server while parameters are read. */
export interface ParamLimits {
  maxFields: number;
  maxFieldBytes: number;
  maxFileBytes: number;
}

/** The first value of a parameter, or undefined. */
export function param(params: DaliParams, name: string): string | undefined {
  return params.get(name.toLowerCase())?.[0];
}

/** Add a value under the parameter's lower-case name. */
function add(params: DaliParams, name: string, value: string): void {
  const key = name.toLowerCase();
  const list = params.get(key);
  if (list) list.push(value);
  else params.set(key, [value]);
}

/**
 * Read every parameter of a request. File parts go to `onFile`, which must consume the stream
 * (or the body stalls); without `onFile`, a file part is a 400.
 */
export async function readDaliParams(
  ctx: Context,
  limits: ParamLimits,
  onFile?: (part: UploadPart) => Promise<void>,
): Promise<DaliParams> {
  const params: DaliParams = new Map();
  let count = 0;
  for (const [k, v] of Object.entries(ctx.query)) {
    for (const value of Array.isArray(v) ? v : [v ?? '']) {
      if (++count > limits.maxFields) throw new BadRequestError(`too many parameters (more than ${limits.maxFields})`);
      add(params, k, value);
    }
  }
  const type = ctx.get('content-type');
  if (ctx.method !== 'POST' || !type) return params;
  if (!/^(application\/x-www-form-urlencoded|multipart\/form-data)/i.test(type)) {
    throw new BadRequestError(`unsupported Content-Type '${type}': send application/x-www-form-urlencoded or multipart/form-data`);
  }
  await new Promise<void>((resolve, reject) => {
    let bb: busboy.Busboy;
    try {
      bb = busboy({
        headers: ctx.req.headers,
        limits: { fields: limits.maxFields, fieldSize: limits.maxFieldBytes, fileSize: limits.maxFileBytes, parts: limits.maxFields * 2 },
      });
    } catch (e) {
      reject(new BadRequestError(`malformed request body: ${(e as Error).message}`));
      return;
    }
    const pending: Promise<void>[] = [];
    const open = new Set<Readable>();
    let failed: Error | null = null;
    // On failure the parts still being written are cut, and only once every consumer has
    // settled does the caller hear of it: then nothing writes into a spool it removes.
    const fail = (e: Error) => {
      if (failed) return;
      failed = e;
      ctx.req.unpipe(bb);
      ctx.req.resume();
      for (const s of open) s.destroy(e);
      void Promise.allSettled(pending).then(() => reject(e));
    };
    ctx.req.once('aborted', () => fail(new BadRequestError('the client closed the connection before the request body ended')));
    ctx.req.once('error', (e: Error) => fail(new BadRequestError(`the request body could not be read: ${e.message}`)));
    bb.on('field', (name: string | undefined, value, info) => {
      // busboy gives no name for `name=""`: a client error, never a crash.
      if (!name) return fail(new BadRequestError('a multipart part has no name'));
      if (info.valueTruncated) return fail(new LimitExceededError(`parameter ${name} is longer than ${limits.maxFieldBytes} bytes`));
      if (++count > limits.maxFields) return fail(new BadRequestError(`too many parameters (more than ${limits.maxFields})`));
      add(params, name, value);
    });
    bb.on('file', (field: string | undefined, stream: Readable, info) => {
      if (failed) return void stream.resume();
      if (!field) {
        stream.resume();
        return fail(new BadRequestError('a multipart part has no name'));
      }
      if (!onFile) {
        stream.resume();
        return fail(new BadRequestError(`unexpected file part '${field}'`));
      }
      open.add(stream);
      stream.once('close', () => open.delete(stream));
      stream.on('limit', () => fail(new LimitExceededError(`upload '${field}' is larger than ${limits.maxFileBytes} bytes`)));
      pending.push(
        onFile({ field, filename: info.filename ?? field, mimeType: info.mimeType, stream }).catch((e: Error) => {
          stream.resume();
          fail(e);
        }),
      );
    });
    bb.on('fieldsLimit', () => fail(new BadRequestError(`too many parameters (more than ${limits.maxFields})`)));
    bb.on('partsLimit', () => fail(new BadRequestError(`too many parts in the multipart body (at most ${limits.maxFields * 2})`)));
    bb.on('error', (e: Error) => fail(new BadRequestError(`malformed request body: ${e.message}`)));
    bb.on('close', () => {
      void Promise.all(pending).then(
        () => {
          if (!failed) resolve();
        },
        (e: Error) => fail(e),
      );
    });
    ctx.req.pipe(bb);
  });
  return params;
}
