/** A file part of a multipart request, as the request reader hands it to whoever stores it. */
import type { Readable } from 'node:stream';

/** A file part: its form field name, file name, media type, and content stream. */
export interface UploadPart {
  field: string;
  filename: string;
  mimeType: string;
  /** Must be consumed (or the request body stalls); never held in memory by the reader. */
  stream: Readable;
}
