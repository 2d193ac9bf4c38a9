/** Absolute links: PUBLIC_URL when configured, else derived from the request. */
import type { Context } from 'koa';

/** The base URL (no trailing slash) that links in answers start with. */
export function baseUrl(ctx: Context, publicUrl: string | null): string {
  if (publicUrl) return publicUrl;
  return `${ctx.protocol}://${ctx.host}`;
}
