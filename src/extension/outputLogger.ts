import * as vscode from 'vscode';
import type { Logger } from '../core/common';

/** The "Lifeboat" log channel: our messages plus the tools' stderr, which error messages point to. */
export class OutputLogger implements Logger, vscode.Disposable {
  private readonly channel = vscode.window.createOutputChannel('Lifeboat', { log: true });

  info(message: string): void {
    this.channel.info(message);
  }

  warn(message: string): void {
    this.channel.warn(message);
  }

  error(message: string): void {
    this.channel.error(message);
  }

  tool(name: string, output: string): void {
    for (const line of output.split('\n')) if (line.trim()) this.channel.info(`[${name}] ${line}`);
  }

  show(): void {
    this.channel.show(true);
  }

  dispose(): void {
    this.channel.dispose();
  }
}
