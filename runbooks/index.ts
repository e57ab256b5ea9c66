export { RunbookSchema } from './schema';
export { parseRunbook, loadRunbooks, runbookFiles, RunbookError, type RunbookProblem } from './loader';
export { selectRunbook, ruleMatches, TRIAGE_RUNBOOK_ID } from './matcher';
