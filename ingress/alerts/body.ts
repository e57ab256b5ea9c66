import type { IncomingMessage } from 'node:http';
import type { Context } from 'hono';
import { HttpError } from '../errors';

const tooLarge = (max: number) => new HttpError(413, `body exceeds ${max} bytes`, 'too_large');
const tooSlow = (ms: number) => new HttpError(408, `body not received within ${ms} ms; send it whole and promptly`, 'body_timeout');

/**
 * Where a request's body is read from. Served over HTTP, the Node request itself: the Web
 * `Request` that `c.req.raw.body` builds around it (undici's Request and two stream adapters)
 * cost more CPU per webhook than reading the body does. Its iterator leaves the request open
 * when reading stops, so a refusal can still be written (ingress/alerts/route.ts closes the
 * connection after it). In-process (`app.request`), the Web request's stream.
 */
export function bodyChunks(c: Context): AsyncIterator<Uint8Array> | undefined {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  if (incoming) return incoming.iterator({ destroyOnReturn: false });
  return c.req.raw.body?.[Symbol.asyncIterator]();
}

/**
 * The raw body, refused as soon as it is known to exceed `max` (a declared Content-Length is
 * refused before this, by the route): while reading, for senders that stream without one or
 * understate it. The whole body must arrive within `timeoutMs`, a total rather than an idle
 * bound: a sender trickling a byte at a time (or stopping half-way) would otherwise hold the
 * request open for as long as it likes.
 */
export async function readBodyWithin(chunks: AsyncIterator<Uint8Array> | undefined, max: number, timeoutMs: number): Promise<Uint8Array> {
  if (!chunks) return new Uint8Array(0);
  let timer: NodeJS.Timeout | undefined;
  // Not cancelled on expiry: cancelling would destroy the socket before the 408 is written.
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(tooSlow(timeoutMs)), timeoutMs);
  });
  const read: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await Promise.race([chunks.next(), expired]);
      if (done) break;
      size += value.byteLength;
      if (size > max) {
        await chunks.return?.();
        throw tooLarge(max);
      }
      read.push(value);
    }
  } finally {
    clearTimeout(timer);
  }
  const body = new Uint8Array(size);
  let at = 0;
  for (const chunk of read) {
    body.set(chunk, at);
    at += chunk.byteLength;
  }
  return body;
}
