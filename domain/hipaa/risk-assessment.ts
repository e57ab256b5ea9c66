/**
 * 45 CFR 164.402 "Breach" (2): an impermissible use or disclosure of PHI is presumed a breach
 * unless a risk assessment of at least four factors demonstrates a low probability that the PHI
 * has been compromised. 164.414(b): the entity bears the burden of proof, so the assessment is
 * kept in full, whatever it concludes.
 */
export interface RiskAssessment {
  /** 164.402(2)(i): the nature and extent of the PHI, types of identifiers, likelihood of re-identification */
  natureAndExtent: string;
  /** 164.402(2)(ii): the unauthorized person who used the PHI or to whom it was disclosed */
  unauthorizedPerson: string;
  /** 164.402(2)(iii): whether the PHI was actually acquired or viewed */
  acquiredOrViewed: string;
  /** 164.402(2)(iv): the extent to which the risk to the PHI has been mitigated */
  mitigation: string;
  conclusion: 'low-probability-of-compromise' | 'notification-required';
  assessedBy: string;
  /** where the signed assessment is kept */
  reference: string;
}

export const RISK_FACTORS = ['natureAndExtent', 'unauthorizedPerson', 'acquiredOrViewed', 'mitigation'] as const;

/** Undefined when the assessment documents every factor, else what is missing. */
export function rejectRiskAssessment(a: RiskAssessment): string | undefined {
  const missing = RISK_FACTORS.filter((f) => !a[f]?.trim());
  if (missing.length > 0) return `164.402(2): the assessment must address ${missing.join(', ')}`;
  if (a.conclusion !== 'low-probability-of-compromise' && a.conclusion !== 'notification-required') return 'conclusion must be low-probability-of-compromise or notification-required';
  if (!a.assessedBy?.trim()) return 'who made the assessment is required';
  if (!a.reference?.trim()) return '164.414(b): a reference to the kept assessment is required';
  return undefined;
}

/** A documented low probability of compromise means no notification is required (164.402(2)). */
export function requiresNotification(a: RiskAssessment | undefined): boolean {
  return a?.conclusion !== 'low-probability-of-compromise';
}
