import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

/** An error with the HTTP status it means; anything else is a 500 (or 503 for Temporal). */
export class HttpError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    message: string,
    readonly code = 'bad_request',
  ) {
    super(message);
  }
}

/** Temporal unreachable: the sender should retry later, so 503, never a 4xx. */
export class UpstreamUnavailable extends HttpError {
  constructor(message: string) {
    super(503, message, 'temporal_unavailable');
  }
}

/** The one place errors become responses. */
export function errorResponse(err: Error, c: Context) {
  if (err instanceof HttpError) return c.json({ error: err.code, message: err.message }, err.status);
  return c.json({ error: 'internal', message: 'internal error' }, 500);
}
