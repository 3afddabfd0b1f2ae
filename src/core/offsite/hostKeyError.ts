import { LifeboatError } from '../common';
import { knownHostName } from './knownHosts';

/**
 * The SFTP server's host key is not the one known_hosts trusts. `unknown`: the host is not
 * listed, and the user may check the fingerprint and trust it (the extension asks in a modal; the
 * command line says how to add it). `changed`: the host is listed with another key, which is
 * what an interception looks like, so it is never offered for trust.
 */
export class HostKeyError extends LifeboatError {
  constructor(
    readonly reason: 'unknown' | 'changed',
    readonly host: string,
    readonly port: number,
    readonly fingerprint: string,
    readonly keyBlob: Buffer,
    readonly knownHosts: string,
  ) {
    const where = knownHostName(host, port);
    const portFlag = port === 22 ? '' : ` -p ${port}`;
    super(
      reason === 'changed'
        ? `The SFTP server ${where} offers a host key that has CHANGED (it now offers ${fingerprint}, not the key recorded in ${knownHosts}). Lifeboat did not connect, because someone may be intercepting the connection.`
        : `The SFTP server ${where} offers the host key ${fingerprint}, which is not in ${knownHosts}, so Lifeboat did not connect.`,
      reason === 'changed'
        ? `If the server was reinstalled, confirm its new key with its administrator, remove the old entry (ssh-keygen -R "${where}") and connect once with ssh${portFlag} ${host}; otherwise do not connect.`
        : `Check that fingerprint with the server's administrator, then trust it by connecting once with ssh${portFlag} ${host} (or ssh-keyscan${portFlag} ${host} >> ~/.ssh/known_hosts), and retry.`,
    );
    this.name = 'HostKeyError';
  }
}
