import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { LifeboatError } from '../../src/core/common';
import { waitForContainers } from '../../src/core/docker';
import { HELPER_IMAGE, collectingLogger, docker, run } from './harness';

/**
 * What waitForContainers says of a container that is not well after a restore, on a real
 * engine: containers of this run's own (helper image, no network), with health checks and a
 * restart policy fast enough for a test. The shared stack is not touched.
 */
describe('waitForContainers on a real engine (containers of its own)', function () {
  this.timeout(120_000);
  const tag = randomBytes(3).toString('hex');
  const made: string[] = [];

  async function container(suffix: string, args: string[], argv: string[]): Promise<string> {
    const name = `lifeboat-it-health-${suffix}-${tag}`;
    made.push(name);
    await run('docker', [
      'run',
      '-d',
      '--name',
      name,
      '--network',
      'none',
      ...args,
      '--entrypoint',
      argv[0],
      HELPER_IMAGE,
      ...argv.slice(1),
    ]);
    return name;
  }

  async function inspect(name: string): Promise<{ health?: string; restarting: boolean; restarts: number }> {
    const info = await docker.getContainer(name).inspect();
    return { health: info.State.Health?.Status, restarting: info.State.Restarting, restarts: info.RestartCount };
  }

  after(async () => {
    for (const name of made) await run('docker', ['rm', '-f', name]).catch(() => undefined);
  });

  it('a container whose health check fails is reported unhealthy, with its output in the log', async () => {
    const name = await container(
      'unhealthy',
      ['--health-cmd', 'false', '--health-interval', '1s', '--health-retries', '1', '--health-start-period', '0s'],
      ['sh', '-c', 'echo serving; exec sleep 600'],
    );
    for (let i = 0; (await inspect(name)).health !== 'unhealthy'; i++) {
      if (i > 100) assert.fail('the engine never marked the container unhealthy');
      await new Promise((r) => setTimeout(r, 200));
    }
    const log = collectingLogger();
    // No `after`: the message a volume restore gets, which passes none.
    await assert.rejects(waitForContainers(docker, [name], { timeoutMs: 30_000, log }), (err: Error) => {
      assert.ok(err instanceof LifeboatError, String(err));
      assert.equal(err.message, `"${name}" reports unhealthy after the restore.`);
      assert.equal(err.hint, `See \`docker inspect ${name}\` and its logs.`);
      return true;
    });
    assert.ok(
      log.lines.some((l) => l.startsWith(name) && l.includes('serving')),
      log.lines.join('\n'),
    );
  });

  it('a health check still starting when the time is up is named with its state', async () => {
    const name = await container(
      'starting',
      ['--health-cmd', 'sleep 60', '--health-interval', '30s', '--health-timeout', '60s', '--health-start-period', '60s'],
      ['sleep', '600'],
    );
    assert.equal((await inspect(name)).health, 'starting');
    const log = collectingLogger();
    const t0 = Date.now();
    await assert.rejects(
      waitForContainers(docker, [name], { timeoutMs: 1500, log }),
      (err: Error) => err instanceof LifeboatError && err.message === `"${name}" was not healthy 2 s after the restore (health: starting).`,
    );
    assert.ok(Date.now() - t0 < 20_000, 'it gave up near the timeout');
  });

  it('a container caught between two crashes by its restart policy is said to keep restarting', async () => {
    const name = await container('restarting', ['--restart', 'always'], ['sh', '-c', 'echo crashing; exit 3']);
    // Docker's back-off doubles from 100 ms at each crash: after a few, the container spends
    // seconds at a time in the restarting state, far longer than one inspect takes.
    for (let i = 0; ; i++) {
      const s = await inspect(name);
      if (s.restarting && s.restarts >= 4) break;
      if (i > 300) assert.fail('the container was never seen restarting');
      await new Promise((r) => setTimeout(r, 100));
    }
    const log = collectingLogger();
    await assert.rejects(
      waitForContainers(docker, [name], { timeoutMs: 30_000, log, after: 'the test' }),
      (err: Error) => err instanceof LifeboatError && err.message === `"${name}" keeps restarting after the test.`,
    );
    assert.ok(
      log.lines.some((l) => l.startsWith(name) && l.includes('crashing')),
      log.lines.join('\n'),
    );
  });
});
