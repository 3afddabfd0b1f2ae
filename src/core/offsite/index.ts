/** Off-site copies: the public API; other code imports only from here. */
export type { Destination, PendingWrite, RemoteEntry } from './destination';
export { FolderDestination } from './folderDestination';
export { parseDestination } from './parseDestination';
export type { DestinationOptions } from './parseDestination';
export { S3Destination } from './s3Destination';
export type { S3BackendOptions, S3Credentials } from './s3Backend';
export type { S3Location, S3Settings } from './s3Location';
export { s3Error } from './s3Error';
export type { S3ErrorContext } from './s3Error';
export { copyOffsite, readRemoteManifest } from './copyOffsite';
export type { CopyOffsiteOptions, CopyOffsiteResult, OffsiteKey } from './copyOffsite';
export { offsiteCopies, offsiteCopyOf, offsitePathOf, readOffsiteState, remoteBackups } from './offsiteCopies';
export type { OffsiteCopy, OffsiteState, RemoteBackup } from './offsiteCopies';
export { fetchOffsite } from './fetchOffsite';
export type { FetchOffsiteResult } from './fetchOffsite';
export { offsiteEntries, planOffsiteRetention, pruneOffsite } from './offsiteRetention';
export type { PruneOffsiteOptions } from './offsiteRetention';
