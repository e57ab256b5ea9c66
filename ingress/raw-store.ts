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

export function localRawStore(dir: string): RawPayloadStore {
  return {
    async put(source, body) {
      const digest = createHash('sha256').update(body).digest('hex');
      const folder = join(dir, source);
      await mkdir(folder, { recursive: true });
      try {
        await writeFile(join(folder, `${digest}.json`), body, { flag: 'wx', mode: 0o440 });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      return `raw/${source}/${digest}`;
    },
  };
}
