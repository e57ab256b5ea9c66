import { mkdir, readFile, writeFile } from 'node:fs/promises';
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
  const made = new Set<string>();
  const pathOf = (source: string, deliveryId: string) => {
    // Ids are our own hashes (normalise.ts); anything else must not become a path.
    if (!ID.test(deliveryId) || !/^[a-z]+$/.test(source)) throw new Error(`not a delivery id: ${source}/${deliveryId.slice(0, 80)}`);
    return join(dir, source, deliveryId);
  };
  const read = async (path: string): Promise<string | undefined> => {
    for (let attempt = 0; ; attempt++) {
      let text: string;
      try {
        text = (await readFile(path, 'utf8')).trim();
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw err;
      }
      // Empty: a concurrent bind created the file and has not written it yet (a moment, at most).
      // Still empty after that, its writer died half-way: the id was never bound.
      if (text !== '') return text;
      if (attempt === 20) return undefined;
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  return {
    boundTo: (source, deliveryId) => read(pathOf(source, deliveryId)),
    async bind(source, deliveryId, digest) {
      const path = pathOf(source, deliveryId);
      for (let attempt = 0; ; attempt++) {
        if (!made.has(source) || attempt > 0) {
          await mkdir(join(dir, source), { recursive: true });
          made.add(source);
        }
        try {
          // Exclusive create: of two deliveries racing for one id, exactly one binds it.
          await writeFile(path, `${digest}\n`, { flag: 'wx', mode: 0o440 });
          return digest;
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          if (code === 'ENOENT' && attempt === 0) continue; // the folder went away since we made it
          if (code !== 'EEXIST') throw err;
          return (await read(path)) ?? digest;
        }
      }
    },
  };
}
