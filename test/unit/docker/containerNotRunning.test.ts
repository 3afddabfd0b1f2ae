import * as assert from 'node:assert/strict';
import type Docker from 'dockerode';
import { ContainerNotRunningError } from '../../../src/core/common';
import { startExec } from '../../../src/core/docker';

/** A container whose exec is refused as Docker refuses it, with dockerode's error shape. */
function refusing(statusCode: number, message: string): Docker.Container {
  return {
    id: '0123456789abcdef0123',
    exec: async () => {
      throw Object.assign(new Error(`(HTTP code ${statusCode}) unexpected - ${message} `), { statusCode, json: { message } });
    },
  } as unknown as Docker.Container;
}

describe('an exec into a container that does not run', () => {
  for (const said of [
    'Container 0123456789ab is not running',
    'Container 0123456789ab is paused, unpause the container before exec',
    'Container 0123456789ab is restarting, wait until the container is running',
  ]) {
    it(`is the stack being down, not a failed command: "${said.slice(26, 40)}…"`, async () => {
      await assert.rejects(startExec(refusing(409, said), { argv: ['pg_dump', '-U', 'x'] }), (err: Error) => {
        assert.ok(err instanceof ContainerNotRunningError, String(err));
        assert.equal(err.message, `Cannot run pg_dump in container 0123456789ab: ${said}.`);
        assert.match(String(err.hint), /Start the stack with `docker compose up -d`/);
        return true;
      });
    });
  }

  it("reads the refusal from the error's message when the engine's body was not JSON, without docker-modem's prefix", async () => {
    const said = 'Container 0123456789ab is not running';
    const plain = {
      id: '0123456789abcdef0123',
      exec: async () => {
        throw Object.assign(new Error(`(HTTP code 409) container stopped/paused - ${said} `), { statusCode: 409, json: null });
      },
    } as unknown as Docker.Container;
    await assert.rejects(startExec(plain, { argv: ['psql', '-X'] }), (err: Error) => {
      assert.ok(err instanceof ContainerNotRunningError, String(err));
      assert.equal(err.message, `Cannot run psql in container 0123456789ab: ${said}.`);
      return true;
    });
  });

  it('leaves other refusals as they are', async () => {
    await assert.rejects(
      startExec(refusing(500, 'boom'), { argv: ['psql'] }),
      (err: Error) => !(err instanceof ContainerNotRunningError) && /boom/.test(err.message),
    );
  });
});
