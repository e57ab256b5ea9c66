import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { CodecError, KeyMismatchError, type KeyRing } from './key-ring';

/**
 * Encryption at rest for every store that can hold PHI (raw alert payloads, evidence artifacts
 * and manifests, audit checkpoints): AES-256-GCM under the codec's key ring, so the keys that
 * protect Temporal history protect the stores too, and rotate the same way.
 *
 * A sealed object is `TQE1`, a 2-byte header length, the header (JSON: algorithm, key id, key
 * check, nonce, and the wrapped data key under KMS), then ciphertext and the 16-byte tag. The
 * additional authenticated data is everything before the ciphertext plus the object's name in its
 * store, so neither the header nor the name can change unnoticed (an object moved to another key
 * does not open). The key check is an HMAC of the key: it tells "sealed under another key with
 * this id" from "a changed byte", which GCM alone cannot.
 */

const MAGIC = Buffer.from('TQE1', 'latin1');
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const ALGORITHM = 'AES-256-GCM';

interface Header {
  alg: typeof ALGORITHM;
  /** key id, as the codec names keys */
  kid: string;
  /** key check: HMAC-SHA256(key, KEY_CHECK_LABEL), first 8 bytes, hex */
  kc: string;
  /** nonce, base64 */
  n: string;
  /** KMS data key wrapped by the master key, base64 */
  wk?: string;
}

const KEY_CHECK_LABEL = 'tourniquet at-rest key check v1';

/**
 * Why a sealed object does not open. `unknown-key`: no configured key has its id. `wrong-key`: a
 * key with that id is configured, but not the one it was sealed with. `altered`: the right key,
 * and the bytes (or the name) changed. `malformed`: not a sealed object any more (truncated, or its
 * header is not ours).
 */
export type UnsealReason = 'unknown-key' | 'wrong-key' | 'altered' | 'malformed';

export class UnsealError extends Error {
  override name = 'UnsealError';
  constructor(
    readonly reason: UnsealReason,
    message: string,
  ) {
    super(message);
  }
}

/** Whether stored bytes are a sealed object (anything else was written before encryption at rest). */
export function isSealed(bytes: Uint8Array): boolean {
  return bytes.length >= MAGIC.length && Buffer.from(bytes.subarray(0, MAGIC.length)).equals(MAGIC);
}

function keyCheck(key: Uint8Array): string {
  return createHmac('sha256', key).update(KEY_CHECK_LABEL).digest('hex').slice(0, 16);
}

function aad(prefix: Uint8Array, name: string): Buffer {
  return Buffer.concat([prefix, Buffer.from([0]), Buffer.from(name, 'utf8')]);
}

/** `plain` sealed for the store object `name` under the ring's active key (or this process's KMS data key). */
export async function seal(ring: KeyRing, plain: Uint8Array, name: string): Promise<Buffer> {
  const { id, key, wrapped } = await ring.sealingKey();
  const nonce = randomBytes(NONCE_BYTES);
  const header: Header = { alg: ALGORITHM, kid: id, kc: keyCheck(key), n: nonce.toString('base64'), ...(wrapped ? { wk: Buffer.from(wrapped).toString('base64') } : {}) };
  const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
  const length = Buffer.alloc(2);
  length.writeUInt16BE(headerBytes.length);
  const prefix = Buffer.concat([MAGIC, length, headerBytes]);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(aad(prefix, name));
  return Buffer.concat([prefix, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
}

/**
 * The plaintext of a sealed object stored as `name`. Every way it can fail is an UnsealError with
 * its reason, except that a KMS that cannot be reached stays the KMS client's error (retry it; the
 * object is not shown to be altered by it).
 */
export async function unseal(ring: KeyRing, sealed: Uint8Array, name: string): Promise<Buffer> {
  const bytes = Buffer.from(sealed);
  if (!isSealed(bytes) || bytes.length < MAGIC.length + 2) throw new UnsealError('malformed', `${name} is not an encrypted object`);
  const headerLength = bytes.readUInt16BE(MAGIC.length);
  const bodyStart = MAGIC.length + 2 + headerLength;
  if (bytes.length < bodyStart + TAG_BYTES) throw new UnsealError('malformed', `${name} is truncated`);
  let header: Header;
  try {
    header = JSON.parse(bytes.subarray(MAGIC.length + 2, bodyStart).toString('utf8')) as Header;
  } catch {
    throw new UnsealError('malformed', `${name} has a damaged header`);
  }
  if (header.alg !== ALGORITHM || typeof header.kid !== 'string' || typeof header.n !== 'string' || typeof header.kc !== 'string') {
    throw new UnsealError('malformed', `${name} has a damaged header`);
  }
  const nonce = Buffer.from(header.n, 'base64');
  if (nonce.length !== NONCE_BYTES) throw new UnsealError('malformed', `${name} has a damaged header`);
  let key: Uint8Array;
  try {
    key = await ring.openingKey(header.kid, header.wk ? Buffer.from(header.wk, 'base64') : undefined);
  } catch (err) {
    if (err instanceof CodecError) throw new UnsealError(err instanceof KeyMismatchError ? 'altered' : 'unknown-key', `${name}: ${err.message}`);
    // KMS refused the wrapped key as not its own: the header was changed or another KMS key sealed it.
    if (['InvalidCiphertextException', 'IncorrectKeyException'].includes((err as Error).name)) {
      throw new UnsealError('wrong-key', `${name}: KMS does not unwrap its data key (${(err as Error).name})`);
    }
    throw err;
  }
  if (keyCheck(key) !== header.kc) {
    throw new UnsealError('wrong-key', `${name} was encrypted under another key with id ${header.kid} than the one configured`);
  }
  const decipher = createDecipheriv('aes-256-gcm', key, nonce);
  decipher.setAAD(aad(bytes.subarray(0, bodyStart), name));
  decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
  try {
    return Buffer.concat([decipher.update(bytes.subarray(bodyStart, bytes.length - TAG_BYTES)), decipher.final()]);
  } catch {
    throw new UnsealError('altered', `${name} does not authenticate with key ${header.kid}: its bytes (or its name) changed`);
  }
}
