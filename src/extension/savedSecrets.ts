import type * as vscode from 'vscode';
import { SavedSecret, parseSecretIndex, secretsOfScope, withSecret, withoutSecrets } from './savedSecretIndex';

const INDEX = 'lifeboat.savedSecretNames';

/** The scope of a workspace's secrets: its folder's URI. */
export function secretScope(folder: vscode.WorkspaceFolder | undefined): string {
  return folder?.uri.toString() ?? 'no-folder';
}

/** Index updates of one window, one after another, so two saves never drop each other's name. */
let queue: Promise<unknown> = Promise.resolve();

/**
 * Lifeboat's secrets in VS Code's SecretStorage (the OS keychain), each noted by name in an
 * index beside them, so they can be listed and forgotten.
 */
export class SavedSecrets {
  constructor(private readonly secrets: vscode.SecretStorage) {}

  async get(slot: string): Promise<string | undefined> {
    return (await this.secrets.get(slot)) || undefined;
  }

  async store(entry: SavedSecret, value: string): Promise<void> {
    await this.secrets.store(entry.slot, value);
    await this.update((index) => withSecret(index, entry));
  }

  /** Removes the secrets and their names; resolves to the slots that held something. */
  async forget(slots: readonly string[]): Promise<string[]> {
    const had: string[] = [];
    for (const slot of slots) {
      if (await this.get(slot)) had.push(slot);
      await this.secrets.delete(slot);
    }
    await this.update((index) => withoutSecrets(index, slots));
    return had;
  }

  /**
   * What is saved for a workspace: the index's entries of that scope (and of none) plus
   * `known` (slots the caller can name without the index, e.g. saved by an older version), each
   * only while the keychain still holds it.
   */
  async list(scope: string, known: readonly SavedSecret[] = []): Promise<SavedSecret[]> {
    const index = parseSecretIndex(await this.secrets.get(INDEX));
    const candidates = [...known, ...secretsOfScope(index, scope)];
    const seen = new Set<string>();
    const out: SavedSecret[] = [];
    for (const entry of candidates) {
      if (seen.has(entry.slot)) continue;
      seen.add(entry.slot);
      if (await this.get(entry.slot)) out.push(entry);
    }
    return out;
  }

  private update(change: (index: SavedSecret[]) => SavedSecret[]): Promise<void> {
    const next = queue.then(async () => {
      const index = parseSecretIndex(await this.secrets.get(INDEX));
      await this.secrets.store(INDEX, JSON.stringify(change(index)));
    });
    queue = next.catch(() => undefined);
    return next;
  }
}
