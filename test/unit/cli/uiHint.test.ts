import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { cliHint } from '../../../src/cli/cliHint';
import { VolumeMissingError } from '../../../src/core/volume';
import { LifeboatError } from '../../../src/core/common';
import { uiHint } from '../../../src/extension/uiHint';

const root = join(__dirname, '..', '..', '..');

async function sourcesOf(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fs.readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await sourcesOf(p)));
    else if (e.name.endsWith('.ts')) out.push(p);
  }
  return out;
}

describe('UI wording stays out of src/core: core names the step, each front end words it', () => {
  it('the extension adds its view or command to the hint; the command line its own, or nothing', () => {
    const full = new LifeboatError('Not enough free space.', 'Nothing was written.', undefined, { ui: 'preview-cleanup' });
    assert.equal(uiHint(full), 'Nothing was written. Run "Lifeboat: Clean Up Old Backups" to see it.');
    assert.equal(cliHint(full), 'Nothing was written. `lifeboat prune --dry-run` shows it.');
    const gone = new VolumeMissingError('sms_postgres_data');
    assert.equal(gone.hint, 'Check `docker volume ls`; the stack may have been taken down with `docker compose down -v`.');
    assert.match(uiHint(gone) ?? '', /down -v`\. Refresh the Volumes view\.$/);
    assert.equal(cliHint(gone), gone.hint);
    const plain = new LifeboatError('x', 'Retry.');
    assert.equal(uiHint(plain), 'Retry.');
    assert.equal(cliHint(plain), 'Retry.');
    assert.equal(new VolumeMissingError('v', 'Custom.').ui, undefined);
  });

  it('no message in src/core speaks of a view, a group, the palette or a command title', async () => {
    const ui =
      /Backups view|Volumes view|Volumes group|Database group|Config group|the palette|refresh the|\bclick\b|"Lifeboat: (?!Export Schedule")/i;
    const found: string[] = [];
    for (const file of await sourcesOf(join(root, 'src', 'core'))) {
      const lines = (await fs.readFile(file, 'utf8')).split('\n');
      lines.forEach((line, i) => {
        const code = line.trim();
        if (code.startsWith('//') || code.startsWith('*') || code.startsWith('/*')) return;
        if (ui.test(line)) found.push(`${file.slice(root.length + 1)}:${i + 1}: ${code}`);
      });
    }
    assert.deepEqual(found, []);
  });
});
