import * as assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { Migration, describeUpgrade, findMigrationsDir, parseMigration, planUpgrade, readMigrations } from '../../../src/core/stack';

// Tests run from out/test/unit; the demo project stays in the source tree.
const DEMO = resolve(__dirname, '../../../../demo');

function mig(revision: string, down: string[] = [], message = revision): Migration {
  return { revision, downRevisions: down, message, file: `${revision}.py` };
}

describe('Alembic upgrade plan', () => {
  it("reads the demo project's migrations: revisions, parents and messages", async () => {
    const dir = await findMigrationsDir(DEMO);
    assert.ok(dir?.endsWith('backend/alembic/versions'));
    const ms = await readMigrations(dir!);
    assert.deepEqual(
      ms.map((m) => [m.revision, m.downRevisions, m.message]),
      [
        ['0001_initial', [], 'initial schema: users, students, courses'],
        ['0002_enrollments', ['0001_initial'], 'enrollments and grades'],
        ['0003_audit_log', ['0002_enrollments'], ms[2].message],
        ['0004_student_contact', ['0003_audit_log'], ms[3].message],
      ],
    );
    assert.ok(ms.every((m) => m.message.length > 0));
    assert.deepEqual(
      planUpgrade(ms, ['0002_enrollments']).toRun.map((m) => m.revision),
      ['0003_audit_log', '0004_student_contact'],
    );
    assert.deepEqual(planUpgrade(ms, ['0004_student_contact']).toRun, []);
  });

  it('parses annotated, tuple and single-line forms, and skips what is not a migration', () => {
    const annotated = '# comment\n"""add index"""\nrevision: str = \'b2\'\ndown_revision: Union[str, None] = \'a1\'\n';
    assert.deepEqual(parseMigration(annotated, 'x.py'), { revision: 'b2', downRevisions: ['a1'], message: 'add index', file: 'x.py' });
    const merge = '"""merge heads\n\nRevision ID: m1\n"""\nrevision = "m1"\ndown_revision = ("b2", "c3")\n';
    assert.deepEqual(parseMigration(merge, 'm.py')?.downRevisions, ['b2', 'c3']);
    assert.deepEqual(parseMigration('revision = "r0"\ndown_revision = None\n', 'r.py')?.downRevisions, []);
    assert.equal(parseMigration('import os\n', 'env.py'), undefined);
  });

  it('plans across branches and merges, oldest first, each once', () => {
    //   a ─ b ─ c ─┐
    //        └ d ──┴ m ─ e
    const ms = [mig('e', ['m']), mig('m', ['c', 'd']), mig('d', ['b']), mig('c', ['b']), mig('b', ['a']), mig('a')];
    const plan = planUpgrade(ms, ['c']);
    assert.deepEqual(plan.heads, ['e']);
    assert.deepEqual(
      plan.toRun.map((m) => m.revision),
      ['d', 'm', 'e'],
    );
    assert.deepEqual(
      planUpgrade(ms, []).toRun.map((m) => m.revision),
      ['a', 'b', 'c', 'd', 'm', 'e'],
      'an empty database gets everything',
    );
  });

  it('names backup revisions the workspace does not have, and plans nothing then', () => {
    const plan = planUpgrade([mig('a'), mig('b', ['a'])], ['z9']);
    assert.deepEqual(plan.unknown, ['z9']);
    assert.deepEqual(plan.toRun, []);
    assert.deepEqual(plan.heads, ['b']);
  });
});

describe("describeUpgrade (the restore modal's Alembic sentence)", () => {
  it('lists what will run, says when nothing will, and warns about a backup the code does not know', async () => {
    assert.match(
      await describeUpgrade(DEMO, ['0002_enrollments'], ['0004_student_contact']),
      /^Alembic: the backup is at 0002_enrollments; 2 migrations from backend\/alembic\/versions will run after the swap: 0003_audit_log \(.+\), 0004_student_contact \(.+\)\.$/,
    );
    assert.equal(
      await describeUpgrade(DEMO, ['0004_student_contact'], ['0004_student_contact']),
      "Alembic: the backup is at the workspace's newest migration (0004_student_contact); nothing to migrate.",
    );
    assert.match(
      await describeUpgrade(DEMO, ['9999_future'], ['0004_student_contact']),
      /backup is at 9999_future, which the workspace's migrations \(backend\/alembic\/versions\) do not have/,
    );
  });

  it('without migration scripts, compares with the live database; without a backup head, says nothing', async () => {
    assert.match(
      await describeUpgrade(undefined, ['a1'], ['b2']),
      /the backup is at a1, the live database at b2; migrations run after the swap/,
    );
    assert.equal(await describeUpgrade(undefined, ['a1'], ['a1']), '');
    assert.equal(await describeUpgrade(DEMO, undefined, ['0004_student_contact']), '');
  });
});
