/**
 * What the ledger says about AWS writes, shared by the activities that record them and the
 * workflows that report them (see activities/aws/ledger.ts).
 */

/** Why a write happens: the approvals of its step, or the person who asked for an undo. */
export interface WriteAuthority {
  approvedBy: string[];
  requestedBy?: string;
  /** e.g. `containment step revoke-key`, `grace period over`, `undo: false positive` */
  reason: string;
}

/** The ledger ids a write activity's result carries (none when it found everything already so). */
export function ledgerIdsOf(result: unknown): string[] {
  const ids = (result as { ledger?: unknown } | null)?.ledger;
  return Array.isArray(ids) ? (ids as string[]) : [];
}

/** `aws/<workflow id>/<activity id>/<api>/<resource digest>` → `<api> (ledger <id>)`, for a timeline. */
export function describeWrite(ledgerId: string): string {
  const parts = ledgerId.split('/');
  return parts.length >= 3 ? `${parts[parts.length - 2]} (ledger ${ledgerId})` : ledgerId;
}
