import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Config } from './config';

/**
 * Where keys live: never in the data directory, so that whoever can read or rewrite the data (a
 * backup, a copied volume, a compromised disk) does not also hold the keys that protect it.
 */
export function keyDir(config: Pick<Config, 'keyDir'>, env: NodeJS.ProcessEnv = process.env): string {
  if (config.keyDir) return resolve(config.keyDir);
  return join(env.XDG_CONFIG_HOME ? resolve(env.XDG_CONFIG_HOME) : join(homedir(), '.config'), 'tourniquet', 'keys');
}
