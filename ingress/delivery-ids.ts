import { randomUUID } from 'node:crypto';
import { link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Which content a sender-given delivery id was first accepted with. The incident workflow attaches
 * a delivery id once, so a second, different alert under a used id would vanish there; binding the
 * id at the edge lets the ingress refuse it instead. Kept beside the raw payloads (under the data
 * directory), so the binding outlives an ingress restart; ingresses that share a data directory
 * share it too.
 */
export interface DeliveryIdRegistry {
  /** the content digest the id is bound to, if it is */
  boundTo(source: string, deliveryId: string): Promise<string | undefined>;
  /** bind the id to `digest` unless it is bound already; returns what it is bound to now */
  bind(source: string, deliveryId: string, digest: string): Promise<string>;
}

const ID = /^[0-9a-f]{16,64}$/;

export function localDeliveryIds(dir: string): DeliveryIdRegistry {
  const pathOf = (source: string, deliveryId: string) => {
    // Ids are our own hashes (normalise.ts); anything else must not become a path.
    if (!ID.test(deliveryId) || !/^[a-z]+$/.test(source)) throw new Error(`not a delivery id: ${source}/${deliveryId.slice(0, 80)}`);
    return join(dir, source, deliveryId);
  };
  const read = async (path: string) => {
    try {
      return (await readFile(path, 'utf8')).trim();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  };
  return {
    boundTo: (source, deliveryId) => read(pathOf(source, deliveryId)),
    async bind(source, deliveryId, digest) {
      const path = pathOf(source, deliveryId);
      await mkdir(join(dir, source), { recursive: true });
      // Written aside and linked into place: link() creates only if absent, and never shows a
      // half-written file to a concurrent delivery of the same id.
      const aside = `${path}.${randomUUID()}.tmp`;
      await writeFile(aside, `${digest}\n`, { mode: 0o440 });
      try {
        await link(aside, path);
        return digest;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        return (await read(path)) ?? digest;
      } finally {
        await unlink(aside).catch(() => undefined);
      }
    },
  };
}
