import * as vscode from 'vscode';
import { leftStoppedNotice, quoteList } from '../core/reports';
import { containersLeftStopped } from '../core/stack';
import { interruptedStops } from '../core/store';
import { startLeftStopped } from '../core/volume';
import type { Lifeboat } from './lifeboat';

/**
 * After start-up: containers that an interrupted restore or snapshot (kill -9, a power cut, a
 * closed window) stopped and never started again are named in a warning with "Start". The
 * engine is asked only when such a record is in the backup folder. Resolves once the warnings
 * are up (not when they are answered); never throws.
 */
export async function offerToStartLeftStopped(lb: Lifeboat): Promise<number> {
  try {
    const dir = lb.stacks.settings.backupDirectory;
    if (!(await interruptedStops(dir)).length) return 0;
    const left = await containersLeftStopped(lb.stacks.engine, dir);
    for (const l of left) {
      const text = leftStoppedNotice(l);
      lb.log.warn(text);
      void lb.prompter.warn(text, 'Start').then(async (pick) => {
        if (pick !== 'Start') return;
        try {
          // A volume's are started as its next snapshot would: only on a volume that holds one content whole.
          const started = await startLeftStopped(
            lb.stacks.engine,
            { ...l, stopped: l.down },
            {
              backupDir: dir,
              helperImage: lb.stacks.settings.helperImage,
              log: lb.log,
            },
          );
          void vscode.window.showInformationMessage(`Started ${quoteList(started)} again.`);
        } catch (err) {
          const hint = (err as { hint?: string }).hint;
          const why = `${(err as Error).message}${hint ? ` ${hint}` : ''}`;
          lb.log.error(why);
          void vscode.window.showErrorMessage(`Could not start ${quoteList(l.down)}: ${why}`, 'Show Log').then((p) => {
            if (p) lb.log.show();
          });
        }
      });
    }
    return left.length;
  } catch (err) {
    lb.log.warn(`Could not check for containers left stopped by an interrupted operation: ${(err as Error).message}`);
    return 0;
  }
}
