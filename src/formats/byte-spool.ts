/**
 * A temporary store of byte frames, for answers whose header needs facts known only at the end
 * (FITS: the row count and string widths; IPAC: column widths). Frames stay in memory while they
 * add up to at most 1 MB (a cone's answer: no file made, written, read and deleted per request);
 * past that they go to a file in a fresh folder under the scratch folder. Frames come back in
 * the order they were added, as often as asked; `dispose` deletes the file.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { scratchPrefix } from '../system/scratch.js';

/** Bytes of frames held in memory before they go to the file. */
const MEMORY_BYTES = 1 << 20;

export class ByteSpool {
  private held: Buffer[] = [];
  private heldBytes = 0;
  /** The file, once frames had to be written. */
  private file: { dir: string; handle: fs.FileHandle } | null = null;
  private size = 0;
  private disposed = false;

  /** A spool whose file, if it needs one, goes in a fresh folder under `root`. */
  constructor(private readonly root: string) {}

  /** Adds a frame; the spool keeps it (the caller must not change it afterwards). */
  async add(frame: Buffer): Promise<void> {
    if (frame.length === 0) return;
    this.held.push(frame);
    this.heldBytes += frame.length;
    if (this.heldBytes > MEMORY_BYTES) await this.flush();
  }

  /**
   * The frames, in the order they were added. A frame read from the file is valid until the
   * next is asked for: its buffer is read into again (a megabyte of garbage a frame otherwise).
   */
  async *frames(): AsyncGenerator<Buffer> {
    const head = Buffer.alloc(4);
    let buf = Buffer.alloc(0);
    let at = 0;
    while (at < this.size) {
      const { handle } = this.file!;
      await handle.read(head, 0, 4, at);
      const len = head.readUInt32BE(0);
      if (buf.length < len) buf = Buffer.allocUnsafe(len);
      await handle.read(buf, 0, len, at + 4);
      at += 4 + len;
      yield buf.subarray(0, len);
    }
    yield* this.held;
  }

  /** Closes and deletes the file; safe to call twice. */
  async dispose(): Promise<void> {
    this.disposed = true;
    this.held = [];
    const file = this.file;
    if (!file) return;
    await file.handle.close().catch(() => undefined);
    await fs.rm(file.dir, { recursive: true, force: true });
  }

  /** Writes the held frames to the file, each after its 4-byte length. */
  private async flush(): Promise<void> {
    const { handle } = await this.openFile();
    for (const frame of this.held) {
      const head = Buffer.alloc(4);
      head.writeUInt32BE(frame.length, 0);
      await handle.writev([head, frame], this.size);
      this.size += 4 + frame.length;
    }
    this.held = [];
    this.heldBytes = 0;
  }

  private async openFile(): Promise<{ dir: string; handle: fs.FileHandle }> {
    if (this.file) return this.file;
    // The scratch folder may not exist yet (a fresh DATA_DIR): make it rather than fail mid-answer.
    await fs.mkdir(this.root, { recursive: true });
    const dir = await fs.mkdtemp(path.join(this.root, scratchPrefix('vodax-spool')));
    try {
      const handle = await fs.open(path.join(dir, 'rows'), 'w+');
      this.file = { dir, handle };
    } catch (e) {
      await fs.rm(dir, { recursive: true, force: true });
      throw e;
    }
    // Disposed while the file was being made (the consumer left): remove it at once.
    if (this.disposed) await this.dispose();
    return this.file!;
  }
}
