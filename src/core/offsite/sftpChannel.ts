import type { Client, SFTPWrapper } from 'ssh2';

// ssh2 drops a request sent on a channel whose connection has gone (its callback is never
// called), so every request first asks here; the mark is set as soon as ssh2 says it ended.
const lost = new WeakSet<SFTPWrapper>();

export function watchChannel(sftp: SFTPWrapper, client: Client): void {
  const mark = () => lost.add(sftp);
  sftp.once('end', mark);
  sftp.once('close', mark);
  client.once('end', mark);
  client.once('close', mark);
}

/** The error for a request that can no longer be answered, or undefined while the channel is open. */
export function channelLost(sftp: SFTPWrapper): Error | undefined {
  return lost.has(sftp) ? new Error('the connection to the server was lost') : undefined;
}

/** ssh2's words for requests the dropped connection left unanswered, said as what happened. */
export function requestError(err: Error): Error {
  return err.message === 'No response from server' ? new Error('the connection to the server was lost (no answer to a request)') : err;
}

/** One SFTP request as a promise; refused at once when the connection is gone. */
export function sftpRequest<T = void>(
  sftp: SFTPWrapper,
  send: (done: (err: Error | null | undefined, value?: T) => void) => void,
): Promise<T> {
  const gone = channelLost(sftp);
  if (gone) return Promise.reject(gone);
  return new Promise<T>((resolve, reject) => send((err, value) => (err ? reject(requestError(err)) : resolve(value as T))));
}
