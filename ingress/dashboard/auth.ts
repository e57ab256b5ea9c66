import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { HttpError } from '../errors';

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * The dashboard API's shared bearer token. Compared in constant time (on digests, so the length
 * leaks nothing either). With no token configured nobody gets in: the data is not public.
 */
export function bearerToken(token: string | undefined): MiddlewareHandler {
  const expected = token ? digest(token) : undefined;
  return async (c, next) => {
    if (!expected) throw new HttpError(401, 'the dashboard is disabled: set dashboard.token (TOURNIQUET_DASHBOARD_TOKEN)', 'unauthorized');
    const presented = /^Bearer (.+)$/i.exec(c.req.header('authorization') ?? '')?.[1];
    if (!presented || !timingSafeEqual(digest(presented), expected)) {
      c.header('WWW-Authenticate', 'Bearer realm="tourniquet-dashboard"');
      throw new HttpError(401, 'a valid dashboard token is required', 'unauthorized');
    }
    await next();
  };
}
