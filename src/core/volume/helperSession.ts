import type Docker from 'dockerode';
import { toEngineError, runExec } from '../docker';
import { LifeboatError } from '../common';
import type { Logger } from '../common';
import { HELPER_SETTING, createHelper, removeHelper } from './helperContainer';

/**
 * One helper container kept running (idle in `sleep`) for a sequence of steps on a volume: each
 * step is a `docker exec` with an argv (contract 7 in docs/contracts.md), about ten times cheaper
 * than a container of its own, and the archive API works on it as on a stopped one. It exits by
 * itself after an hour should Lifeboat die before removing it.
 */
export class HelperSession {
  private constructor(
    readonly container: Docker.Container,
    private readonly image: string,
    private readonly log: Logger,
  ) {}

  /** `readOnly`: the volume is mounted read-only, for a session that only looks (a restore's dry run). */
  static async open(
    docker: Docker,
    spec: { volume: string; image: string; purpose: string; readOnly?: boolean },
    log: Logger,
  ): Promise<HelperSession> {
    const container = await createHelper(docker, { ...spec, readOnly: spec.readOnly ?? false, argv: ['sleep', '3600'] });
    try {
      await container.start();
    } catch (err) {
      await removeHelper(container, log);
      const msg = (err as Error).message ?? String(err);
      if (/executable file not found|no such file or directory/i.test(msg)) {
        throw new LifeboatError(
          `The helper image "${spec.image}" has no \`sleep\`, which the volume restore needs.`,
          `Set ${HELPER_SETTING} to an image with basic tools (for example \`busybox\`, already on the engine).`,
        );
      }
      throw toEngineError(err);
    }
    return new HelperSession(container, spec.image, log);
  }

  /** Runs argv as root in the helper; a non-zero exit is a LifeboatError carrying its stderr. */
  async run(argv: string[]): Promise<string> {
    let result;
    try {
      result = await runExec(this.container, { argv, user: '0:0' }, { maxOutput: 1 << 20 });
    } catch (err) {
      throw toEngineError(err);
    }
    if (result.exitCode !== 0) {
      const text = result.stderr.trim();
      if (text) this.log.tool(argv[0], text);
      if (result.exitCode === 126 || result.exitCode === 127) {
        throw new LifeboatError(
          `The helper image "${this.image}" cannot run \`${argv[0]}\`, which the volume restore needs.`,
          `Set ${HELPER_SETTING} to an image with basic tools (for example \`busybox\`, already on the engine).`,
          text,
        );
      }
      throw new LifeboatError(
        `\`${argv.join(' ')}\` failed in the helper container (exit code ${result.exitCode}): ${text.split('\n').at(-1) ?? ''}`,
        'See the Lifeboat log for its output.',
        text,
      );
    }
    return result.stdout;
  }

  async close(): Promise<void> {
    await removeHelper(this.container, this.log);
  }
}
