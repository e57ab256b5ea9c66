import { insecureUrlReason } from '../platform/secure-url';

export interface ParamProblem {
  param: string;
  message: string;
}

/**
 * Checks a step type can make on its parameters when the runbook loads, so a mistake stops the
 * worker at start rather than failing an incident's step. Only literal values are checked: one
 * holding a `${…}` reference is known when the step runs, and its activity checks it then.
 */
const CHECKS: Record<string, (params: Record<string, unknown>) => ParamProblem[]> = {
  webhook: ({ url }) => {
    if (typeof url !== 'string' || url.includes('${')) return [];
    const reason = insecureUrlReason(url);
    return reason ? [{ param: 'url', message: reason }] : [];
  },
};

export function staticParamProblems(type: string, params: Record<string, unknown>): ParamProblem[] {
  return CHECKS[type]?.(params) ?? [];
}
