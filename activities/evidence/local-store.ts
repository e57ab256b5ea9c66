import { chmod, mkdir, open, readdir, readFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { checkKey, EvidenceConflictError, type EvidenceStore } from './store';

/**
 * A local write-once directory: files are created exclusively (O_EXCL), fsynced, and made
 * read-only (0444); nothing here opens an existing file for writing.
 */
export function localEvidenceStore(root: string): EvidenceStore {
  const pathOf = (key: string) => join(root, ...checkKey(key).split('/'));
  return {
    location: `file://${root}`,
    async put(key, body) {
      const path = pathOf(key);
      await mkdir(dirname(path), { recursive: true });
      let file;
      try {
        file = await open(path, 'wx', 0o444);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        const existing = await readFile(path);
        if (!existing.equals(body)) throw new EvidenceConflictError(`evidence ${key} already exists with other content; it is never overwritten`);
        return;
      }
      try {
        await file.writeFile(body);
        await file.sync();
      } finally {
        await file.close();
      }
      await chmod(path, 0o444);
    },
    async get(key) {
      try {
        return new Uint8Array(await readFile(pathOf(key)));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw err;
      }
    },
    async list(prefix) {
      const base = prefix ? pathOf(prefix.replace(/\/$/, '')) : root;
      const found: string[] = [];
      async function walk(dir: string): Promise<void> {
        let entries;
        try {
          entries = await readdir(dir, { withFileTypes: true });
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
          throw err;
        }
        for (const entry of entries) {
          const full = join(dir, entry.name);
          if (entry.isDirectory()) await walk(full);
          else found.push(relative(root, full).split(sep).join('/'));
        }
      }
      await walk(base);
      return found.sort();
    },
  };
}
