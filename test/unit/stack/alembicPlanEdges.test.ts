import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeUpgrade, parseMigration, planUpgrade, readMigrations } from '../../../src/core/stack';

const script = (rev: string, down: string | null, doc?: string) =>
  `${doc === undefined ? '' : `"""${doc}\n\nRevision ID: ${rev}\n"""\n`}revision = '${rev}'\n${down === null ? '' : `down_revision = ${down}\n`}`;

describe('Alembic plan edges: long chains, first revisions, files that are not migrations', () => {
  let ws: string;
  let versions: string;
  beforeEach(async () => {
    ws = await fs.mkdtemp(join(tmpdir(), 'lb-alembic-'));
    versions = join(ws, 'alembic', 'versions');
    await fs.mkdir(versions, { recursive: true });
  });
  afterEach(async () => {
    await fs.rm(ws, { recursive: true, force: true });
  });

  it('a script without a down_revision line is a first revision; non-.py files are skipped', async () => {
    const m = parseMigration(script('r0', null, 'initial'), '0.py');
    assert.deepEqual(m, { revision: 'r0', downRevisions: [], message: 'initial', file: '0.py' });
    await fs.writeFile(join(versions, '0.py'), script('r0', null));
    await fs.writeFile(join(versions, 'README'), script('rX', null));
    await fs.writeFile(join(versions, '0.pyc'), 'binary');
    assert.deepEqual(
      (await readMigrations(versions)).map((x) => x.revision),
      ['r0'],
    );
  });

  it('a merge revisited from two sides is marked applied once; more than five to run are summed up', async () => {
    // r0 <- a <- merge -> b -> r0 ; then a chain of six after the merge.
    const chain = ['c1', 'c2', 'c3', 'c4', 'c5', 'c6'];
    const files = [script('r0', 'None'), script('a', "'r0'"), script('b', "'r0'"), script('merge', "('a', 'b')", 'merge heads')];
    chain.forEach((c, i) => files.push(script(c, `'${i === 0 ? 'merge' : chain[i - 1]}'`, i === 2 ? undefined : `step ${c}`)));
    for (const [i, text] of files.entries()) await fs.writeFile(join(versions, `${String(i).padStart(2, '0')}.py`), text);

    const plan = planUpgrade(await readMigrations(versions), ['merge']);
    assert.deepEqual(
      plan.toRun.map((m) => m.revision),
      chain,
    );
    const text = await describeUpgrade(ws, ['merge'], undefined);
    assert.equal(
      text,
      'Alembic: the backup is at merge; 6 migrations from alembic/versions will run after the swap: c1 (step c1), c2 (step c2), c3, c4 (step c4), c5 (step c5), and 1 more.',
    );
    assert.equal(
      await describeUpgrade(ws, ['c5'], undefined),
      'Alembic: the backup is at c5; 1 migration from alembic/versions will run after the swap: c6 (step c6).',
    );
  });

  it('a revision whose parent script is missing still plans the rest', () => {
    const plan = planUpgrade(
      [
        { revision: 'b', downRevisions: ['gone'], message: '', file: 'b.py' },
        { revision: 'c', downRevisions: ['b'], message: '', file: 'c.py' },
      ],
      ['b'],
    );
    assert.deepEqual(
      plan.toRun.map((m) => m.revision),
      ['c'],
    );
  });

  it('from an empty alembic_version, a chain whose first parent script is missing plans the scripts it has, oldest first', () => {
    const plan = planUpgrade(
      [
        { revision: 'c', downRevisions: ['b'], message: '', file: 'c.py' },
        { revision: 'b', downRevisions: ['gone'], message: '', file: 'b.py' },
      ],
      [],
    );
    assert.deepEqual(
      plan.toRun.map((m) => m.revision),
      ['b', 'c'],
    );
    assert.deepEqual(plan.unknown, []);
  });

  it('an unreadable versions folder falls back to comparing heads', async () => {
    await fs.rm(versions, { recursive: true });
    await fs.mkdir(join(ws, 'migrations', 'versions'), { recursive: true });
    await fs.mkdir(join(ws, 'migrations', 'versions', 'x.py'));
    assert.equal(
      await describeUpgrade(ws, ['a'], ['b']),
      'Alembic: the backup is at a, the live database at b; migrations run after the swap.',
    );
    await fs.rm(join(ws, 'migrations'), { recursive: true });
    await fs.rm(join(ws, 'alembic'), { recursive: true });
    assert.equal(await describeUpgrade(ws, ['a'], ['a']), '', 'no versions folder and the same head: nothing to say');
  });
});
