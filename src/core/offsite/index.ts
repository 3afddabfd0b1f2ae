/** Off-site copies: the public API; other code imports only from here. */
export type { Destination, PendingWrite, RemoteEntry } from './destination';
export { FolderDestination } from './folderDestination';
export { parseDestination } from './parseDestination';
export { copyOffsite, readRemoteManifest } from './copyOffsite';
export type { CopyOffsiteOptions, CopyOffsiteResult, OffsiteKey } from './copyOffsite';
export { offsiteCopies, offsiteCopyOf, offsitePathOf, readOffsiteState, remoteBackups } from './offsiteCopies';
export type { OffsiteCopy, OffsiteState, RemoteBackup } from './offsiteCopies';
export { fetchOffsite } from './fetchOffsite';
export type { FetchOffsiteResult } from './fetchOffsite';
export { offsiteEntries, planOffsiteRetention, pruneOffsite } from './offsiteRetention';
export type { PruneOffsiteOptions } from './offsiteRetention';
