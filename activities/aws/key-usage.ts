import { paginateLookupEvents, type CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { classify } from '../errors';

/**
 * When a KMS key was last used, from CloudTrail event history (LookupEvents on the key's ARN).
 * Any cryptographic call counts, refused ones too: a client still asking for the key depends on
 * it, and deleting a key is the one step here that cannot be taken back. Management calls
 * (DescribeKey, GetKeyPolicy: Tourniquet's own among them) do not count.
 */

export const KEY_USE_EVENTS: ReadonlySet<string> = new Set([
  'Decrypt',
  'Encrypt',
  'GenerateDataKey',
  'GenerateDataKeyWithoutPlaintext',
  'GenerateDataKeyPair',
  'GenerateDataKeyPairWithoutPlaintext',
  'ReEncrypt',
  'Sign',
  'Verify',
  'GenerateMac',
  'VerifyMac',
  'DeriveSharedSecret',
]);

export interface KeyUse {
  at: string;
  event: string;
}

export function createKeyUsageActivities(cloudTrail: CloudTrailClient) {
  return {
    /**
     * The latest use of the key between `since` and `until` (workflow times, ISO), or null.
     * CloudTrail returns the newest events first, so the first page with a use holds the latest:
     * a busy key costs one page, a quiet one every page of its management events.
     */
    async lastKeyUse(input: { keyArn: string; since: string; until: string }): Promise<{ lastUse: KeyUse | null; pages: number }> {
      let pages = 0;
      try {
        const paginator = paginateLookupEvents(
          { client: cloudTrail },
          {
            LookupAttributes: [{ AttributeKey: 'ResourceName', AttributeValue: input.keyArn }],
            StartTime: new Date(input.since),
            EndTime: new Date(input.until),
          },
        );
        for await (const page of paginator) {
          pages += 1;
          const uses = (page.Events ?? []).filter(
            (e) => e.EventName && KEY_USE_EVENTS.has(e.EventName) && (e.EventSource === undefined || e.EventSource === 'kms.amazonaws.com'),
          );
          if (uses.length > 0) {
            const latest = uses.reduce((a, b) => ((a.EventTime?.getTime() ?? 0) >= (b.EventTime?.getTime() ?? 0) ? a : b));
            return { lastUse: { at: (latest.EventTime ?? new Date(input.until)).toISOString(), event: latest.EventName! }, pages };
          }
        }
      } catch (err) {
        classify(err, `cloudtrail LookupEvents ${input.keyArn}`);
      }
      return { lastUse: null, pages };
    },
  };
}

export type KeyUsageActivities = ReturnType<typeof createKeyUsageActivities>;
