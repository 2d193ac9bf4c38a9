/**
 * Paths built from what a request says (job ids, image file names) must stay under a root
 * (DATA_DIR or a folder in it). Each part is one plain name: no separators, no `.`/`..`, no
 * percent-encoded forms, no NUL; and symbolic links may not lead out of the root.
 */
import fs from 'node:fs';
import path from 'node:path';
import { BadRequestError } from '../errors.js';

/** A path part a request gave that could lead out of its root. */
export class UnsafePathError extends BadRequestError {}

/** Check that `part` is a single plain file name, or throw UnsafePathError. */
export function checkPathPart(part: string): string {
  const shown = JSON.stringify(part.slice(0, 80));
  if (part === '' || part === '.' || part === '..') throw new UnsafePathError(`path part ${shown} is not a name`);
  if (part.includes('\0')) throw new UnsafePathError(`path part ${shown} holds a NUL character`);
  if (/[/\\]/.test(part)) throw new UnsafePathError(`path part ${shown} holds a path separator`);
  // Encoded forms are never decoded here, but a later decoder could: refuse them outright.
  if (/%[0-9a-f]{2}/i.test(part) || /%u[0-9a-f]{4}/i.test(part)) throw new UnsafePathError(`path part ${shown} holds a percent-encoded character`);
  if (/[\u0000-\u001f\u007f]/.test(part)) throw new UnsafePathError(`path part ${shown} holds a control character`);
  if (Buffer.byteLength(part) > 255) throw new UnsafePathError(`path part ${shown}... is longer than 255 bytes`);
  return part;
}

/**
 * Lexically join `parts` under `root`, each checked by checkPathPart; the result is absolute
 * and inside `root`. Does not look at the file system (see resolveUnder for symbolic links).
 */
export function joinUnder(root: string, ...parts: string[]): string {
  const base = path.resolve(root);
  for (const p of parts) checkPathPart(p);
  const full = path.resolve(base, ...parts);
  if (!isInside(base, full)) throw new UnsafePathError(`path leads outside its root`);
  return full;
}

/**
 * Join `parts` under `root` (as joinUnder) and make sure that, following symbolic links, the
 * deepest existing ancestor of the result (the result itself when it exists) is inside the
 * real `root`. Works for files about to be written as for files to read.
 */
export async function resolveUnder(root: string, ...parts: string[]): Promise<string> {
  const full = joinUnder(root, ...parts);
  const realRoot = await fs.promises.realpath(path.resolve(root));
  let probe = full;
  for (;;) {
    const real = await fs.promises.realpath(probe).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT' || e.code === 'ENOTDIR') return null;
      throw e;
    });
    if (real !== null) {
      if (!isInside(realRoot, real)) throw new UnsafePathError(`path leads outside its root through a symbolic link`);
      break;
    }
    // A dangling symbolic link would be followed by a later write: refuse it.
    const stat = await fs.promises.lstat(probe).catch(() => null);
    if (stat?.isSymbolicLink()) throw new UnsafePathError(`path leads through a dangling symbolic link`);
    const parent = path.dirname(probe);
    if (parent === probe) break;
    probe = parent;
  }
  return full;
}

/** True when `child` is `parent` or below it (both absolute, normalised). */
function isInside(parent: string, child: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (rel !== '..' && !rel.startsWith('..' + path.sep) && !path.isAbsolute(rel));
}
