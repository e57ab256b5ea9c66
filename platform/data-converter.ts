import type { DataConverter, PayloadCodec } from '@temporalio/common';
import { decodeKey, encryptionCodec, type CodecKey } from './codec';
import { keyFileLocation, localKeyFile, type KeyFileLocation } from './codec-keyfile';
import type { Config } from './config';
import { keyRing, type KeyRing } from './key-ring';
import { kmsClientFor, kmsDataKeys } from './kms-data-keys';

/**
 * The data converter every Temporal connection of Tourniquet uses (worker, ingress, CLI), so
 * all of them read and write payloads alike: JSON, then AES-256-GCM (see platform/codec.ts).
 * Failure messages and stack traces can quote an alert, so they are encrypted too.
 */
/**
 * `create`: the worker process, which writes the local key file on its first start. `existing`:
 * everything else that only reads payloads (the CLI); a missing key file is MissingKeyFileError.
 */
export type KeyFileUse = 'create' | 'existing';

/**
 * `failureConverterPath`: a module exporting `failureConverter`, which Temporal requires by path.
 * The default is written from platform/'s parent so it resolves from the bundled CLI (dist/cli/) as
 * well as from here; the CLI names its own entry module instead (cli/main.ts says why).
 */
export function createDataConverter(config: Config, keyFile: KeyFileUse = 'create', failureConverterPath = require.resolve('../platform/failure-converter')): DataConverter {
  return { payloadCodecs: [payloadCodec(config, keyFile)], failureConverterPath };
}

export interface CodecSetup {
  codec: PayloadCodec;
  /** the same keys, for the stores encrypted at rest (platform/at-rest.ts) */
  keys: KeyRing;
  /** the local key file, when keys came from it (`created`: written by this call) */
  keyFile?: KeyFileLocation & { created: boolean };
}

/** The key ring configuration says: configured keys and/or KMS data keys, else the local key file. */
export function keyRingSetup(config: Config, keyFile: KeyFileUse = 'create'): Omit<CodecSetup, 'codec'> {
  const { keys, activeKeyId, kms } = config.codec;
  const configured: CodecKey[] = keys.map((k) => decodeKey(k.id, k.key));
  const dataKeys = kms ? kmsDataKeys(kmsClientFor(config.aws.region, config.aws.endpoint), kms.keyId) : undefined;
  if (configured.length > 0 || dataKeys) {
    const active = activeKeyId ?? (configured.length === 1 ? configured[0]!.id : undefined);
    return { keys: keyRing({ keys: configured, activeKeyId: active, kms: dataKeys }) };
  }
  const location = keyFileLocation({ dataDir: config.dataDir, keyFile: config.codec.keyFile, keyDir: config.keyDir });
  const file = localKeyFile(location, { create: keyFile === 'create' });
  return { keys: keyRing({ keys: file.keys, activeKeyId: file.activeKeyId }), keyFile: { ...location, created: file.created } };
}

export function codecSetup(config: Config, keyFile: KeyFileUse = 'create'): CodecSetup {
  const setup = keyRingSetup(config, keyFile);
  return { ...setup, codec: encryptionCodec(setup.keys, { acceptPlaintext: config.codec.acceptPlaintext }) };
}

export function payloadCodec(config: Config, keyFile: KeyFileUse = 'create'): PayloadCodec {
  return codecSetup(config, keyFile).codec;
}

/** The key ring of a process that only reads and writes stores (never creates the key file). */
export function storeKeys(config: Config): KeyRing {
  return keyRingSetup(config, 'existing').keys;
}
