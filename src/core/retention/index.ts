// The "retention" domain of src/core: what other folders, the extension, the command line and the tests use from it.
// Other folders import only from here (scripts/check-layout.mjs).
export { assertPlanKeepsEnough, pruneBackups, pruneKind } from './prune';
export type { PruneResult } from './prune';
export { RUNBOOK_RETENTION, describePolicy, planRetention, weekKey } from './retention';
export type { RetentionDecision, RetentionPlan, RetentionPolicies, RetentionPolicy, SeriesPlan } from './retention';
export { renderRetentionMarkdown } from './retentionReport';
