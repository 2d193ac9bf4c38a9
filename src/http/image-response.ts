/** Sending an image answer (whole image, cutout, preview, HDF5): one way for the LSST face and SODA. */
import type { Context } from 'koa';
import type { ImageAnswer } from '../images/image-service.js';

/**
 * Answer with the image `produce` makes. A client gone while it is being made (an HDF5 answer is
 * written before it is sent) aborts the signal, which stops the writing.
 */
export async function sendImageAnswer(ctx: Context, produce: (signal: AbortSignal) => Promise<ImageAnswer>): Promise<void> {
  const gone = new AbortController();
  const onClose = () => gone.abort();
  ctx.res.once('close', onClose);
  let answer: ImageAnswer;
  try {
    answer = await produce(gone.signal);
  } finally {
    ctx.res.off('close', onClose);
  }
  ctx.status = 200;
  ctx.type = answer.type;
  ctx.length = answer.length;
  ctx.set('Content-Disposition', `inline; filename="${answer.filename}"`);
  if (answer.box) ctx.set('X-Vodax-Cutout', `x ${answer.box.x0}..${answer.box.x1}, y ${answer.box.y0}..${answer.box.y1}${answer.clipped ? ' (clipped)' : ''}`);
  // Koa destroys a stream body when the response ends or the client goes (HEAD, unread): that releases the file.
  ctx.body = answer.body;
}
