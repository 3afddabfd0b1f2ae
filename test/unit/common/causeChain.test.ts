import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../../src/cli/main';
import { causeChain, causeLines, DockerUnavailableError, LifeboatError, fsError } from '../../../src/core/common';
import { CryptoError } from '../../../src/core/crypto';

const enospc = () => Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28 });

describe('errors keep their cause, and the log shows the chain', () => {
  it('LifeboatError keeps the cause it is given (ES2022 Error cause), and has none otherwise', () => {
    const inner = new Error('socket hang up');
    const err = new LifeboatError('The snapshot failed.', 'Retry.', undefined, { cause: inner });
    assert.equal(err.cause, inner);
    assert.equal(err.hint, 'Retry.');
    assert.equal('cause' in new LifeboatError('No cause.'), false);
    assert.equal(new DockerUnavailableError('unix:///x', 'nothing is listening there', undefined, inner).cause, inner);
    assert.equal(new CryptoError('wrong-key', 'wrong passphrase or key', undefined, { cause: inner }).cause, inner);
  });

  it('fsError keeps the Node error it explains', () => {
    const cause = enospc();
    const err = fsError(cause, 'write the backup', '/backups/database');
    assert.equal(err.cause, cause);
    assert.match(err.message, /is full \(ENOSPC\)/);
  });

  it('causeChain lists outermost first, adds a code the message lacks, and ends on a cycle', () => {
    const root = Object.assign(new Error('connect failed'), { code: 'ECONNREFUSED' });
    const middle = new LifeboatError('The dump stream failed: connect failed', undefined, undefined, { cause: root });
    const top = new LifeboatError('The backup failed.', undefined, undefined, { cause: middle });
    // The root's words are already in its wrapper's message: only its code would be new, so it is left out.
    assert.deepEqual(causeChain(top), ['The backup failed.', 'The dump stream failed: connect failed']);
    const other = new LifeboatError('The backup failed.', undefined, undefined, {
      cause: Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }),
    });
    assert.deepEqual(causeChain(other), ['The backup failed.', 'refused (ECONNREFUSED)']);
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    (a as { cause?: unknown }).cause = b;
    assert.deepEqual(causeChain(b), ['b', 'a']);
    assert.deepEqual(causeChain('plain string'), ['plain string']);
  });

  it('causeLines are what a log prints under the message', () => {
    const err = fsError(enospc(), 'write the backup', '/backups');
    assert.deepEqual(causeLines(err), ['  caused by: ENOSPC: no space left on device, write']);
    assert.deepEqual(causeLines(new LifeboatError('alone')), []);
  });

  it("the command line's log prints the cause chain under the error (Docker down)", async () => {
    const folder = await fs.mkdtemp(join(tmpdir(), 'lifeboat-cause-'));
    const saved = { host: process.env.DOCKER_HOST, context: process.env.DOCKER_CONTEXT, write: process.stderr.write };
    let stderr = '';
    process.env.DOCKER_HOST = 'unix:///nonexistent/lifeboat-test/docker.sock';
    delete process.env.DOCKER_CONTEXT;
    process.stderr.write = ((chunk: string | Uint8Array) => {
      stderr += String(chunk);
      return true;
    }) as typeof process.stderr.write;
    let code;
    try {
      code = await main(['backup', 'database', '--folder', folder]);
    } finally {
      process.stderr.write = saved.write;
      if (saved.host === undefined) delete process.env.DOCKER_HOST;
      else process.env.DOCKER_HOST = saved.host;
      if (saved.context !== undefined) process.env.DOCKER_CONTEXT = saved.context;
      await fs.rm(folder, { recursive: true, force: true });
    }
    assert.equal(code, 3, stderr);
    assert.match(stderr, /lifeboat: error: Cannot reach the Docker engine/);
    assert.match(stderr, /\n {2}caused by: .*\/nonexistent\/lifeboat-test\/docker\.sock/, stderr);
  });
});
