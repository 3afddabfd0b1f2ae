import type Docker from 'dockerode';
import * as vscode from 'vscode';
import { connectDocker, pingDocker, DockerEngine, describeEngine, selectEngine } from '../core/docker';
import { Stack, discoverStack } from '../core/stack';
import { LifeboatError } from '../core/common';
import { Settings } from './settings';

/**
 * The workspace's stack: which folder, which settings, which Docker engine. Docker is only
 * touched when something asks (the view is shown or a command runs), never at activation.
 */
export class StackService {
  private docker: Docker | undefined;
  private chosen: DockerEngine | undefined;

  /** Told once per engine chosen, so the log says which engine and why. */
  onEngine: (description: string) => void = () => undefined;

  get folder(): vscode.WorkspaceFolder | undefined {
    return vscode.workspace.workspaceFolders?.[0];
  }

  get settings(): Settings {
    return new Settings(this.folder);
  }

  get engine(): Docker {
    if (!this.docker) {
      this.chosen = selectEngine({ setting: this.settings.dockerHost });
      this.onEngine(describeEngine(this.chosen));
      this.docker = connectDocker(this.chosen);
    }
    return this.docker;
  }

  /** The engine in use, with where the choice came from (undefined before the first use). */
  get engineDescription(): string | undefined {
    return this.chosen && describeEngine(this.chosen);
  }

  /** A changed setting, context or environment is read again on the next use. */
  forgetEngine(): void {
    this.docker = undefined;
    this.chosen = undefined;
  }

  /** Pings the engine and finds the stack; both fail with errors that say what to do. */
  async discover(): Promise<Stack> {
    if (!this.folder && !this.settings.discovery.dbContainer && !this.settings.discovery.composeProject) {
      throw new LifeboatError(
        'No folder is open.',
        'Open the folder of your Compose project (the one with compose.yaml or docker-compose.yml), then retry.',
      );
    }
    await pingDocker(this.engine);
    return discoverStack(this.engine, this.settings.discovery);
  }
}
