import { LifeboatError } from '../../core/common';
import { SideDatabaseItem } from '../tree/sideDatabaseItem';

/** The side database a command acts on: a tree item, or its name (tests, links). */
export function sideDatabaseTarget(arg: unknown): string {
  if (arg instanceof SideDatabaseItem) return arg.side.name;
  if (typeof arg === 'string' && arg) return arg;
  throw new LifeboatError('No pre-restore copy was chosen.', 'Run this command from a pre-restore copy in the Backups view.');
}
