import * as assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** How a child ended: its signal, or its exit code. */
export function exited(child: ChildProcess): Promise<NodeJS.Signals | number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.signalCode ?? child.exitCode);
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code)));
}

/**
 * Runs the child in slices of a few milliseconds, stopped (SIGSTOP) between them while
 * `ready` looks at the files and the containers, and kills it (SIGKILL) in the first stopped
 * state that `ready` accepts: a phase a few milliseconds wide is hit exactly, not by luck of
 * timing.
 */
export async function killWhen(child: ChildProcess, ready: () => Promise<boolean>, sliceMs: number): Promise<void> {
  const gone = exited(child);
  let done = false;
  void gone.then(() => (done = true));
  for (;;) {
    await sleep(sliceMs);
    if (done) throw new Error('the operation finished before the phase was reached');
    child.kill('SIGSTOP');
    // A stopped process's state is settled once the signal is delivered.
    await sleep(5);
    // A failing look must not leave a stopped process behind.
    const now = await ready().catch((err: unknown) => {
      child.kill('SIGKILL');
      throw err;
    });
    if (now) {
      child.kill('SIGKILL');
      assert.equal(await gone, 'SIGKILL');
      return;
    }
    child.kill('SIGCONT');
  }
}
