/** Off-site copies: the public API; other code imports only from here. */
export type { Destination, PendingWrite, RemoteEntry } from './destination';
export { FolderDestination } from './folderDestination';
export { parseDestination } from './parseDestination';
export type { DestinationOptions } from './parseDestination';
export { SftpDestination } from './sftpDestination';
export type { SftpOptions } from './sftpOptions';
export { parseSftpUrl, sftpAddress } from './sftpTarget';
export type { SftpTarget } from './sftpTarget';
export { HostKeyError } from './hostKeyError';
export { sftpIdentity } from './sftpIdentity';
export { knownHostName, trustHostKey } from './knownHosts';
export { copyOffsite, readRemoteManifest } from './copyOffsite';
export type { CopyOffsiteOptions, CopyOffsiteResult, OffsiteKey } from './copyOffsite';
export { offsiteCopies, offsiteCopyOf, offsitePathOf, readOffsiteState } from './offsiteCopies';
export type { OffsiteCopy, OffsiteState } from './offsiteCopies';
