import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { detectAlembic, startContainers } from '../../src/core/stack';
import { waitForContainers, runExec } from '../../src/core/docker';
import { CancelledError, LifeboatError } from '../../src/core/common';
import { collectingLogger, docker } from './harness';

/** Commands in the demo database container (read-only: cat, head, sleep), and containers of this run's own that never start. */
describe('exec, starting and waiting for containers on a real engine (sms-db)', function () {
  this.timeout(60_000);
  const container = docker.getContainer('sms-db');

  it('collects output and the exit code, feeding stdin when given', async () => {
    const r = await runExec(container, { argv: ['sh', '-c', 'cat; echo err >&2; exit 3'] }, { input: 'hello\n' });
    assert.deepEqual([r.exitCode, r.stdout, r.stderr.trim()], [3, 'hello\n', 'err']);
  });

  it('refuses output beyond its bound instead of holding it all in memory', async () => {
    await assert.rejects(
      runExec(container, { argv: ['head', '-c', '100000', '/dev/zero'] }, { maxOutput: 1000 }),
      (err: Error) => err instanceof LifeboatError && err.message === 'The output of "head" exceeded 1000 B.',
    );
  });

  it('a cancel ends the command: before it starts, and while it runs', async () => {
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(runExec(container, { argv: ['true'] }, { signal: ac.signal }), CancelledError);
    const running = new AbortController();
    const started = Date.now();
    setTimeout(() => running.abort(), 500);
    await assert.rejects(runExec(container, { argv: ['sleep', '30'] }, { signal: running.signal }), CancelledError);
    assert.ok(Date.now() - started < 10_000, 'the cancel did not wait for the command');
  });

  it('starting containers again tries every one and reports all that failed together', async () => {
    const tag = randomBytes(3).toString('hex');
    const names = [`lbnone${tag}-a`, `lbnone${tag}-b`];
    const log = collectingLogger();
    await assert.rejects(
      startContainers(docker, names, log),
      (err: Error) =>
        err instanceof LifeboatError &&
        err.message === `Could not start "${names[0]}" and "${names[1]}" again.` &&
        /Start them with docker compose start/.test(err.hint ?? ''),
    );
    assert.equal(log.lines.filter((l) => /Could not start lbnone/.test(l)).length, 2, log.lines.join('\n'));
  });

  it('finds no Alembic in a container that has none', async () => {
    assert.equal(await detectAlembic(docker, ['sms-db']), undefined);
  });

  it('waiting for containers: a running one passes, one that is not running fails at once, naming what it was waiting after', async () => {
    const log = collectingLogger();
    await waitForContainers(docker, ['sms-db'], { timeoutMs: 30_000, log });
    assert.ok(log.lines.includes('info sms-db is running'), log.lines.join('\n'));
    const name = `lbwait${randomBytes(3).toString('hex')}`;
    const created = await docker.createContainer({
      name,
      Image: 'lifeboat/helper:latest',
      Cmd: ['true'],
      HostConfig: { NetworkMode: 'none' },
    });
    try {
      const started = Date.now();
      await assert.rejects(
        waitForContainers(docker, [name], { timeoutMs: 30_000, log, after: 'the snapshot' }),
        (err: Error) =>
          err instanceof LifeboatError &&
          err.message === `"${name}" stopped (exit code 0) after the snapshot.` &&
          err.hint === `See its output in the Lifeboat log (or \`docker logs ${name}\`).`,
      );
      assert.ok(Date.now() - started < 10_000, 'no waiting out the timeout');
      const ac = new AbortController();
      ac.abort();
      await assert.rejects(waitForContainers(docker, ['sms-db'], { timeoutMs: 30_000, log, signal: ac.signal }), CancelledError);
    } finally {
      await created.remove({ force: true });
    }
  });
});
