import { createHash } from 'node:crypto';
import {
  CreateAliasCommand,
  CreateKeyCommand,
  DescribeKeyCommand,
  GetKeyRotationStatusCommand,
  paginateListAliases,
  paginateListKeyRotations,
  paginateListKeys,
  ListResourceTagsCommand,
  RotateKeyOnDemandCommand,
  ScheduleKeyDeletionCommand,
  UpdateAliasCommand,
  type KeyMetadata,
  type KMSClient,
} from '@aws-sdk/client-kms';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { classify, finalFailure } from '../errors';
import { call, collectPages, errorName, readOptional } from './calls';
import { recordWrite } from './ledger';

/**
 * KMS rotation. On-demand rotation keeps the key id (nothing to redeploy) but exists only for
 * symmetric AWS_KMS keys and a limited number of times per key; otherwise a replacement key takes
 * over the key's aliases and the old key is retired (kms-access.ts): enabled, decrypt only. A key
 * pending deletion decrypts nothing, so its deletion is scheduled only by the key's retirement,
 * after two approvals and a quiet period.
 */

export async function describeKey(kms: KMSClient, keyId: string): Promise<KeyMetadata> {
  const found = await readOptional(`kms DescribeKey ${keyId}`, () => kms.send(new DescribeKeyCommand({ KeyId: keyId })));
  if (!found?.KeyMetadata) throw finalFailure(`KMS key ${keyId} does not exist; nothing was changed`, 'NotFoundException');
  return found.KeyMetadata;
}

/** Why on-demand rotation is impossible for this key, or undefined when it is possible. */
export function onDemandUnsupported(key: KeyMetadata): string | undefined {
  if (key.KeySpec !== 'SYMMETRIC_DEFAULT') return `key spec ${key.KeySpec} cannot rotate on demand`;
  if (key.Origin !== 'AWS_KMS') return `key material origin ${key.Origin} cannot rotate on demand`;
  if (key.MultiRegion && key.MultiRegionConfiguration?.MultiRegionKeyType === 'REPLICA') return 'a multi-Region replica rotates with its primary';
  return undefined;
}

export async function aliasesOf(kms: KMSClient, keyId: string): Promise<string[]> {
  const aliases = await collectPages(`kms ListAliases ${keyId}`, paginateListAliases({ client: kms }, { KeyId: keyId }), (page) => page.Aliases);
  return aliases
    .map((alias) => alias.AliasName)
    .filter((name): name is string => !!name && !name.startsWith('alias/aws/'))
    .sort();
}

export async function onDemandRotationCount(kms: KMSClient, keyId: string): Promise<number> {
  const rotations = await collectPages(`kms ListKeyRotations ${keyId}`, paginateListKeyRotations({ client: kms }, { KeyId: keyId }), (page) => page.Rotations);
  return rotations.filter((r) => r.RotationType === 'ON_DEMAND').length;
}

const MARKER_TAG = 'TourniquetMarker';

/** A live key tagged with this marker alias name: one an interrupted attempt created. */
async function keyTaggedWith(kms: KMSClient, marker: string): Promise<string | undefined> {
  // Every key of the account, one tag read each: long, so it heartbeats (the activity wrapper) and
  // stops when the activity is cancelled (the client's abort signal).
  for (const { KeyId } of await collectPages('kms ListKeys', paginateListKeys({ client: kms }, {}), (page) => page.Keys)) {
    // Keys we may not read (AWS managed, other owners) are not ours: skip them.
    const tags = await kms.send(new ListResourceTagsCommand({ KeyId })).catch(() => undefined);
    if (!tags?.Tags?.some((t) => t.TagKey === MARKER_TAG && t.TagValue === marker.slice(0, 256))) continue;
    const key = await describeKey(kms, KeyId!);
    if (key.KeyState === 'Enabled') return KeyId;
  }
  return undefined;
}

/** The alias that marks a step's replacement key, so a retried step finds the key it made. */
export function replacementMarkerAlias(incidentId: string, stepId: string): string {
  return `alias/tourniquet/replacement-${createHash('sha256').update(`${incidentId}/${stepId}`).digest('hex').slice(0, 20)}`;
}

export function isReplacementMarker(alias: string): boolean {
  return alias.startsWith('alias/tourniquet/replacement-');
}

export function createKmsActivities(kms: KMSClient) {
  return {
    /**
     * Rotate on demand unless this step already did: `rotationsBefore` is the count the step read
     * before acting, so a retry after a lost response does not spend a second rotation.
     */
    async rotateKeyOnDemand(input: { keyId: string; rotationsBefore: number; limit: number }): Promise<{ outcome: 'started' | 'already' }> {
      const now = await onDemandRotationCount(kms, input.keyId);
      if (now > input.rotationsBefore) return { outcome: 'already' };
      const status = await call(`kms GetKeyRotationStatus ${input.keyId}`, () => kms.send(new GetKeyRotationStatusCommand({ KeyId: input.keyId })));
      if (status.OnDemandRotationStartDate) return { outcome: 'already' }; // in progress
      if (now >= input.limit) {
        throw finalFailure(`KMS key ${input.keyId} has used all ${input.limit} on-demand rotations`, 'RotationLimitReached');
      }
      await call(`kms RotateKeyOnDemand ${input.keyId}`, () => kms.send(new RotateKeyOnDemandCommand({ KeyId: input.keyId })));
      await recordWrite({ api: 'kms:RotateKeyOnDemand', resource: (await describeKey(kms, input.keyId)).Arn ?? input.keyId, before: { onDemandRotations: now }, after: { onDemandRotations: now + 1 } });
      return { outcome: 'started' };
    },

    /** Read the rotation back; KMS rotates asynchronously, so "not yet" is retried by the policy. */
    async verifyOnDemandRotation(input: { keyId: string; rotationsBefore: number }): Promise<{ rotations: number }> {
      const rotations = await onDemandRotationCount(kms, input.keyId);
      if (rotations > input.rotationsBefore) return { rotations };
      throw ApplicationFailure.retryable(`rotation of KMS key ${input.keyId} not yet visible in ListKeyRotations`, 'RotationPending');
    },

    /**
     * Create the replacement key once per step: the marker alias finds it again on a retry. A
     * retry that finds no marker looks for a key an interrupted attempt created but did not
     * mark (tagged with the marker), and marks that one rather than creating another.
     */
    async createReplacementKey(input: {
      oldKeyId: string;
      marker: string;
      keySpec: string;
      keyUsage: string;
      incidentId: string;
    }): Promise<{ keyId: string; created: boolean }> {
      const existing = await readOptional(`kms DescribeKey ${input.marker}`, () => kms.send(new DescribeKeyCommand({ KeyId: input.marker })));
      if (existing?.KeyMetadata?.KeyId) return { keyId: existing.KeyMetadata.KeyId, created: false };
      const unmarked = Context.current().info.attempt > 1 ? await keyTaggedWith(kms, input.marker) : undefined;
      if (unmarked) {
        await call(`kms CreateAlias ${input.marker}`, () => kms.send(new CreateAliasCommand({ AliasName: input.marker, TargetKeyId: unmarked })));
        await recordWrite({ api: 'kms:CreateAlias', resource: input.marker, before: null, after: { targetKeyId: unmarked } });
        return { keyId: unmarked, created: true };
      }
      const made = await call('kms CreateKey', () =>
        kms.send(
          new CreateKeyCommand({
            KeySpec: input.keySpec as CreateKeyCommand['input']['KeySpec'],
            KeyUsage: input.keyUsage as CreateKeyCommand['input']['KeyUsage'],
            Description: `replacement for ${input.oldKeyId} (${input.incidentId})`,
            Tags: [
              { TagKey: 'TourniquetReplaces', TagValue: input.oldKeyId },
              { TagKey: 'TourniquetIncident', TagValue: input.incidentId.slice(0, 256) },
              { TagKey: MARKER_TAG, TagValue: input.marker.slice(0, 256) },
            ],
          }),
        ),
      );
      const keyId = made.KeyMetadata!.KeyId!;
      const keyArn = made.KeyMetadata!.Arn ?? keyId;
      await recordWrite({ api: 'kms:CreateKey', resource: keyArn, before: null, after: { keySpec: input.keySpec, keyUsage: input.keyUsage, replaces: input.oldKeyId } });
      // An unmarked key is never left behind (it would be created again on the retry): scheduled for deletion, on the record.
      const discard = async () => {
        const gone = await kms.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 7 })).catch(() => undefined);
        if (gone) await recordWrite({ api: 'kms:ScheduleKeyDeletion', resource: keyArn, before: { state: 'Enabled' }, after: { state: 'PendingDeletion', reason: 'replacement key never marked' } });
      };
      try {
        await kms.send(new CreateAliasCommand({ AliasName: input.marker, TargetKeyId: keyId }));
      } catch (err) {
        await discard();
        if (errorName(err) !== 'AlreadyExistsException') classify(err, `kms CreateAlias ${input.marker}`);
        const winner = await describeKey(kms, input.marker);
        return { keyId: winner.KeyId!, created: false };
      }
      await recordWrite({ api: 'kms:CreateAlias', resource: input.marker, before: null, after: { targetKeyId: keyId } });
      return { keyId, created: true };
    },

    /** Point each alias at the new key, then read every alias back. */
    async moveAliases(input: { aliases: string[]; targetKeyId: string }): Promise<{ moved: string[]; already: string[] }> {
      const moved: string[] = [];
      const already: string[] = [];
      for (const alias of input.aliases) {
        const current = await describeKey(kms, alias);
        if (current.KeyId === input.targetKeyId) {
          already.push(alias);
          continue;
        }
        await call(`kms UpdateAlias ${alias}`, () => kms.send(new UpdateAliasCommand({ AliasName: alias, TargetKeyId: input.targetKeyId })));
        await recordWrite({ api: 'kms:UpdateAlias', resource: current.Arn ? `${current.Arn.replace(/:key\/.*$/, ':')}${alias}` : alias, before: { targetKeyId: current.KeyId }, after: { targetKeyId: input.targetKeyId } });
        moved.push(alias);
      }
      for (const alias of input.aliases) {
        const after = await describeKey(kms, alias);
        if (after.KeyId !== input.targetKeyId) {
          throw ApplicationFailure.retryable(`alias ${alias} still targets ${after.KeyId}`, 'AliasNotMoved');
        }
      }
      return { moved, already };
    },

    /** Schedule deletion after the pending window; a key already pending deletion counts as done. */
    async scheduleKeyDeletion(input: { keyId: string; pendingWindowDays: number }): Promise<{ deletionDate: string; already: boolean }> {
      const key = await describeKey(kms, input.keyId);
      if (key.KeyState === 'PendingDeletion') {
        return { deletionDate: key.DeletionDate?.toISOString() ?? 'unknown', already: true };
      }
      const scheduled = await call(`kms ScheduleKeyDeletion ${input.keyId}`, () =>
        kms.send(new ScheduleKeyDeletionCommand({ KeyId: input.keyId, PendingWindowInDays: input.pendingWindowDays })),
      );
      await recordWrite({
        api: 'kms:ScheduleKeyDeletion',
        resource: key.Arn ?? input.keyId,
        before: { state: key.KeyState },
        after: { state: 'PendingDeletion', deletionDate: scheduled.DeletionDate?.toISOString() ?? null },
      });
      return { deletionDate: scheduled.DeletionDate?.toISOString() ?? 'unknown', already: false };
    },
  };
}

export type KmsActivities = ReturnType<typeof createKmsActivities>;
