// The "stack" domain of src/core: what other folders, the extension, the command line and the tests use from it.
// Other folders import only from here (scripts/check-layout.mjs).
export { describeUpgrade, findMigrationsDir, parseMigration, planUpgrade, readMigrations } from './alembicPlan';
export type { Migration } from './alembicPlan';
export { waitForHealthy } from './appHealth';
export type { HealthResult, HealthSpec } from './appHealth';
export { detectAlembic, runMigration, startContainers, stopContainers } from './appServices';
export type { MigrationResult } from './appServices';
export { COMPOSE_FILE_NAMES, composeFileIn, withActualComposeFile } from './composeFiles';
export { NoStackError, discoverStack, folderProjectName } from './discovery';
export type { DiscoverySettings, Stack } from './discovery';
export { containersLeftStopped, startInterruptedStop, startInterruptedStops } from './leftStopped';
export type { LeftStopped } from './leftStopped';
