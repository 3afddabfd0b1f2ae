import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { folderProjectName } from '../../../src/core/stack';

describe('folderProjectName', () => {
  it("takes COMPOSE_PROJECT_NAME from the folder's .env, as Compose does", async () => {
    const dir = await fs.mkdtemp(join(tmpdir(), 'lb-proj-'));
    await fs.writeFile(join(dir, '.env'), '# stack\nPOSTGRES_USER=x\nCOMPOSE_PROJECT_NAME="sms"  # the runbook\'s\n');
    assert.equal(await folderProjectName(dir), 'sms');
  });

  it('falls back to the folder name, lower-cased and cleaned', async () => {
    const parent = await fs.mkdtemp(join(tmpdir(), 'lb-proj-'));
    const dir = join(parent, 'My App.v2');
    await fs.mkdir(dir);
    assert.equal(await folderProjectName(dir), 'myappv2');
  });
});
