import type { Readable, Writable } from 'node:stream';

/** One object at a destination, by its path relative to the destination's root ("database/x.sql.gz"). */
export interface RemoteEntry {
  path: string;
  bytes: number;
  modified?: Date;
}

/**
 * An object being written. Bytes go to `stream`; nothing is visible under the final name until
 * `commit()`. A folder or SFTP destination writes a partial name and renames it; an S3 one
 * completes a multipart upload to the final key at commit (checked by the server's
 * checksums), or uploads to a staging key and copies it into place. `readBack()` reads what was written before it counts, so a copy is checked
 * where it landed, not where it came from. `abort()` leaves nothing behind (an S3 multipart
 * upload is aborted, so no parts stay billed); it is safe to call more than once.
 */
export interface PendingWrite {
  readonly stream: Writable;
  readBack(): Promise<Readable>;
  commit(): Promise<void>;
  /**
   * Where the destination itself can prove what it stored (S3's SHA256 checksums, computed by the
   * server from the parts it kept): puts the object in place, checks it against what was sent
   * and answers true, or throws when it does not match (abort() then removes it). False: no such
   * proof here; readBack() and commit() check it as for any destination.
   */
  commitProven?(sent: { bytes: number; sha256: string }): Promise<boolean>;
  abort(): Promise<void>;
}

/**
 * Where off-site copies go. Paths are relative, with forward slashes, and mirror the local
 * backup folder (`database/…`, `config/…`, `volumes/…`), so the runbook's own tools read them.
 */
export interface Destination {
  /** For messages and tooltips: "the folder /mnt/nas/sms". Never holds a secret. */
  describe(): string;
  /**
   * Throws a LifeboatError that says what to fix when the destination cannot be used (a folder
   * that is not mounted, a bucket that does not exist, wrong credentials). Never creates the root.
   */
  check(): Promise<void>;
  /** Objects under `prefix` (a folder such as "database/"), partial writes excluded. */
  list(prefix: string): Promise<RemoteEntry[]>;
  /** The object, or undefined when there is none. */
  stat(path: string): Promise<RemoteEntry | undefined>;
  read(path: string): Promise<Readable>;
  write(path: string): Promise<PendingWrite>;
  /** Removes the object; a missing one is not an error. */
  remove(path: string): Promise<void>;
  /** Lets go of connections (an S3 client's sockets), once the caller is done with the destination. */
  close?(): Promise<void>;
}
