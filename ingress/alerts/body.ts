import { HttpError } from '../errors';

const tooLarge = (max: number) => new HttpError(413, `body exceeds ${max} bytes`, 'too_large');

/**
 * The raw body, refused as soon as it is known to exceed `max`: from Content-Length before reading,
 * and while reading for senders that stream without one (or understate it).
 */
export async function readBodyWithin(request: Request, max: number): Promise<Uint8Array> {
  const declared = request.headers.get('content-length');
  if (declared !== null && Number(declared) > max) throw tooLarge(max);
  if (!request.body) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge(max);
    }
    chunks.push(value);
  }
  const body = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    body.set(chunk, at);
    at += chunk.byteLength;
  }
  return body;
}
