import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readKeyFile } from '../../../src/core/crypto';
import { LifeboatError } from '../../../src/core/common';

describe('readKeyFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lb-key-'));
  const write = (name: string, data: string | Buffer, mode = 0o600) => {
    const p = join(dir, name);
    writeFileSync(p, data);
    chmodSync(p, mode);
    return p;
  };
  /** What bash hands `openssl -k "$(cat file)"`, taken from bash itself. */
  const bashSees = (p: string) =>
    execFileSync('bash', ['-c', 'printf %s "$(cat "$1")"', 'bash', p], { stdio: ['ignore', 'pipe', 'ignore'] });

  it('reads exactly what $(cat key) gives the runbook', async () => {
    const samples: Array<string | Buffer> = [
      'secret',
      'secret\n',
      'secret\n\n\n',
      'two\nlines\n',
      'trailing space \n',
      'crlf\r\n',
      '  lead',
      'ünïcödé\n',
      Buffer.from([0x61, 0x00, 0x62, 0x0a]),
    ];
    for (const [i, s] of samples.entries()) {
      const p = write(`k${i}`, s);
      assert.ok((await readKeyFile(p)).equals(bashSees(p)), JSON.stringify(String(s)));
    }
  });

  for (const mode of [0o644, 0o640, 0o604, 0o660, 0o602, 0o620]) {
    it(`refuses a key file with mode ${mode.toString(8)}, naming the path and the fix`, async () => {
      const p = write(`m${mode}`, 'secret\n', mode);
      await assert.rejects(
        readKeyFile(p),
        (e: LifeboatError) => e.message.includes(p) && e.hint!.includes(`chmod 600 ${p}`) && !e.message.includes('secret'),
      );
    });
  }

  it('accepts 0400 and follows a symlink to a private file', async () => {
    const p = write('ro', 'k\n', 0o400);
    assert.equal((await readKeyFile(p)).toString(), 'k');
    symlinkSync(p, join(dir, 'link'));
    assert.equal((await readKeyFile(join(dir, 'link'))).toString(), 'k');
  });

  it('says what is wrong with a missing, empty or non-file key', async () => {
    await assert.rejects(readKeyFile(join(dir, 'nope')), /does not exist/);
    await assert.rejects(readKeyFile(write('empty', '\n\n')), /is empty/);
    await assert.rejects(readKeyFile(dir), /not a regular file|readable or writable by other/);
  });

  it("a key path through a file names the path and the system's reason", async () => {
    const through = join(write('plain', 'x'), 'key');
    await assert.rejects(readKeyFile(through), (err: Error) => {
      assert.ok(err instanceof LifeboatError);
      assert.ok(err.message.startsWith(`Cannot read the key file ${through}: ENOTDIR`), err.message);
      return true;
    });
  });

  it('a key file another user owns is refused as unreadable by this user, with the chmod to run as its owner', async function () {
    // The tests run as root, whom permissions never stop: the read is made as "nobody" for a moment.
    if (process.getuid?.() !== 0 || !process.seteuid) this.skip();
    const key = write('roots-key', 'secret\n', 0o600);
    let caught: unknown;
    process.seteuid!(65534);
    try {
      await readKeyFile(key);
    } catch (err) {
      caught = err;
    } finally {
      process.seteuid!(0);
    }
    assert.ok(caught instanceof LifeboatError, String(caught));
    assert.equal(caught.message, `The key file ${key} is not readable by this user (EACCES).`);
    assert.equal(caught.hint, `Make it readable by you only: \`chmod 600 ${key}\` as its owner.`);
  });
});
