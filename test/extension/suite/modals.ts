import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Prompter } from '../../../src/extension/ui/prompter';

const run = promisify(execFile);

/** One modal a command showed: its message, its detail, and its buttons, the safe one first. */
export interface Asked {
  message: string;
  detail: string;
  buttons: string[];
  /** Message and detail on two lines, as the tests match them. */
  text: string;
}

/** Which button a recording prompter presses: the action, none (Escape), or one it picks. */
export type Answer = 'action' | 'decline' | ((asked: Asked) => string | undefined);

/**
 * A prompter that records every modal confirm (and every typed-name prompt) and answers them
 * as told, so a test can check what the user was asked as well as what happened.
 */
export function recordingPrompter(
  answer: Answer,
  typeName: boolean | ((expected: string) => boolean) = false,
): { prompter: Partial<Prompter>; asked: Asked[]; typed: string[] } {
  const asked: Asked[] = [];
  const typed: string[] = [];
  const prompter: Partial<Prompter> = {
    confirm: async (message, detail, action, safe, ...alternatives) => {
      const a: Asked = { message, detail, buttons: [safe, action, ...alternatives], text: `${message}\n${detail}` };
      asked.push(a);
      if (answer === 'action') return action;
      if (answer === 'decline') return undefined;
      return answer(a);
    },
    typeToConfirm: async (_prompt, expected) => {
      typed.push(expected);
      return typeof typeName === 'function' ? typeName(expected) : typeName;
    },
  };
  return { prompter, asked, typed };
}

/** SQL through psql in the demo stack's sms-db, as sms_user; the rows, unaligned. */
export async function demoPsql(sql: string, database = 'sms_db'): Promise<string> {
  const { stdout } = await run('docker', ['exec', 'sms-db', 'psql', '-X', '-At', '-U', 'sms_user', '-d', database, '-c', sql]);
  return stdout.trim();
}
