import { HttpError } from '../errors';

const tooLarge = (max: number) => new HttpError(413, `body exceeds ${max} bytes`, 'too_large');
const tooSlow = (ms: number) => new HttpError(408, `body not received within ${ms} ms; send it whole and promptly`, 'body_timeout');

/**
 * The raw body, refused as soon as it is known to exceed `max`: from Content-Length before reading,
 * and while reading for senders that stream without one (or understate it). The whole body must
 * arrive within `timeoutMs`, a total rather than an idle bound: a sender trickling a byte at a time
 * (or stopping half-way) would otherwise hold the request open for as long as it likes.
 */
export async function readBodyWithin(request: Request, max: number, timeoutMs: number): Promise<Uint8Array> {
  const declared = request.headers.get('content-length');
  if (declared !== null && Number(declared) > max) throw tooLarge(max);
  if (!request.body) return new Uint8Array(0);
  const reader = request.body.getReader();
  let timer: NodeJS.Timeout | undefined;
  // Not cancelled on expiry: cancelling would destroy the socket before the 408 is written.
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(tooSlow(timeoutMs)), timeoutMs);
  });
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await Promise.race([reader.read(), expired]);
      if (done) break;
      size += value.byteLength;
      if (size > max) {
        await reader.cancel().catch(() => undefined);
        throw tooLarge(max);
      }
      chunks.push(value);
    }
  } finally {
    clearTimeout(timer);
  }
  const body = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    body.set(chunk, at);
    at += chunk.byteLength;
  }
  return body;
}
