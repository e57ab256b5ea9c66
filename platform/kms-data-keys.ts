import { DecryptCommand, GenerateDataKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import type { DataKeyService } from './codec';

/**
 * Envelope encryption with AWS KMS: payloads are encrypted with a data key that only KMS can
 * unwrap, so a process without kms:Decrypt on the key reads no payload.
 */
export function kmsDataKeys(kms: KMSClient, keyId: string): DataKeyService {
  return {
    async generate() {
      const out = await kms.send(new GenerateDataKeyCommand({ KeyId: keyId, KeySpec: 'AES_256' }));
      if (!out.Plaintext || !out.CiphertextBlob) throw new Error(`KMS GenerateDataKey for ${keyId} returned no key`);
      return { plaintext: out.Plaintext, wrapped: out.CiphertextBlob };
    },
    async unwrap(wrapped) {
      const out = await kms.send(new DecryptCommand({ CiphertextBlob: wrapped, KeyId: keyId }));
      if (!out.Plaintext) throw new Error(`KMS Decrypt with ${keyId} returned no key`);
      return out.Plaintext;
    },
  };
}

export function kmsClientFor(region: string, endpoint?: string): KMSClient {
  return new KMSClient({ region, ...(endpoint ? { endpoint } : {}) });
}
