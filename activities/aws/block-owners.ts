import { Context } from '@temporalio/activity';
import type { WAFV2Client } from '@aws-sdk/client-wafv2';
import { BLOCK_EXPIRY_WORKFLOW, blockedCidrsKey, blockTag } from '../../workflows/playbooks/definitions';
import type { IpSetRef } from './params';
import { createWafActivities } from './waf';

/**
 * Several incidents may block the same address in the same IP set. Each running block says what it
 * holds in a search attribute; these activities ask Temporal visibility who else holds an entry,
 * so one incident's expiry or undo never lifts what another incident still needs.
 */
export function createBlockOwnerActivities(waf: WAFV2Client) {
  const { removeFromIpSet } = createWafActivities(waf);

  async function heldByOtherBlocks(input: { ipSet: IpSetRef; cidrs: string[]; except?: string }): Promise<string[]> {
    if (input.cidrs.length === 0) return [];
    const tags = new Map(input.cidrs.map((cidr) => [blockTag(input.ipSet.id, cidr), cidr]));
    // Ids and CIDRs contain no quotes: safe inside the visibility query.
    const query = `WorkflowType = '${BLOCK_EXPIRY_WORKFLOW}' AND ExecutionStatus = 'Running' AND ${blockedCidrsKey.name} IN (${[...tags.keys()].map((t) => `'${t}'`).join(', ')})`;
    const held = new Set<string>();
    for await (const wf of Context.current().client.workflow.list({ query })) {
      if (wf.workflowId === input.except) continue;
      for (const tag of wf.typedSearchAttributes.get(blockedCidrsKey) ?? []) {
        const cidr = tags.get(tag);
        if (cidr) held.add(cidr);
      }
    }
    return input.cidrs.filter((cidr) => held.has(cidr));
  }

  return {
    heldByOtherBlocks,

    /** Remove the block's entries from the set, except those another running block still holds. */
    async releaseFromIpSet(input: { ipSet: IpSetRef; cidrs: string[]; owner: string }) {
      const kept = await heldByOtherBlocks({ ipSet: input.ipSet, cidrs: input.cidrs, except: input.owner });
      const release = input.cidrs.filter((cidr) => !kept.includes(cidr));
      const result = release.length > 0 ? await removeFromIpSet({ ipSet: input.ipSet, cidrs: release }) : { removed: [], absent: [] };
      return { ...result, keptForOthers: kept };
    },
  };
}
