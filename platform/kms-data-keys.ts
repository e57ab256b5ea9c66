import type { KMSClient } from '@aws-sdk/client-kms';
import type { DataKeyService } from './codec';

/** The KMS SDK is loaded on first use: every process (and the CLI) builds a codec at start. */
const kmsSdk = () => import('@aws-sdk/client-kms');

/**
 * Envelope encryption with AWS KMS: payloads are encrypted with a data key that only KMS can
 * unwrap, so a process without kms:Decrypt on the key reads no payload.
 */
export function kmsDataKeys(client: KMSClient | Promise<KMSClient>, keyId: string): DataKeyService {
  return {
    async generate() {
      const { GenerateDataKeyCommand } = await kmsSdk();
      const out = await (await client).send(new GenerateDataKeyCommand({ KeyId: keyId, KeySpec: 'AES_256' }));
      if (!out.Plaintext || !out.CiphertextBlob) throw new Error(`KMS GenerateDataKey for ${keyId} returned no key`);
      return { plaintext: out.Plaintext, wrapped: out.CiphertextBlob };
    },
    async unwrap(wrapped) {
      const { DecryptCommand } = await kmsSdk();
      const out = await (await client).send(new DecryptCommand({ CiphertextBlob: wrapped, KeyId: keyId }));
      if (!out.Plaintext) throw new Error(`KMS Decrypt with ${keyId} returned no key`);
      return out.Plaintext;
    },
  };
}

export async function kmsClientFor(region: string, endpoint?: string): Promise<KMSClient> {
  const { KMSClient } = await kmsSdk();
  return new KMSClient({ region, ...(endpoint ? { endpoint } : {}) });
}
