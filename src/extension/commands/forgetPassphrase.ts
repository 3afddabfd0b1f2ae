import * as vscode from 'vscode';
import type { Lifeboat } from '../lifeboat';
import { PassphraseStore } from '../secrets';

/** "Lifeboat: Forget Saved Passphrase": removes this workspace's passphrase from the OS keychain. */
export async function forgetPassphrase(lb: Lifeboat): Promise<boolean> {
  const had = await PassphraseStore.of(lb).forget();
  if (had) lb.log.info('The saved passphrase was removed from the OS keychain.');
  void vscode.window.showInformationMessage(
    had ? 'Lifeboat forgot the saved passphrase of this workspace.' : 'No passphrase was saved for this workspace.',
  );
  return had;
}
