import { GetIPSetCommand, UpdateIPSetCommand, type WAFV2Client } from '@aws-sdk/client-wafv2';
import { finalFailure } from '../errors';
import { call, readOptional } from './calls';
import { recordWrite } from './ledger';
import type { IpSetRef } from './params';

/**
 * WAFv2 IP set edits. WAF replaces the whole address list on update, guarded by a lock token: we
 * read, merge our change into what is there now, and write with the token we read. If someone
 * changed the set in between, WAF answers WAFOptimisticLockException, which is retryable: the
 * Temporal retry policy runs the activity again from the read, so their change is kept, not lost.
 */

/** WAF's quota of addresses per IP set. */
export const IP_SET_CAPACITY = 10_000;

export interface IpSetState {
  addresses: string[];
  ipVersion: 'IPV4' | 'IPV6';
  lockToken: string;
  description?: string;
  arn: string;
}

export async function readIpSet(waf: WAFV2Client, ref: IpSetRef): Promise<IpSetState> {
  const found = await readOptional(`wafv2 GetIPSet ${ref.name}`, () =>
    waf.send(new GetIPSetCommand({ Name: ref.name, Id: ref.id, Scope: ref.scope })),
  );
  if (!found?.IPSet) throw finalFailure(`WAF IP set ${ref.name} (${ref.id}, ${ref.scope}) does not exist`, 'WAFNonexistentItemException');
  return {
    addresses: found.IPSet.Addresses ?? [],
    ipVersion: found.IPSet.IPAddressVersion === 'IPV6' ? 'IPV6' : 'IPV4',
    lockToken: found.LockToken!,
    description: found.IPSet.Description,
    arn: found.IPSet.ARN ?? `wafv2:${ref.scope}/ipset/${ref.name}/${ref.id}`,
  };
}

async function writeAddresses(waf: WAFV2Client, ref: IpSetRef, state: IpSetState, addresses: string[]): Promise<void> {
  await call(`wafv2 UpdateIPSet ${ref.name}`, () =>
    waf.send(
      new UpdateIPSetCommand({
        Name: ref.name,
        Id: ref.id,
        Scope: ref.scope,
        Addresses: addresses,
        LockToken: state.lockToken,
        ...(state.description ? { Description: state.description } : {}),
      }),
    ),
  );
  const added = addresses.filter((a) => !state.addresses.includes(a));
  const removed = state.addresses.filter((a) => !addresses.includes(a));
  await recordWrite({ api: 'wafv2:UpdateIPSet', resource: state.arn, before: { entries: removed }, after: { entries: added } });
}

export function createWafActivities(waf: WAFV2Client) {
  return {
    async addToIpSet(input: { ipSet: IpSetRef; cidrs: string[] }): Promise<{ added: string[]; already: string[] }> {
      const state = await readIpSet(waf, input.ipSet);
      const added = input.cidrs.filter((c) => !state.addresses.includes(c));
      const already = input.cidrs.filter((c) => state.addresses.includes(c));
      if (added.length === 0) return { added, already };
      if (state.addresses.length + added.length > IP_SET_CAPACITY) {
        throw finalFailure(`WAF IP set ${input.ipSet.name} would exceed ${IP_SET_CAPACITY} addresses`, 'WAFLimitsExceededException');
      }
      await writeAddresses(waf, input.ipSet, state, [...state.addresses, ...added]);
      return { added, already };
    },

    /** Lift only our own entries; everything else in the set (other incidents, manual) stays. */
    async removeFromIpSet(input: { ipSet: IpSetRef; cidrs: string[] }): Promise<{ removed: string[]; absent: string[] }> {
      const state = await readIpSet(waf, input.ipSet);
      const removed = input.cidrs.filter((c) => state.addresses.includes(c));
      const absent = input.cidrs.filter((c) => !state.addresses.includes(c));
      if (removed.length === 0) return { removed, absent };
      await writeAddresses(waf, input.ipSet, state, state.addresses.filter((a) => !removed.includes(a)));
      return { removed, absent };
    },
  };
}

export type WafActivities = ReturnType<typeof createWafActivities>;
