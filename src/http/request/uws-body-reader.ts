/**
 * UWS request parameters: from the query string and a form-urlencoded or multipart body,
 * names case-insensitive (kept lower-cased), multipart files streamed to a folder.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import busboy from 'busboy';
import type { Readable } from 'node:stream';
import type { Context } from 'koa';
import { BadRequestError, LimitExceededError } from '../../errors.js';
import { isSafeName } from '../../jobs/job-files.js';
import type { JobParameters } from '../../jobs/job-model.js';

/** Limits of one request's parameters. */
export interface ParamLimits {
  /** Largest form body or form field (bytes). */
  formBytes: number;
  /** Largest uploaded file (bytes). */
  fileBytes: number;
  /** Most parameters. */
  fields: number;
  /** Most files. */
  files: number;
}

/** Default limits: generous for ADQL text, bounded for everything else. */
export const DEFAULT_PARAM_LIMITS: ParamLimits = { formBytes: 4 * 1024 * 1024, fileBytes: 100 * 1024 * 1024, fields: 1000, files: 20 };

/** What a request carried: parameters, and the names of the files written to `fileDir`. */
export interface UwsParams {
  params: JobParameters;
  files: string[];
}

/** Add one value to parameters, lower-casing its name and counting against the limit. */
function add(params: JobParameters, name: string, value: string, limits: ParamLimits): void {
  const key = name.toLowerCase();
  (params[key] ??= []).push(value);
  const n = Object.values(params).reduce((s, v) => s + v.length, 0);
  if (n > limits.fields) throw new BadRequestError(`more than ${limits.fields} parameters`);
}

/**
 * Read the parameters of a request. Files (multipart parts with a file name) are written to
 * the folder `fileDir()` gives; without `fileDir`, a file is a 400.
 */
export async function readUwsParams(ctx: Context, limits: ParamLimits, fileDir?: () => Promise<string>): Promise<UwsParams> {
  const params: JobParameters = {};
  for (const [name, value] of new URLSearchParams(ctx.querystring)) add(params, name, value, limits);
  const files: string[] = [];
  if (ctx.method !== 'POST' && ctx.method !== 'PUT') return { params, files };
  const type = (ctx.get('content-type') || '').split(';')[0]!.trim().toLowerCase();
  if (type === 'application/x-www-form-urlencoded' || (type === '' && hasBody(ctx))) {
    const text = await readText(ctx, limits.formBytes);
    for (const [name, value] of new URLSearchParams(text)) add(params, name, value, limits);
  } else if (type === 'multipart/form-data') {
    await readMultipart(ctx, limits, params, files, fileDir);
  } else if (hasBody(ctx)) {
    throw new BadRequestError(`UWS parameters come as application/x-www-form-urlencoded or multipart/form-data, not ${type}`);
  }
  return { params, files };
}

/** True when the request announces a body. */
function hasBody(ctx: Context): boolean {
  const len = ctx.get('content-length');
  return (len !== '' && len !== '0') || ctx.get('transfer-encoding') !== '';
}

/** The body as UTF-8 text, refused past `max` bytes. */
async function readText(ctx: Context, max: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > max) throw new LimitExceededError(`request body larger than ${max} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Parse a multipart body with busboy: fields to `params`, files streamed to disk. */
async function readMultipart(ctx: Context, limits: ParamLimits, params: JobParameters, files: string[], fileDir?: () => Promise<string>): Promise<void> {
  let bb: busboy.Busboy;
  try {
    bb = busboy({
      headers: ctx.req.headers,
      limits: { fieldSize: limits.formBytes, fields: limits.fields, fileSize: limits.fileBytes, files: limits.files },
    });
  } catch (e) {
    throw new BadRequestError(`malformed multipart request: ${(e as Error).message}`);
  }
  const writes: Promise<void>[] = [];
  const open = new Set<Readable>();
  let failure: Error | null = null;
  const fail = (e: Error) => {
    failure ??= e;
  };
  bb.on('field', (name: string | undefined, value, info) => {
    // busboy gives no name for `name=""`: a client error, never a crash.
    if (!name) fail(new BadRequestError('a multipart part has no name'));
    else if (info.valueTruncated) fail(new LimitExceededError(`parameter ${name} is longer than ${limits.formBytes} bytes`));
    else {
      try {
        add(params, name, value, limits);
      } catch (e) {
        fail(e as Error);
      }
    }
  });
  bb.on('file', (name: string | undefined, stream) => {
    if (!name) {
      fail(new BadRequestError('a multipart part has no name'));
      stream.resume();
      return;
    }
    if (failure || !fileDir) {
      fail(failure ?? new BadRequestError('this resource takes no file uploads'));
      stream.resume();
      return;
    }
    if (!isSafeName(name) || name === 'uploads') {
      fail(new BadRequestError(`upload part name '${name}' must be letters, digits, '.', '_' or '-'`));
      stream.resume();
      return;
    }
    stream.on('limit', () => fail(new LimitExceededError(`upload ${name} is larger than ${limits.fileBytes} bytes`)));
    open.add(stream);
    stream.once('close', () => open.delete(stream));
    files.push(name);
    writes.push(
      fileDir()
        .then((dir) => pipeline(stream, fs.createWriteStream(path.join(dir, name))))
        .catch((e: Error) => {
          fail(e);
          stream.resume();
        }),
    );
  });
  bb.on('fieldsLimit', () => fail(new BadRequestError(`more than ${limits.fields} parameters`)));
  bb.on('filesLimit', () => fail(new BadRequestError(`more than ${limits.files} files`)));
  await new Promise<void>((resolve) => {
    // A body that breaks off cuts the files still being written, so that every write has ended
    // (and nothing writes into a folder the caller removes) before the failure is reported.
    const broken = (e: Error) => {
      fail(e);
      ctx.req.unpipe(bb);
      ctx.req.resume();
      for (const s of open) s.destroy(e);
      resolve();
    };
    bb.on('close', resolve);
    bb.on('error', (e: Error) => broken(new BadRequestError(`malformed multipart request: ${e.message}`)));
    ctx.req.once('error', (e: Error) => broken(new BadRequestError(`the request body could not be read: ${e.message}`)));
    ctx.req.once('aborted', () => broken(new BadRequestError('the client closed the connection before the request body ended')));
    ctx.req.pipe(bb);
  });
  await Promise.all(writes);
  if (failure) throw failure;
}
