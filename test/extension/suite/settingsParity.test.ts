import * as assert from 'node:assert/strict';
import { promises as fs, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { workspaceSettingsSource } from '../../../src/cli/workspaceSettings';
import { readTestConfig } from './config';

/**
 * The command line reads `.vscode/settings.json` itself. Whatever VS Code makes of a file, the
 * command line must make the same: each file below goes into the open folder, is read through
 * VS Code's configuration API and through the command line's reader, and every lifeboat.*
 * value is compared. The folder's own file is put back afterwards.
 */
const FILES: Record<string, string> = {
  flat: `{
  "lifeboat.retention.database": { "keepLast": 10 },
  "lifeboat.schedule.enabled": true,
  "lifeboat.config.paths": ["compose.yaml", ".env"],
  "lifeboat.app.healthExpect": { "status": "healthy" }
}`,
  nested: `{
  "lifeboat": {
    "retention": { "database": { "keepLast": 10, "maxAgeDays": 0 }, "volume": { "keepWeekly": 4 } },
    "backupPrefix": "shop",
    "docker": { "host": "unix:///run/user/1000/podman/podman.sock" }
  }
}`,
  mixed: `{
  "lifeboat.retention": { "config": { "keepMonthly": 6 } },
  "lifeboat": { "compressionLevel": 3 },
  "lifeboat.app.healthExpect": { "db.state": "up" },
  "lifeboat.compressionLevel": 9
}`,
  'comments and trailing commas': `// a project's settings, as people write them
{
  /* the stack's own health URL */
  "lifeboat.app.healthUrl": "http://127.0.0.1:8000/health", // trailing comment
  "lifeboat.encryption.recipients": ["age1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs3290gq",],
  "lifeboat.health.maxAgeHours": 48,
}`,
  'off-site, nested': `{
  "lifeboat": { "offsite": { "destination": "/mnt/nas/sms", "requireEncryption": false, "copyNewBackups": true } }
}`,
  'byte order mark': `\ufeff{ "lifeboat.backupDirectory": "/srv/backups/sms", "lifeboat.storage.minFreeMB": 2048 }`,
};

describe('settings.json read the same by VS Code and by the command line', function () {
  this.timeout(120_000);
  const cfg = readTestConfig();
  const folder = cfg.workspace;
  const file = join(folder, '.vscode', 'settings.json');
  let original: string | undefined;
  const keys = Object.keys(
    (
      JSON.parse(readFileSync(join(cfg.extensionPath, 'package.json'), 'utf8')) as {
        contributes: { configuration: { properties: Record<string, unknown> } };
      }
    ).contributes.configuration.properties,
  ).map((k) => k.slice('lifeboat.'.length));

  /** Writes the file and waits until VS Code has read it (its change event for lifeboat.*). */
  async function put(text: string): Promise<void> {
    const changed = new Promise<void>((resolve) => {
      const sub = vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('lifeboat')) {
          sub.dispose();
          resolve();
        }
      });
      setTimeout(() => {
        sub.dispose();
        resolve();
      }, 5000);
    });
    await fs.mkdir(join(folder, '.vscode'), { recursive: true });
    await fs.writeFile(file, text);
    await changed;
  }

  before(async () => {
    original = await fs.readFile(file, 'utf8').catch(() => undefined);
  });
  after(async () => {
    if (original === undefined) await fs.rm(file, { force: true });
    else await put(original);
  });

  for (const [name, text] of Object.entries(FILES)) {
    it(`${name}: every lifeboat.* value agrees`, async () => {
      await put(text);
      const uri = vscode.Uri.file(folder);
      const cli = await workspaceSettingsSource(folder);
      const differ: string[] = [];
      for (const key of keys) {
        const inVsCode = vscode.workspace.getConfiguration('lifeboat', uri).get(key);
        const inCli = cli.get(key);
        try {
          assert.deepEqual(inCli, inVsCode);
        } catch {
          differ.push(`${key}: VS Code ${JSON.stringify(inVsCode)}, command line ${JSON.stringify(inCli)}`);
        }
      }
      assert.deepEqual(differ, []);
      // The file was really read: at least one value differs from its default.
      assert.ok(
        keys.some(
          (k) =>
            JSON.stringify(
              vscode.workspace.getConfiguration('lifeboat', uri).inspect(k)?.workspaceValue ??
                vscode.workspace.getConfiguration('lifeboat', uri).inspect(k)?.workspaceFolderValue,
            ) !== undefined,
        ),
        'VS Code read no value from the file',
      );
    });
  }
});
