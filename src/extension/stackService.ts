import type Docker from 'dockerode';
import * as vscode from 'vscode';
import { connectDocker, pingDocker } from '../core/docker';
import { Stack, discoverStack } from '../core/discovery';
import { LifeboatError } from '../core/errors';
import { Settings } from './settings';

/**
 * The workspace's stack: which folder, which settings, which Docker engine. Docker is only
 * touched when something asks (the view is shown or a command runs), never at activation.
 */
export class StackService {
  private docker: Docker | undefined;

  get folder(): vscode.WorkspaceFolder | undefined {
    return vscode.workspace.workspaceFolders?.[0];
  }

  get settings(): Settings {
    return new Settings(this.folder);
  }

  get engine(): Docker {
    this.docker ??= connectDocker();
    return this.docker;
  }

  /** Pings the engine and finds the stack; both fail with errors that say what to do. */
  async discover(): Promise<Stack> {
    if (!this.folder && !this.settings.discovery.dbContainer && !this.settings.discovery.composeProject) {
      throw new LifeboatError('No folder is open.', 'Open the folder of your Compose project (the one with compose.yaml or docker-compose.yml), then retry.');
    }
    await pingDocker(this.engine);
    return discoverStack(this.engine, this.settings.discovery);
  }
}
