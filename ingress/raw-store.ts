import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Raw alert payloads may carry PHI, so they never go into Temporal history: they are stored
 * here, content-addressed and write-once, and alerts carry only the reference.
 */
export interface RawPayloadStore {
  put(source: string, body: Uint8Array): Promise<string>;
}

/** A payload's reference, from its bytes alone: known before it is stored, the same in every store. */
export function rawRefOf(source: string, body: Uint8Array): string {
  return `raw/${source}/${createHash('sha256').update(body).digest('hex')}`;
}

export function localRawStore(dir: string): RawPayloadStore {
  return {
    async put(source, body) {
      const ref = rawRefOf(source, body);
      const digest = ref.slice(ref.lastIndexOf('/') + 1);
      const folder = join(dir, source);
      await mkdir(folder, { recursive: true });
      try {
        await writeFile(join(folder, `${digest}.json`), body, { flag: 'wx', mode: 0o440 });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      return ref;
    },
  };
}
