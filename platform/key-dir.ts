import { resolve } from 'node:path';
import { userKeyDir } from './codec-keyfile';
import type { Config } from './config';

/**
 * Where keys live (the codec key, the audit anchor key): `keyDir` when configured, else the
 * per-user folder. Never the data directory: whoever can read or rewrite the data (a backup, a
 * copied volume) must not also hold the keys that protect it.
 */
export function keyDir(config: Pick<Config, 'keyDir'>, env: NodeJS.ProcessEnv = process.env): string {
  return config.keyDir ? resolve(config.keyDir) : userKeyDir(env);
}
