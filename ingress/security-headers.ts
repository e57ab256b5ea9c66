import type { MiddlewareHandler } from 'hono';

/** One year, the floor for HSTS preload lists; only ever sent over HTTPS, where a browser honours it. */
const HSTS = 'max-age=31536000';

/**
 * Headers every ingress response carries (dashboard, its API, the codec endpoint, alert answers):
 * - `X-Content-Type-Options: nosniff`: a JSON answer echoing a sender's text is never run as a script.
 * - `frame-ancestors 'none'`: no page frames the dashboard or the codec sign-in (clickjacking). It is
 *   added to a route's own policy (the dashboard's `default-src 'self'`), never replacing it. The
 *   Temporal UI calls the codec endpoint with fetch (CORS), which framing rules do not touch.
 * - `Referrer-Policy: no-referrer`: incident ids in dashboard URLs do not leak to other sites.
 * - `Cache-Control: no-store`: incident data and decoded payloads stay out of browser and proxy
 *   caches. A route that chose its own caching keeps it (the dashboard's static, data-free assets).
 * - `Strict-Transport-Security` when the request came over TLS.
 */
export function securityHeaders(): MiddlewareHandler {
  return async (c, next) => {
    await next();
    const headers = c.res.headers;
    const set = (name: string, value: string) => {
      if (!headers.has(name)) headers.set(name, value);
    };
    headers.set('X-Content-Type-Options', 'nosniff');
    set('Referrer-Policy', 'no-referrer');
    set('Cache-Control', 'no-store');
    const policy = headers.get('Content-Security-Policy');
    if (!policy) headers.set('Content-Security-Policy', "frame-ancestors 'none'");
    else if (!/(^|;)\s*frame-ancestors\s/i.test(policy)) headers.set('Content-Security-Policy', `${policy}; frame-ancestors 'none'`);
    if (new URL(c.req.url).protocol === 'https:') headers.set('Strict-Transport-Security', HSTS);
  };
}
