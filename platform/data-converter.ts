import { join, resolve } from 'node:path';
import type { DataConverter, PayloadCodec } from '@temporalio/common';
import { decodeKey, encryptionCodec, type CodecKey } from './codec';
import { localKeyFile } from './codec-keyfile';
import type { Config } from './config';
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

export function createDataConverter(config: Config, keyFile: KeyFileUse = 'create'): DataConverter {
  return { payloadCodecs: [payloadCodec(config, keyFile)], failureConverterPath: require.resolve('./failure-converter') };
}

/** Where the key generated for a keyless single-machine setup lives. */
export function codecKeyFilePath(config: Config): string {
  return resolve(config.codec.keyFile ?? join(config.dataDir, 'codec-keys.json'));
}

export interface CodecSetup {
  codec: PayloadCodec;
  /** the local key file, when keys came from it (`created`: written by this call) */
  keyFile?: { path: string; created: boolean };
}

export function codecSetup(config: Config, keyFile: KeyFileUse = 'create'): CodecSetup {
  const { keys, activeKeyId, kms, acceptPlaintext } = config.codec;
  const configured: CodecKey[] = keys.map((k) => decodeKey(k.id, k.key));
  const dataKeys = kms ? kmsDataKeys(kmsClientFor(config.aws.region, config.aws.endpoint), kms.keyId) : undefined;
  if (configured.length > 0 || dataKeys) {
    const active = activeKeyId ?? (configured.length === 1 ? configured[0]!.id : undefined);
    return { codec: encryptionCodec({ keys: configured, activeKeyId: active, kms: dataKeys, acceptPlaintext }) };
  }
  const path = codecKeyFilePath(config);
  const file = localKeyFile(path, { create: keyFile === 'create' });
  return { codec: encryptionCodec({ keys: file.keys, activeKeyId: file.activeKeyId, acceptPlaintext }), keyFile: { path, created: file.created } };
}

export function payloadCodec(config: Config, keyFile: KeyFileUse = 'create'): PayloadCodec {
  return codecSetup(config, keyFile).codec;
}
