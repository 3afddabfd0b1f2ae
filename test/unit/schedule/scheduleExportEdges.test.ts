import * as assert from 'node:assert/strict';
import { parseCron } from '../../../src/core/common';
import { contentSha256, readManifest, writeManifest, Manifest } from '../../../src/core/store';
import { onCalendar, systemdText } from '../../../src/core/schedule';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const input = {
  folder: '/srv/shop',
  crons: { database: '0 2 * * *', config: '', volume: '' },
  node: '/usr/bin/node',
  cli: '/opt/lifeboat/cli.js',
  user: 'ops',
};

describe('schedule export edges', () => {
  it('says which clock the timers read: local, UTC or a named zone; the date defaults to today', () => {
    assert.match(systemdText({ ...input, zone: 'local' }), /# The times are in the host's local time zone\.\n/);
    assert.match(
      systemdText({ ...input, zone: 'UTC' }),
      /# The times are UTC \(the OnCalendar= lines end in UTC\), whatever the host's zone\.\n/,
    );
    const berlin = systemdText({ ...input, zone: 'Europe/Berlin' });
    assert.match(
      berlin,
      /# The times are Europe\/Berlin time \(the OnCalendar= lines end in Europe\/Berlin\), whatever the host's zone\.\n/,
    );
    assert.match(berlin, /OnCalendar=\*-\*-\* 02:00:00 Europe\/Berlin\n/);
    assert.ok(berlin.includes(`(${new Date().toISOString().slice(0, 10)})`), 'the header is dated today when no date is given');
  });

  it('writes single values, neighbouring pairs and ranges, for days of the week too', () => {
    assert.deepEqual(onCalendar(parseCron('5 1,2,3,9 * * mon,tue,thu'), 'UTC'), ['Mon,Tue,Thu *-*-* 01..03,09:05:00 UTC']);
    assert.deepEqual(onCalendar(parseCron('0 0 * * sun-wed,fri'), 'UTC'), ['Sun..Wed,Fri *-*-* 00:00:00 UTC']);
    assert.deepEqual(onCalendar(parseCron('0 1,2 * * *'), 'UTC'), ['*-*-* 01,02:00:00 UTC']);
  });
});

describe('manifest edges', () => {
  const base: Manifest = {
    formatVersion: 1,
    kind: 'database',
    createdAt: '2026-01-01T00:00:00.000Z',
    tool: { name: 'lifeboat', version: 't' },
    source: {},
    compression: { format: 'gzip' },
    file: { name: 'x', bytes: 1, sha256: 'aaa' },
    verifications: [],
  };

  it("the content checksum: the file's, the plaintext's for an encrypted one, none when unrecorded", () => {
    assert.equal(contentSha256(undefined), undefined);
    assert.equal(contentSha256(base), 'aaa');
    assert.equal(contentSha256({ ...base, file: { ...base.file, sha256: '' } }), undefined);
    assert.equal(contentSha256({ ...base, encryption: { format: 'age', plaintextSha256: 'ppp' } as Manifest['encryption'] }), 'ppp');
  });

  it('a manifest that is JSON but not ours, or cannot be read, is reported rather than trusted', async () => {
    const dir = await fs.mkdtemp(join(tmpdir(), 'lb-manifest-'));
    try {
      const backup = join(dir, 'sms_backup_20260101_000000.sql.gz');
      for (const text of ['null', '[1]', '{"formatVersion":"1"}', '"text"']) {
        await fs.writeFile(`${backup}.json`, text);
        assert.deepEqual(await readManifest(backup), { problem: 'manifest is not a Lifeboat manifest' }, text);
      }
      await fs.rm(`${backup}.json`);
      await fs.mkdir(`${backup}.json`);
      const r = await readManifest(backup);
      assert.match(r.problem ?? '', /^manifest unreadable: EISDIR/);
      await fs.rm(`${backup}.json`, { recursive: true });
      await writeManifest(backup, { ...base, verifications: undefined as unknown as Manifest['verifications'] });
      assert.deepEqual((await readManifest(backup)).manifest?.verifications, [], 'an old manifest without verifications reads as none yet');
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
