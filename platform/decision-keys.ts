import { keyDir } from './key-dir';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { decisionPublicKey, type DecisionKeys } from '../domain/decision-proof';
import { ConfigError, type Config } from './config';

/**
 * The Ed25519 key the ingress signs decision grants with (domain/decision-proof.ts). Only the
 * ingress holds the secret half; workers are configured with the public half by key id. In the
 * one-process embedded default the first start writes a key file readable by its owner only, and
 * the worker in the same process derives the public key from it.
 */
export interface SigningKey {
  kid: string;
  /** hex, 32 bytes */
  secretKey: string;
}

export function signingKeyPath(config: Pick<Config, 'keyDir' | 'decisions'>): string {
  // With the other keys, never beside the data: whoever copies the data must not be able to decide.
  return resolve(config.decisions.signingKeyFile ?? join(keyDir(config), 'decision-key.json'));
}

export function newSigningKey(now = new Date()): SigningKey {
  return { kid: `d-${now.toISOString().slice(0, 10)}-${randomBytes(3).toString('hex')}`, secretKey: randomBytes(32).toString('hex') };
}

/** Written whole under a private name, then linked into place: two starts at once keep one key. */
export function writeSigningKey(path: string, key: SigningKey): boolean {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  writeSync(fd, `${JSON.stringify(key, null, 2)}\n`);
  fsyncSync(fd);
  closeSync(fd);
  try {
    linkSync(tmp, path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return false;
  } finally {
    unlinkSync(tmp);
  }
}

export function readSigningKey(path: string): SigningKey {
  const mode = statSync(path).mode & 0o077;
  if (mode !== 0) throw new ConfigError(`${path}: the decision signing key must be readable by its owner only (chmod 600 ${path})`);
  let parsed: Partial<SigningKey>;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<SigningKey>;
  } catch (err) {
    throw new ConfigError(`${path}: not a decision signing key: ${(err as Error).message}`);
  }
  if (typeof parsed.kid !== 'string' || !/^[\w.-]+$/.test(parsed.kid) || typeof parsed.secretKey !== 'string' || !/^[0-9a-f]{64}$/.test(parsed.secretKey)) {
    throw new ConfigError(`${path}: expected { "kid": "<id>", "secretKey": "<64 hex>" }`);
  }
  return { kid: parsed.kid, secretKey: parsed.secretKey };
}

/** The ingress's key: read, or (embedded default, first start) created. */
export function loadSigningKey(config: Pick<Config, 'keyDir' | 'decisions'>, { create }: { create: boolean }): { key: SigningKey; path: string; created: boolean } {
  const path = signingKeyPath(config);
  let created = false;
  if (!existsSync(path)) {
    if (!create || config.decisions.signingKeyFile) {
      throw new ConfigError(`no decision signing key at ${path}: run the ingress once with this data dir, or set decisions.signingKeyFile (TOURNIQUET_DECISION_KEY_FILE)`);
    }
    created = writeSigningKey(path, newSigningKey());
  }
  return { key: readSigningKey(path), path, created };
}

/**
 * The public keys a worker accepts grants from: `decisions.publicKeys`, plus the key file's when
 * this process can read it (the embedded one-process setup). None at all is a setup error: every
 * human decision would be refused.
 */
export function workerDecisionKeys(config: Pick<Config, 'keyDir' | 'decisions'>): DecisionKeys {
  const keys: DecisionKeys = { ...config.decisions.publicKeys };
  const path = signingKeyPath(config);
  if (existsSync(path)) {
    const key = readSigningKey(path);
    keys[key.kid] = decisionPublicKey(key.secretKey);
  }
  if (Object.keys(keys).length === 0) {
    throw new ConfigError(
      `the worker knows no decision public key: set decisions.publicKeys (TOURNIQUET_DECISION_PUBLIC_KEYS=kid:hex) to the ingress's, or run it where ${path} is readable`,
    );
  }
  return keys;
}
