import { closeSync, existsSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { decodeKey, generateKey, type CodecKey } from './codec';

/**
 * Without configured keys a single machine still encrypts: the first start writes a random key to
 * a file readable only by its owner (0600), and every later start, the CLI and the ingress read it.
 * Only the worker process creates it: a CLI run in the wrong directory must not mint a key that
 * can read nothing, so it asks for `create: false` and gets MissingKeyFileError instead.
 */
export interface KeyFile {
  keys: CodecKey[];
  activeKeyId: string;
  /** true when this call created the file (the caller says so in its log) */
  created: boolean;
}

interface StoredKeys {
  activeKeyId: string;
  keys: { id: string; key: string }[];
}

export class MissingKeyFileError extends Error {
  override name = 'MissingKeyFileError';
  constructor(readonly path: string) {
    super(`no payload encryption key at ${path}`);
  }
}

export function localKeyFile(path: string, opts: { create: boolean } = { create: true }): KeyFile {
  let created = false;
  if (!existsSync(path)) {
    if (!opts.create) throw new MissingKeyFileError(path);
    mkdirSync(dirname(path), { recursive: true });
    const stored: StoredKeys = { activeKeyId: 'local-1', keys: [{ id: 'local-1', key: generateKey() }] };
    // Written whole under a private name, then linked into place: link fails if the file exists,
    // so when two processes start at once one key wins and nobody reads a half-written file.
    const tmp = `${path}.${process.pid}.tmp`;
    const fd = openSync(tmp, 'w', 0o600);
    writeSync(fd, `${JSON.stringify(stored, null, 2)}\n`);
    fsyncSync(fd);
    closeSync(fd);
    try {
      linkSync(tmp, path);
      created = true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    } finally {
      unlinkSync(tmp);
    }
  }
  const stored = JSON.parse(readFileSync(path, 'utf8')) as StoredKeys;
  return { keys: stored.keys.map((k) => decodeKey(k.id, k.key)), activeKeyId: stored.activeKeyId, created };
}
