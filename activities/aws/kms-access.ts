import {
  CancelKeyDeletionCommand,
  CreateGrantCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  EnableKeyCommand,
  GetKeyPolicyCommand,
  paginateListGrants,
  PutKeyPolicyCommand,
  RevokeGrantCommand,
  type GrantConstraints,
  type GrantOperation,
  type KMSClient,
} from '@aws-sdk/client-kms';
import { ApplicationFailure } from '@temporalio/activity';
import { canonicalJson } from '../../platform/canonical-json';
import { classify, finalFailure } from '../errors';
import { call, collectPages, isNotFound, readOptional } from './calls';
import { isRestricted, parsePolicy, restrictedPolicy, samePolicy, withoutRestriction, type KeyPolicy } from './key-policy';
import { describeKey } from './kms';
import { recordWrite } from './ledger';

/**
 * Who may use a KMS key: its key policy, its grants, and whether it is enabled. Each activity
 * reads, compares and writes only what differs, then reads back, so a retry after a lost answer
 * finds the change already made.
 */


/** A grant as recorded for an undo: what CreateGrant needs to make an equivalent one. */
export interface GrantState {
  grantId: string;
  name?: string;
  grantee: string;
  retiringPrincipal?: string;
  operations: string[];
  constraints?: GrantConstraints;
}

export async function readKeyPolicy(kms: KMSClient, keyId: string): Promise<{ text: string; policy: KeyPolicy }> {
  const out = await call(`kms GetKeyPolicy ${keyId}`, () => kms.send(new GetKeyPolicyCommand({ KeyId: keyId, PolicyName: 'default' })));
  const text = out.Policy ?? '{"Statement":[]}';
  return { text, policy: parsePolicy(text, `the key policy of ${keyId}`) };
}

async function putKeyPolicy(kms: KMSClient, keyId: string, before: string, policy: string): Promise<void> {
  await call(`kms PutKeyPolicy ${keyId}`, () => kms.send(new PutKeyPolicyCommand({ KeyId: keyId, PolicyName: 'default', Policy: policy })));
  await recordWrite({ api: 'kms:PutKeyPolicy', resource: await keyArn(kms, keyId), before: JSON.parse(before), after: JSON.parse(policy) });
}

async function keyArn(kms: KMSClient, keyId: string): Promise<string> {
  return (await describeKey(kms, keyId)).Arn ?? keyId;
}

export async function listGrants(kms: KMSClient, keyId: string): Promise<GrantState[]> {
  const grants = await collectPages(`kms ListGrants ${keyId}`, paginateListGrants({ client: kms }, { KeyId: keyId }), (page) => page.Grants);
  return grants.map((g) => ({
    grantId: g.GrantId!,
    ...(g.Name ? { name: g.Name } : {}),
    grantee: g.GranteePrincipal ?? '',
    ...(g.RetiringPrincipal ? { retiringPrincipal: g.RetiringPrincipal } : {}),
    operations: [...(g.Operations ?? [])].sort(),
    ...(g.Constraints && Object.keys(g.Constraints).length > 0 ? { constraints: g.Constraints } : {}),
  }));
}

/** The same grant in all that matters for access (its id is new when re-created). */
function sameGrant(a: Omit<GrantState, 'grantId'>, b: Omit<GrantState, 'grantId'>): boolean {
  const shape = (g: Omit<GrantState, 'grantId'>) =>
    canonicalJson({ name: g.name, grantee: g.grantee, retiring: g.retiringPrincipal, operations: [...g.operations].sort(), constraints: g.constraints ?? {} });
  return shape(a) === shape(b);
}

export function createKmsAccessActivities(kms: KMSClient) {
  return {
    /**
     * Retire a replaced key: add the deny on new ciphertext to its policy, keep everything else.
     * Returns the policy as it was before, for the undo; a retry finds the deny in place and
     * derives the same previous policy from it.
     */
    async restrictKeyPolicy(input: { keyId: string }): Promise<{ previousPolicy: string; already: boolean }> {
      const { text, policy } = await readKeyPolicy(kms, input.keyId);
      if (isRestricted(policy)) return { previousPolicy: JSON.stringify(withoutRestriction(policy)), already: true };
      await putKeyPolicy(kms, input.keyId, text, JSON.stringify(restrictedPolicy(policy)));
      const after = await readKeyPolicy(kms, input.keyId);
      if (!isRestricted(after.policy)) {
        throw ApplicationFailure.retryable(`the key policy of ${input.keyId} does not show the restriction yet`, 'PolicyNotApplied');
      }
      return { previousPolicy: text, already: false };
    },

    /** Make the key policy grant exactly what `policy` grants (the baseline, or the previous policy on undo). */
    async setKeyPolicy(input: { keyId: string; policy: string }): Promise<{ changed: boolean }> {
      const wanted = parsePolicy(input.policy, `the policy for ${input.keyId}`);
      const current = await readKeyPolicy(kms, input.keyId);
      if (samePolicy(current.policy, wanted)) return { changed: false };
      await putKeyPolicy(kms, input.keyId, current.text, input.policy);
      if (!samePolicy((await readKeyPolicy(kms, input.keyId)).policy, wanted)) {
        throw ApplicationFailure.retryable(`the key policy of ${input.keyId} does not read back as written yet`, 'PolicyNotApplied');
      }
      return { changed: true };
    },

    /** Revoke the named grants that still exist; a grant already gone counts as revoked. */
    async revokeKeyGrants(input: { keyId: string; grantIds: string[] }): Promise<{ revoked: string[]; absent: string[] }> {
      const grants = await listGrants(kms, input.keyId);
      const present = new Set(grants.map((g) => g.grantId));
      const revoked: string[] = [];
      const absent: string[] = [];
      for (const grantId of input.grantIds) {
        if (!present.has(grantId)) {
          absent.push(grantId);
          continue;
        }
        try {
          await kms.send(new RevokeGrantCommand({ KeyId: input.keyId, GrantId: grantId }));
          await recordWrite({ api: 'kms:RevokeGrant', resource: `${await keyArn(kms, input.keyId)}/grant/${grantId}`, before: grants.find((g) => g.grantId === grantId), after: null });
          revoked.push(grantId);
        } catch (err) {
          // Revoked by someone else between the list and now: the effect is there.
          if (!isNotFound(err) && (err as { name?: string }).name !== 'InvalidGrantIdException') classify(err, `kms RevokeGrant ${grantId}`);
          absent.push(grantId);
        }
      }
      const left = (await listGrants(kms, input.keyId)).filter((g) => input.grantIds.includes(g.grantId));
      if (left.length > 0) {
        throw ApplicationFailure.retryable(`grant(s) ${left.map((g) => g.grantId).join(', ')} of ${input.keyId} still listed`, 'GrantNotRevoked');
      }
      return { revoked, absent };
    },

    /** Undo of a revocation: a grant with the same grantee, operations and constraints, unless one exists. */
    async recreateKeyGrants(input: { keyId: string; grants: GrantState[] }): Promise<{ created: number; already: number }> {
      const existing = await listGrants(kms, input.keyId);
      let created = 0;
      let already = 0;
      for (const grant of input.grants) {
        if (existing.some((e) => sameGrant(e, grant))) {
          already += 1;
          continue;
        }
        const made = await call(`kms CreateGrant ${input.keyId}`, () =>
          kms.send(
            new CreateGrantCommand({
              KeyId: input.keyId,
              GranteePrincipal: grant.grantee,
              Operations: grant.operations as GrantOperation[],
              ...(grant.constraints ? { Constraints: grant.constraints } : {}),
              ...(grant.retiringPrincipal ? { RetiringPrincipal: grant.retiringPrincipal } : {}),
              ...(grant.name ? { Name: grant.name } : {}),
            }),
          ),
        );
        await recordWrite({ api: 'kms:CreateGrant', resource: `${await keyArn(kms, input.keyId)}/grant/${made.GrantId ?? grant.grantId}`, before: null, after: { ...grant, grantId: made.GrantId } });
        created += 1;
      }
      return { created, already };
    },

    /** `Gone` once KMS has deleted the key. */
    async kmsKeyState(input: { keyId: string }): Promise<{ state: string; deletionDate?: string }> {
      const found = await readOptional(`kms DescribeKey ${input.keyId}`, () => kms.send(new DescribeKeyCommand({ KeyId: input.keyId })));
      if (!found?.KeyMetadata) return { state: 'Gone' };
      const { KeyState, DeletionDate } = found.KeyMetadata;
      return { state: KeyState ?? 'Unknown', ...(DeletionDate ? { deletionDate: DeletionDate.toISOString() } : {}) };
    },

    async disableKmsKey(input: { keyId: string }): Promise<{ already: boolean }> {
      const key = await describeKey(kms, input.keyId);
      if (key.KeyState === 'Disabled') return { already: true };
      if (key.KeyState !== 'Enabled') throw finalFailure(`KMS key ${input.keyId} is ${key.KeyState}; it cannot be disabled`, 'KMSInvalidStateException');
      await call(`kms DisableKey ${input.keyId}`, () => kms.send(new DisableKeyCommand({ KeyId: input.keyId })));
      await recordWrite({ api: 'kms:DisableKey', resource: key.Arn ?? input.keyId, before: { state: key.KeyState }, after: { state: 'Disabled' } });
      const after = await describeKey(kms, input.keyId);
      if (after.KeyState !== 'Disabled') throw ApplicationFailure.retryable(`KMS key ${input.keyId} is still ${after.KeyState}`, 'KeyStateNotChanged');
      return { already: false };
    },

    async enableKmsKey(input: { keyId: string }): Promise<{ already: boolean }> {
      const key = await describeKey(kms, input.keyId);
      if (key.KeyState === 'Enabled') return { already: true };
      if (key.KeyState === 'PendingDeletion') {
        throw finalFailure(`KMS key ${input.keyId} is pending deletion; cancel the deletion first (tourniquet kms cancel-deletion)`, 'KMSInvalidStateException');
      }
      if (key.KeyState !== 'Disabled') throw finalFailure(`KMS key ${input.keyId} is ${key.KeyState}; it cannot be enabled`, 'KMSInvalidStateException');
      await call(`kms EnableKey ${input.keyId}`, () => kms.send(new EnableKeyCommand({ KeyId: input.keyId })));
      await recordWrite({ api: 'kms:EnableKey', resource: key.Arn ?? input.keyId, before: { state: key.KeyState }, after: { state: 'Enabled' } });
      const after = await describeKey(kms, input.keyId);
      if (after.KeyState !== 'Enabled') throw ApplicationFailure.retryable(`KMS key ${input.keyId} is still ${after.KeyState}`, 'KeyStateNotChanged');
      return { already: false };
    },

    /**
     * CancelKeyDeletion leaves a key Disabled, so the key is enabled again too: cancelling a
     * deletion means the key is needed. A retry after the cancel finds it Disabled and enables it.
     */
    async cancelKmsKeyDeletion(input: { keyId: string }): Promise<{ cancelled: boolean; enabled: boolean }> {
      const key = await describeKey(kms, input.keyId);
      let cancelled = false;
      if (key.KeyState === 'PendingDeletion') {
        await call(`kms CancelKeyDeletion ${input.keyId}`, () => kms.send(new CancelKeyDeletionCommand({ KeyId: input.keyId })));
        await recordWrite({ api: 'kms:CancelKeyDeletion', resource: key.Arn ?? input.keyId, before: { state: 'PendingDeletion' }, after: { state: 'Disabled' } });
        cancelled = true;
      }
      const now = await describeKey(kms, input.keyId);
      if (now.KeyState === 'PendingDeletion') throw ApplicationFailure.retryable(`KMS key ${input.keyId} is still pending deletion`, 'KeyStateNotChanged');
      let enabled = false;
      if (now.KeyState === 'Disabled') {
        await call(`kms EnableKey ${input.keyId}`, () => kms.send(new EnableKeyCommand({ KeyId: input.keyId })));
        await recordWrite({ api: 'kms:EnableKey', resource: now.Arn ?? input.keyId, before: { state: 'Disabled' }, after: { state: 'Enabled' } });
        enabled = true;
      }
      const after = await describeKey(kms, input.keyId);
      if (after.KeyState !== 'Enabled') throw ApplicationFailure.retryable(`KMS key ${input.keyId} is ${after.KeyState}, not Enabled`, 'KeyStateNotChanged');
      return { cancelled, enabled };
    },
  };
}

export type KmsAccessActivities = ReturnType<typeof createKmsAccessActivities>;
