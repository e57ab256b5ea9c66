import { closeSync, existsSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { decodeKey, generateKey, type CodecKey } from './codec';

/**
 * Without configured keys a single machine still encrypts: the first start writes a random key to
 * a file readable only by its owner (0600), in a per-user folder (0700) apart from the data
 * directory, so a copy or backup of the data holds no key that opens it. Every later start, the
 * CLI and the ingress read it. Only the worker process creates it: a CLI run in the wrong place
 * must not mint a key that can read nothing, so it asks for `create: false` and gets
 * MissingKeyFileError instead.
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

/** A key file (or its folder) others could read or replace: refused before any key is used. */
export class KeyFilePermissionError extends Error {
  override name = 'KeyFilePermissionError';
}

export const KEY_FILE_NAME = 'codec-keys.json';

/**
 * The per-user key folder: `$XDG_CONFIG_HOME/tourniquet/keys`, by default
 * `~/.config/tourniquet/keys` (the XDG base directory rule: a relative XDG_CONFIG_HOME is ignored).
 */
export function userKeyDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_CONFIG_HOME && isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : join(env.HOME || homedir(), '.config');
  return join(xdg, 'tourniquet', 'keys');
}

export interface KeyFileLocation {
  path: string;
  /** `configured`: codec.keyFile; `user`: the per-user folder; `legacy`: `<dataDir>/codec-keys.json` from before keys moved out */
  kind: 'configured' | 'user' | 'legacy';
}

/**
 * codec.keyFile when set; else a key file left in the data directory by an earlier version (still
 * used, so its history stays readable; the caller warns until it is moved); else the per-user one.
 */
export function keyFileLocation(settings: { dataDir: string; keyFile?: string; keyDir?: string }, env: NodeJS.ProcessEnv = process.env): KeyFileLocation {
  if (settings.keyFile) return { path: resolve(settings.keyFile), kind: 'configured' };
  const legacy = resolve(settings.dataDir, KEY_FILE_NAME);
  if (existsSync(legacy)) return { path: legacy, kind: 'legacy' };
  return { path: join(settings.keyDir ? resolve(settings.keyDir) : userKeyDir(env), KEY_FILE_NAME), kind: 'user' };
}

const mode = (bits: number) => `0${(bits & 0o777).toString(8)}`;

/**
 * The key file must be the owner's alone (no group or other bits), and its folder writable by the
 * owner only (whoever can write it can swap the key). The per-user folder Tourniquet creates must
 * also be closed to reading (0700).
 */
export function checkKeyFilePermissions(location: KeyFileLocation): void {
  const file = statSync(location.path);
  if (!file.isFile()) throw new KeyFilePermissionError(`codec key file ${location.path} is not a regular file`);
  if (file.mode & 0o077) {
    throw new KeyFilePermissionError(
      `codec key file ${location.path} is open to group or others (mode ${mode(file.mode)}); nothing was started. Make it the owner's alone: chmod 600 ${location.path}`,
    );
  }
  const dir = dirname(location.path);
  const folder = statSync(dir);
  const forbidden = location.kind === 'user' ? 0o077 : 0o022;
  if (folder.mode & forbidden) {
    const fix = location.kind === 'user' ? 700 : 'go-w';
    throw new KeyFilePermissionError(
      `the folder of codec key file ${location.path} is ${location.kind === 'user' ? 'readable or writable' : 'writable'} by group or others (mode ${mode(folder.mode)}); nothing was started. Close it: chmod ${fix} ${dir}`,
    );
  }
}

export function localKeyFile(location: KeyFileLocation | string, opts: { create: boolean } = { create: true }): KeyFile {
  const where: KeyFileLocation = typeof location === 'string' ? { path: location, kind: 'configured' } : location;
  const { path } = where;
  let created = false;
  if (!existsSync(path)) {
    if (!opts.create) throw new MissingKeyFileError(path);
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
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
  checkKeyFilePermissions(where);
  const stored = JSON.parse(readFileSync(path, 'utf8')) as StoredKeys;
  return { keys: stored.keys.map((k) => decodeKey(k.id, k.key)), activeKeyId: stored.activeKeyId, created };
}
