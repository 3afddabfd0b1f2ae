// The "postgres" domain of src/core: what other folders, the extension, the command line and the tests use from it.
// Other folders import only from here (scripts/check-layout.mjs).
export { CopyTagCollector, countsFromTags } from './copyTags';
export { connectDirect, routes, serverPort } from './directConnection';
export { describeOtherSessions, otherSessions } from './otherSessions';
export type { OtherSession } from './otherSessions';
export { PgConnection, PgConnectionLost, PgServerError, errorFields } from './pgConnection';
export { ScramClient } from './pgScram';
export { PgSslError, PgSslSettingError, sslFromEnv } from './pgSsl';
export type { PgSsl, SslMode } from './pgSsl';
export { estimatedRowCounts, maintenanceDatabase, psql, rows, serverVersion, tableRowCounts } from './psql';
export type { PsqlTarget } from './psql';
export { IncompleteScriptError, SqlScriptSplitter, UnsupportedScriptError } from './sqlScriptSplitter';
export type { ScriptPiece } from './sqlScriptSplitter';
export { WireScriptSink } from './wireScriptSink';
