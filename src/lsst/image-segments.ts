/**
 * What the segment after /image/v0/ names. The v0 URL shapes put image levels
 * (/image/v0/{level}/...) and jobs (/image/v0/{job}/status) in the same place, beside the IVOA
 * services (/image/v0/sia, /image/v0/hips): each request goes to exactly one of them, whatever
 * the mount order. Job ids never collide: they are 22 characters of base64url (tested).
 */
import type { Context } from 'koa';
import { canonicalLevel } from '../catalog/levels.js';
import { IVOA_IMAGE_SEGMENTS } from '../ivoa/paths.js';

const PREFIX = '/image/v0/';

/** The kind of the first segment after /image/v0/ (null: the path is not below /image/v0/). */
export function imageSegmentKind(path: string): 'level' | 'service' | 'job' | null {
  if (!path.startsWith(PREFIX)) return null;
  const segment = path.slice(PREFIX.length).split('/')[0]!;
  if (segment === '') return null;
  if (IVOA_IMAGE_SEGMENTS.includes(segment)) return 'service';
  return canonicalLevel(segment) !== null ? 'level' : 'job';
}

/** True for requests below /image/v0/{level}/ (and the rest of the face outside /image/v0/). */
export const notAJobPath = (ctx: Context): boolean => imageSegmentKind(ctx.path) !== 'job';

/** True for requests below /image/v0/{job}/. */
export const isJobPath = (ctx: Context): boolean => imageSegmentKind(ctx.path) === 'job';
