import { LifeboatError } from '../core/common';

/** A wrong call: exit 2 with the usage text, since retrying the same call cannot help. */
export class UsageError extends LifeboatError {
  constructor(message: string, hint?: string) {
    super(message, hint);
    this.name = 'UsageError';
  }
}
