import * as assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { nextRun, parseCron, formatRunTime } from '../../../src/core/common';
import { ScheduleExportInput, crontabText, onCalendar, systemdText, systemdUnits, DEFAULT_SCHEDULES } from '../../../src/core/schedule';

const input = (over: Partial<ScheduleExportInput> = {}): ScheduleExportInput => ({
  folder: '/home/dev/sms',
  crons: { ...DEFAULT_SCHEDULES },
  zone: 'UTC',
  node: '/usr/bin/node',
  cli: '/home/dev/.vscode/extensions/lifeboat/dist/cli.js',
  user: 'dev',
  generatedAt: new Date('2026-11-26T11:00:00Z'),
  ...over,
});

describe('Export Schedule', () => {
  describe('crontab', () => {
    it('writes one line per kind: backup, then prune only if it succeeded, in UTC with CRON_TZ', () => {
      const text = crontabText(input());
      const lines = text.split('\n');
      assert.ok(lines.includes('CRON_TZ=UTC'));
      assert.ok(lines.indexOf('CRON_TZ=UTC') < lines.findIndex((l) => l.startsWith('0 2 * * *')));
      assert.ok(
        lines.includes(
          '0 2 * * * /usr/bin/node /home/dev/.vscode/extensions/lifeboat/dist/cli.js backup database --folder /home/dev/sms --quiet && /usr/bin/node /home/dev/.vscode/extensions/lifeboat/dist/cli.js prune --folder /home/dev/sms --quiet',
        ),
        text,
      );
      assert.ok(lines.some((l) => l.startsWith('0 1 1 * * ') && l.includes(' backup config ')));
      assert.ok(lines.some((l) => l.startsWith('0 3 * * 0 ') && l.includes(' backup volume ')));
      assert.match(text, /Debian and Ubuntu cron ignore it/);
      // Every non-comment, non-empty line is a variable or a five-field job.
      for (const l of lines.filter((x) => x && !x.startsWith('#'))) assert.match(l, /^(CRON_TZ=UTC|(\S+ ){5}\/usr\/bin\/node )/);
    });

    it("uses the host's zone without CRON_TZ for local time, and leaves out an unscheduled kind", () => {
      const text = crontabText(input({ zone: 'local', crons: { ...DEFAULT_SCHEDULES, volume: '' } }));
      assert.doesNotMatch(text, /CRON_TZ/);
      assert.match(text, /host's local time zone/);
      assert.match(text, /# volume: not scheduled/);
      assert.doesNotMatch(text, /backup volume/);
    });

    it('names an IANA zone in CRON_TZ, and systemd calendar lines end in it', () => {
      const text = crontabText(input({ zone: 'Europe/Berlin' }));
      assert.ok(text.split('\n').includes('CRON_TZ=Europe/Berlin'), text);
      assert.doesNotMatch(text, /host's local time zone/);
      const timer = systemdUnits(input({ zone: 'Europe/Berlin' })).find((f) => f.path.endsWith('-database.timer'))!;
      assert.match(timer.text, /^OnCalendar=\*-\*-\* 02:00:00 Europe\/Berlin$/m);
      assert.match(timer.text, /Europe\/Berlin\)/);
      assert.equal(formatRunTime(new Date('2026-07-01T00:00:00Z'), 'Europe/Berlin'), 'Wed 1 Jul 02:00 Europe/Berlin');
      assert.equal(formatRunTime(new Date('2026-07-01T00:00:00Z'), 'UTC'), 'Wed 1 Jul 00:00 UTC');
    });

    it('with off-site copies on, each run copies what is not off-site yet between the backup and the prune', () => {
      const cli = '/usr/bin/node /home/dev/.vscode/extensions/lifeboat/dist/cli.js';
      const text = crontabText(input({ offsiteCopy: true }));
      assert.ok(
        text
          .split('\n')
          .includes(
            `0 2 * * * ${cli} backup database --folder /home/dev/sms --quiet && ${cli} offsite copy --new --folder /home/dev/sms --quiet && ${cli} prune --folder /home/dev/sms --quiet`,
          ),
        text,
      );
      assert.match(text, /# New backups are copied off-site .* before the prune/);
      const service = systemdUnits(input({ offsiteCopy: true })).find((f) => f.path.endsWith('-volume.service'))!;
      assert.deepEqual(
        service.text
          .split('\n')
          .filter((l) => l.startsWith('ExecStart='))
          .map((l) => l.split(' ').slice(2, 5).join(' ')),
        ['backup volume --folder', 'offsite copy --new', 'prune --folder /home/dev/sms'],
      );
      assert.doesNotMatch(crontabText(input()), /offsite/);
    });

    it('quotes paths for the shell and escapes % for cron', () => {
      const text = crontabText(input({ folder: "/home/dev/my app's 100% stack" }));
      assert.ok(text.includes("--folder '/home/dev/my app'\\''s 100\\% stack' --quiet"), text);
    });

    it('refuses an invalid expression, naming the setting', () => {
      assert.throws(() => crontabText(input({ crons: { ...DEFAULT_SCHEDULES, config: '0 0 31 2 *' } })), /lifeboat\.schedule\.config/);
    });
  });

  describe('systemd', () => {
    it('writes a oneshot service and a persistent timer per kind, OnCalendar in UTC', () => {
      const files = systemdUnits(input());
      assert.deepEqual(
        files.map((f) => f.path),
        [
          '/etc/systemd/system/lifeboat-sms-database.service',
          '/etc/systemd/system/lifeboat-sms-database.timer',
          '/etc/systemd/system/lifeboat-sms-config.service',
          '/etc/systemd/system/lifeboat-sms-config.timer',
          '/etc/systemd/system/lifeboat-sms-volume.service',
          '/etc/systemd/system/lifeboat-sms-volume.timer',
        ],
      );
      const service = files[0].text;
      assert.match(service, /^Type=oneshot$/m);
      assert.match(service, /^User=dev$/m);
      const exec = service.split('\n').filter((l) => l.startsWith('ExecStart='));
      assert.deepEqual(exec, [
        'ExecStart=/usr/bin/node /home/dev/.vscode/extensions/lifeboat/dist/cli.js backup database --folder /home/dev/sms --quiet',
        'ExecStart=/usr/bin/node /home/dev/.vscode/extensions/lifeboat/dist/cli.js prune --folder /home/dev/sms --quiet',
      ]);
      assert.match(files[1].text, /^OnCalendar=\*-\*-\* 02:00:00 UTC$/m);
      assert.match(files[1].text, /^Persistent=true$/m);
      assert.match(files[1].text, /^Unit=lifeboat-sms-database\.service$/m);
      assert.match(files[3].text, /^OnCalendar=\*-\*-01 01:00:00 UTC$/m);
      assert.match(files[5].text, /^OnCalendar=Sun \*-\*-\* 03:00:00 UTC$/m);
      const all = systemdText(input());
      assert.match(all, /# ---- \/etc\/systemd\/system\/lifeboat-sms-volume\.timer/);
      assert.match(all, /systemctl enable --now lifeboat-sms-database\.timer lifeboat-sms-config\.timer lifeboat-sms-volume\.timer/);
    });

    it('has no UTC suffix for local time, and quotes odd paths with specifiers escaped', () => {
      const files = systemdUnits(input({ zone: 'local', folder: '/srv/my stack $1 100%' }));
      assert.match(files[1].text, /^OnCalendar=\*-\*-\* 02:00:00$/m);
      assert.match(files[0].text, /--folder "\/srv\/my stack \$\$1 100%%" --quiet$/m);
    });

    it('turns the Vixie day OR into two OnCalendar lines', () => {
      assert.deepEqual(onCalendar(parseCron('30 4 1,15 * mon-fri'), 'UTC'), ['*-*-01,15 04:30:00 UTC', 'Mon..Fri *-*-* 04:30:00 UTC']);
      assert.deepEqual(onCalendar(parseCron('*/15 */6 */2 jan,jul sat,sun'), 'local'), ['Sun,Sat *-01,07-01/2 00/6:00/15:00']);
    });

    // systemd itself says when each generated expression elapses: it must be when cron would run.
    const analyzer = spawnSync('systemd-analyze', ['--version']).status === 0;
    (analyzer ? it : it.skip)('elapses exactly when the cron expression runs (checked by systemd-analyze)', () => {
      const exprs = [
        '0 2 * * *',
        '0 1 1 * *',
        '0 3 * * 0',
        '30 4 1,15 * mon-fri',
        '*/20 9-17 * * 1-5',
        '0 0 13 * fri',
        '15 3 */2 * *',
        '0 12 * 2,8 *',
        '0 0 29 2 *',
        '5 4 * * 7',
      ];
      const base = new Date('2026-11-01T00:00:30Z');
      for (const expr of exprs) {
        const s = parseCron(expr);
        const mine: string[] = [];
        let t = base;
        for (let i = 0; i < 8; i++) {
          t = nextRun(s, t, 'UTC')!;
          mine.push(t.toISOString());
        }
        const theirs = new Set<string>();
        for (const cal of onCalendar(s, 'UTC')) {
          const out = execFileSync('systemd-analyze', ['calendar', '--iterations=8', '--base-time=2026-11-01 00:00:30 UTC', cal], {
            encoding: 'utf8',
            env: { ...process.env, TZ: 'UTC', SYSTEMD_COLORS: '0' },
          });
          for (const m of out.matchAll(/(?:Next elapse|Iter\. #\d+): \w{3} (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC/g))
            theirs.add(new Date(`${m[1].replace(' ', 'T')}Z`).toISOString());
        }
        assert.deepEqual([...theirs].sort().slice(0, 8), mine, `${expr} → ${onCalendar(s, 'UTC').join(' | ')}`);
      }
    });
  });
});
