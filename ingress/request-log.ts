import type { MiddlewareHandler } from 'hono';
import { correlationIdFrom, type Logger } from '../platform/logger';

/**
 * One structured line per request, with a correlation id that is echoed in `X-Request-Id` and
 * handed to handlers (`c.get('log')`). Paths are logged, bodies and query strings never.
 */
export function requestLog(log: Logger): MiddlewareHandler<{ Variables: { log: Logger; correlationId: string } }> {
  return async (c, next) => {
    const correlationId = correlationIdFrom(c.req.header('x-request-id'));
    const child = log.child({ correlationId });
    c.set('correlationId', correlationId);
    c.set('log', child);
    const started = performance.now();
    await next();
    c.header('X-Request-Id', correlationId);
    const status = c.res.status;
    const line = { method: c.req.method, path: c.req.path, status, ms: Math.round((performance.now() - started) * 10) / 10 };
    if (status >= 500) child.error(line, 'request failed');
    else if (status >= 400) child.warn(line, 'request refused');
    else child.info(line, 'request');
  };
}
