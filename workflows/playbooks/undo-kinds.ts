/**
 * Every compensation a playbook can register (StepOutcome.undo), as a discriminated union: the
 * kind names the runner in workflows/playbooks/undo.ts and fixes its parameters. Undos are
 * recorded on the step in history, so a kind's parameters only ever gain optional fields.
 * Types only: playbooks, the undo workflow and the ingress import it.
 */
import type { GrantState, IpSetRef, OpenIngressRule, PublicAccessBlock } from '../../activities/aws';
import type { PolicyTarget } from '../../activities/aws/iam';

export interface UndoParams {
  unblockTraffic: { ipSet: IpSetRef; cidrs: string[]; blockExpiryWorkflowId: string };
  reactivateAccessKeys: { principal: string; accessKeyIds: string[]; keyDeletionWorkflowId: string };
  restoreRotatedKey: { keyId: string; aliases: string[]; policy: string; keyRetirementWorkflowId: string };
  /** each part is there only if the step changed it */
  restoreKeyAccess: { keyId: string; policy?: string; grants?: GrantState[]; enable?: boolean };
  cancelKmsKeyDeletion: { keyId: string; keyRetirementWorkflowId: string };
  removeSessionRevocation: { target: PolicyTarget; issuedBefore: string };
  /** `null`: the bucket had no Block Public Access configuration / no policy before */
  restorePublicAccess: { bucket?: string; publicAccessBlock?: PublicAccessBlock | null; policy?: string | null; groupId?: string; rules?: OpenIngressRule[] };
  liftWriteDeny: { bucket: string; sid: string };
  /** `versionId`: the step's own version; the previous one goes back only from it */
  restoreAccessKeyRotation: { principal: string; oldKeyId: string; newKeyId: string; secretId: string; previousVersionId: string; versionId: string; keyDeletionWorkflowId?: string };
}

export type UndoKind = keyof UndoParams;

export type UndoOf<K extends UndoKind> = { type: K; params: UndoParams[K]; description: string };

export type KnownUndo = { [K in UndoKind]: UndoOf<K> }[UndoKind];
