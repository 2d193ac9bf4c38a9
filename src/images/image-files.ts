/**
 * Opening the files of registered images, under DATA_DIR/images. Each request may open its
 * file afresh (openImageFile), or take it from an ImageFileCache: the server's few most recently
 * used files kept open with their headers parsed, so a run of cutouts of one image does not
 * reopen and reparse it every time (open, header reads and close were about a fifth of a
 * 100x100 cutout). The path is checked under the image store on every use, cached or not.
 */
import fs from 'node:fs';
import path from 'node:path';
import { NotFoundError } from '../errors.js';
import { resolveUnder } from '../auth/safe-path.js';
import { FitsFile } from '../fits/file.js';
import type { ImageRecord } from './image-catalog.js';

/** The image fields that name its file. */
export type ImageFileRef = Pick<ImageRecord, 'id' | 'path'>;

/** An open image file lent to one use; `release` once when done (it may close the file). */
export interface ImageFileLease {
  file: FitsFile;
  release(): Promise<void>;
}

/** Where image answers get their files from. */
export interface ImageFileSource {
  open(image: ImageFileRef): Promise<ImageFileLease>;
}

/** The file's full path; it must stay under DATA_DIR/images (symbolic links included). */
async function imageFilePath(dataDir: string, image: ImageFileRef): Promise<string> {
  try {
    return await resolveUnder(path.join(dataDir, 'images'), ...image.path.split('/'));
  } catch {
    throw new NotFoundError(`the file of image ${image.id} is not under the image store`);
  }
}

/** A file gone from the store is a 404 naming the image; other errors stay as they are. */
function notFoundIfMissing(image: ImageFileRef, e: unknown): unknown {
  if ((e as NodeJS.ErrnoException).code === 'ENOENT') return new NotFoundError(`the file of image ${image.id} is missing from the image store`);
  return e;
}

/** Opens the file of a registered image; its path must stay under DATA_DIR/images. */
export async function openImageFile(dataDir: string, image: ImageFileRef): Promise<FitsFile> {
  const full = await imageFilePath(dataDir, image);
  try {
    return await FitsFile.open(full);
  } catch (e) {
    throw notFoundIfMissing(image, e);
  }
}

/** Files opened for each use and closed after it. */
export function uncachedImageFiles(dataDir: string): ImageFileSource {
  return {
    open: async (image) => {
      const file = await openImageFile(dataDir, image);
      let closed: Promise<void> | null = null;
      return { file, release: () => (closed ??= file.close()) };
    },
  };
}

/** Which file a path leads to, and which version of it: a file replaced or rewritten differs. */
function versionOf(st: fs.BigIntStats): string {
  return `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
}

interface CachedFile {
  file: FitsFile;
  version: string;
  /** Leases not yet released. */
  users: number;
  /** Out of the cache: closed when its last lease is released. */
  retired: boolean;
}

/** Options of an ImageFileCache. */
export interface ImageFileCacheOptions {
  /** Most files kept open. */
  capacity?: number;
  /**
   * A file changed this recently (ms) is not kept: file times are only as fine as the kernel's
   * clock tick, so a file rewritten again within the tick, at the same size, would look unchanged.
   */
  settleMs?: number;
}

/**
 * The server's open image files, at most `capacity`, least recently used closed first. A cached
 * file is used only while the path still leads to the same version of it (device, inode, size,
 * modification and change times, one stat per use); otherwise it is opened afresh. Files in use
 * when they leave the cache are closed when released.
 */
export class ImageFileCache implements ImageFileSource {
  private readonly files = new Map<string, CachedFile>();
  private readonly capacity: number;
  private readonly settleMs: number;

  constructor(
    private readonly dataDir: string,
    options: ImageFileCacheOptions = {},
  ) {
    this.capacity = options.capacity ?? 32;
    this.settleMs = options.settleMs ?? 2000;
  }

  async open(image: ImageFileRef): Promise<ImageFileLease> {
    const full = await imageFilePath(this.dataDir, image);
    let st: fs.BigIntStats;
    try {
      st = await fs.promises.stat(full, { bigint: true });
    } catch (e) {
      const gone = this.files.get(full);
      if (gone) this.retire(full, gone);
      throw notFoundIfMissing(image, e);
    }
    const version = versionOf(st);
    const cached = this.files.get(full);
    if (cached && cached.version === version) {
      // Most recently used last: the Map keeps insertion order.
      this.files.delete(full);
      this.files.set(full, cached);
      return this.lease(cached);
    }
    if (cached) this.retire(full, cached);
    let file: FitsFile;
    try {
      file = await FitsFile.open(full);
    } catch (e) {
      throw notFoundIfMissing(image, e);
    }
    const entry: CachedFile = { file, version, users: 0, retired: false };
    const changedMs = Number(st.ctimeNs / 1_000_000n);
    if (Date.now() - changedMs < this.settleMs) {
      entry.retired = true;
      return this.lease(entry);
    }
    // Another use may have opened the same file meanwhile: the newer entry wins.
    const raced = this.files.get(full);
    if (raced) this.retire(full, raced);
    this.files.set(full, entry);
    for (const [oldest, e] of this.files) {
      if (this.files.size <= this.capacity) break;
      this.retire(oldest, e);
    }
    return this.lease(entry);
  }

  /** Closes the files not in use and empties the cache; files in use close when released. */
  async close(): Promise<void> {
    const idle: Promise<void>[] = [];
    for (const [full, e] of [...this.files]) {
      this.files.delete(full);
      e.retired = true;
      if (e.users === 0) idle.push(e.file.close());
    }
    await Promise.all(idle);
  }

  private lease(entry: CachedFile): ImageFileLease {
    entry.users++;
    let released: Promise<void> | null = null;
    return {
      file: entry.file,
      release: () =>
        (released ??= (async () => {
          entry.users--;
          if (entry.retired && entry.users === 0) await entry.file.close();
        })()),
    };
  }

  private retire(full: string, entry: CachedFile): void {
    if (this.files.get(full) === entry) this.files.delete(full);
    if (entry.retired) return;
    entry.retired = true;
    if (entry.users === 0) void entry.file.close().catch(() => undefined);
  }
}
