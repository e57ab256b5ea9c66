import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { HttpError } from '../errors';

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * A shared bearer token (the dashboard's, or the metrics scrape token). Compared in constant time
 * (on digests, so the length leaks nothing either). With no token configured nobody gets in.
 */
export function bearerToken(token: string | undefined, realm: 'dashboard' | 'metrics' = 'dashboard'): MiddlewareHandler {
  const expected = token ? digest(token) : undefined;
  return async (c, next) => {
    if (!expected) throw new HttpError(401, `the ${realm} is disabled: set ${realm}.token (TOURNIQUET_${realm.toUpperCase()}_TOKEN)`, 'unauthorized');
    const presented = /^Bearer (.+)$/i.exec(c.req.header('authorization') ?? '')?.[1];
    if (!presented || !timingSafeEqual(digest(presented), expected)) {
      c.header('WWW-Authenticate', `Bearer realm="tourniquet-${realm}"`);
      throw new HttpError(401, `a valid ${realm} token is required`, 'unauthorized');
    }
    await next();
  };
}
