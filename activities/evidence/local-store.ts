import { randomBytes } from 'node:crypto';
import { chmod, link, mkdir, open, readdir, readFile, stat, unlink } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { folderSyncs } from '../../platform/folder-sync';
import type { KeyRing } from '../../platform/key-ring';
import { sealedStore } from './sealed-store';
import { checkKey, type BlobStore, type EvidenceStore } from './store';

/** Objects are the owner's alone and read-only; folders the owner's alone. */
const FILE_MODE = 0o400;
const DIR_MODE = 0o700;

/**
 * A local write-once folder: each object is written whole under a private temporary name (a dot
 * file, never a key), fsynced, made read-only for its owner (0400), then linked into place, and
 * the folder fsynced before `create` returns, so a stored object (an accepted alert's payload) is
 * still there after a crash. A link fails if the name exists, so nothing here ever replaces or
 * opens an existing object for writing, and a crash leaves no half-written object under a real
 * name. Folders are 0700, and each one made is synced into its parent; the root is closed to
 * group and others when the first object is written.
 */
export function localBlobStore(root: string): BlobStore {
  const pathOf = (key: string) => join(root, ...checkKey(key).split('/'));
  let rootReady: Promise<void> | undefined;
  // Folders made here before: an ingress storing every delivery under raw/<source>/ makes each once.
  const folders = new Set<string>();
  const syncFolder = folderSyncs();
  /** mkdir -p, then every folder it may have made synced into its parent, up to the root's */
  const makeFolder = async (folder: string) => {
    await mkdir(folder, { recursive: true, mode: DIR_MODE });
    for (let dir = folder; dir !== dirname(root) && dir !== dirname(dir); dir = dirname(dir)) await syncFolder(dirname(dir));
  };
  const ensureRoot = () =>
    (rootReady ??= (async () => {
      await makeFolder(root);
      const { mode } = await stat(root);
      if (mode & 0o077) await chmod(root, DIR_MODE);
    })());
  return {
    location: `file://${root}`,
    async create(key, body) {
      const path = pathOf(key);
      await ensureRoot();
      const folder = dirname(path);
      const tmp = join(folder, `.${randomBytes(8).toString('hex')}.tmp`);
      // Read-only from its creation: the mode binds later opens, not this descriptor.
      const create = () => open(tmp, 'wx', FILE_MODE);
      if (!folders.has(folder)) await makeFolder(folder);
      // A folder removed since (by hand, by a test) is made again.
      const file = await create().catch(async (err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
        await makeFolder(folder);
        return create();
      });
      folders.add(folder);
      try {
        await file.writeFile(body);
        await file.sync();
      } finally {
        await file.close();
      }
      let made: 'created' | 'exists';
      try {
        await link(tmp, path);
        made = 'created';
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        made = 'exists';
      } finally {
        await unlink(tmp).catch(() => undefined);
      }
      // Also when it existed: a concurrent writer's link may not be on disk yet.
      await syncFolder(folder);
      return made;
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
          if (entry.name.startsWith('.')) continue; // an object being written
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

/** The local evidence store: the write-once folder, encrypted at rest with the codec's keys. */
export function localEvidenceStore(root: string, keys: KeyRing): EvidenceStore {
  return sealedStore(localBlobStore(root), keys);
}
