export { RunbookSchema } from './schema';
export { parseRunbook, loadRunbooks, readRunbooks, claimRunbookId, runbookFiles, RunbookError, type RunbookProblem, type RunbookNames } from './loader';
export { selectRunbook, ruleMatches, TRIAGE_RUNBOOK_ID } from './matcher';
export { dryRun, describeDryRun, type PlannedStep, type RunbookDryRun } from './dry-run';
export { schemaIssues, type SchemaIssue } from './schema-issues';
export { parseScenario, readScenarios, scenariosDirOf, scheduleOf, ScenarioSchema, DrillSubjectSchema } from './scenario';
