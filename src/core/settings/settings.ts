import * as path from 'node:path';
import { DiscoverySettings, folderProjectName } from '../stack';
import type { HealthSpec } from '../stack';
import { SettingsError } from '../common';
import type { CronZone } from '../common';
import type { KeyFiles } from '../encryption';
import { RUNBOOK_RETENTION, RetentionPolicies, RetentionPolicy } from '../retention';
import type { BackupKind } from '../store';
import { DEFAULT_SCHEDULES } from '../schedule';
import { checkSetting } from './settingSchema';

export interface ScheduleSettings {
  enabled: boolean;
  crons: Record<BackupKind, string>;
  zone: CronZone;
}

/** Where `lifeboat.*` values come from: VS Code's configuration, or a settings.json read by the command line. */
export interface SettingsSource {
  /** The value of `lifeboat.<key>`, or its default when unset. */
  get<T>(key: string): T | undefined;
}

/**
 * Typed access to `lifeboat.*`, resolved for one workspace folder. In core so that the
 * extension and the command line read the same settings the same way.
 */
export class LifeboatSettings {
  constructor(
    private readonly config: SettingsSource,
    readonly folderPath: string | undefined,
  ) {}

  /** The only way settings are read here, so that every value is checked against package.json's schema. */
  private get<T>(key: string): T | undefined {
    const value = this.config.get<T>(key);
    checkSetting(key, value);
    return value;
  }

  private str(key: string): string {
    return (this.get<string>(key) ?? '').trim();
  }

  /** `lifeboat.docker.host`; empty means: as the Docker CLI would choose. */
  get dockerHost(): string | undefined {
    return this.str('docker.host') || undefined;
  }

  /** Absolute; relative settings are taken from the workspace folder. */
  get backupDirectory(): string {
    return this.path(this.str('backupDirectory') || 'backups');
  }

  private path(value: string): string {
    const expanded = value.startsWith('~/') ? path.join(process.env.HOME ?? '', value.slice(2)) : value;
    if (path.isAbsolute(expanded)) return expanded;
    return path.join(this.folderPath ?? process.cwd(), expanded);
  }

  /** The key files of encrypted backups (paths only: secrets never live in settings). */
  get encryptionKeyFiles(): KeyFiles {
    const keyFile = this.str('encryption.keyFile');
    const identityFile = this.str('encryption.identityFile');
    return { keyFile: keyFile ? this.path(keyFile) : undefined, identityFile: identityFile ? this.path(identityFile) : undefined };
  }

  /** `lifeboat.encryption.format`: what new encrypted files are written in. */
  get encryptionFormat(): 'age' | 'openssl' {
    return this.get<string>('encryption.format') === 'openssl' ? 'openssl' : 'age';
  }

  /** `lifeboat.encryption.recipients`: age public keys; with them, nothing secret is needed to encrypt. */
  get encryptionRecipients(): string[] {
    return (this.get<string[]>('encryption.recipients') ?? []).map((r) => r.trim()).filter(Boolean);
  }

  get backupPrefix(): string {
    return this.str('backupPrefix');
  }

  get compressionLevel(): number {
    return this.get<number>('compressionLevel') ?? 6;
  }

  /** App containers to stop around a swap; empty means the project's other containers. */
  get appServices(): string[] | undefined {
    const v = this.get<string[]>('app.services') ?? [];
    return v.length ? v : undefined;
  }

  /** null: detect Alembic; []: no migration; otherwise the argv to run in the app container. */
  get migration(): string[] | 'auto' | 'none' {
    const v = this.get<string[] | null>('app.migrationCommand');
    if (v === null || v === undefined) return 'auto';
    return v.length ? v : 'none';
  }

  get health(): HealthSpec | undefined {
    const url = this.str('app.healthUrl');
    if (!url) return undefined;
    const expect = this.get<Record<string, unknown>>('app.healthExpect') ?? {};
    const seconds = this.get<number>('app.healthTimeoutSeconds') ?? 60;
    return { url, expect: Object.keys(expect).length ? expect : undefined, timeoutMs: seconds * 1000 };
  }

  /** Config paths to archive, relative to the workspace folder (the runbook's list by default). */
  get configPaths(): string[] | undefined {
    const v = this.get<string[]>('config.paths');
    return v && v.length ? v : undefined;
  }

  /** An image already on the engine for snapshot helpers; default: one of the volume's own containers' images. */
  get helperImage(): string | undefined {
    return this.str('volumes.helperImage') || undefined;
  }

  /** A volume restore also writes (and keeps) a safety snapshot file of the volume as it was. */
  get keepSafetySnapshot(): boolean {
    return this.get<boolean>('volumes.keepSafetySnapshot') === true;
  }

  /** 'stop': containers of a database volume stop for the snapshot; 'live': copy it while they run. */
  get volumeStopMode(): 'stop' | 'live' {
    return this.get<string>('volumes.snapshotMode') === 'live' ? 'live' : 'stop';
  }

  /** The runbook's freshness rule: the newest database backup should be younger than this. */
  get maxAgeHours(): number {
    return this.get<number>('health.maxAgeHours') ?? 24;
  }

  /**
   * `lifeboat.offsite.destination`: a folder, made absolute like the backup folder; a URL
   * (`s3://`, `sftp://`) as written, for the off-site module to accept or refuse. Empty: none.
   */
  get offsiteDestination(): string | undefined {
    const v = this.str('offsite.destination');
    if (!v) return undefined;
    return /^[a-z][a-z0-9+.-]*:\/\//i.test(v) ? v : this.path(v);
  }

  /** On unless set to false: plaintext leaves the machine only when the user allows it. */
  get offsiteRequireEncryption(): boolean {
    return this.get<boolean>('offsite.requireEncryption') !== false;
  }

  get offsiteCopyNewBackups(): boolean {
    return this.get<boolean>('offsite.copyNewBackups') === true;
  }

  get verifyOnCreate(): 'quick' | 'full' | 'off' {
    const v = this.get<string>('verify.onCreate');
    return v === 'full' || v === 'off' ? v : 'quick';
  }

  get discovery(): DiscoverySettings {
    return {
      folder: this.folderPath,
      composeProject: this.str('composeProject') || undefined,
      dbContainer: this.str('database.container') || undefined,
      database: this.str('database.name') || undefined,
      user: this.str('database.user') || undefined,
    };
  }

  /** Per kind; the runbook's ages when unset. A malformed value is an error naming the setting, never "keep nothing". */
  get retention(): RetentionPolicies {
    return {
      database: this.policy('database'),
      config: this.policy('config'),
      volume: this.policy('volume'),
    };
  }

  /** `lifeboat.offsite.retention.*`: with no rule set (the default), every off-site copy is kept. */
  get offsiteRetention(): RetentionPolicies {
    const policy = (kind: keyof RetentionPolicies): RetentionPolicy => ({
      ...(this.get<RetentionPolicy>(`offsite.retention.${kind}`) ?? {}),
    });
    return { database: policy('database'), config: policy('config'), volume: policy('volume') };
  }

  /** Bytes; 0 turns the low-space warning off. */
  get minFreeBytes(): number {
    return (this.get<number>('storage.minFreeMB') ?? 1024) * 1024 * 1024;
  }

  /** `lifeboat.schedule.*`: off unless enabled for the workspace; the runbook's times by default; an empty expression leaves a kind unscheduled. */
  get schedule(): ScheduleSettings {
    const cron = (kind: BackupKind) => {
      const v = this.get<string>(`schedule.${kind}`);
      return v === undefined ? DEFAULT_SCHEDULES[kind] : v.trim();
    };
    return {
      enabled: this.get<boolean>('schedule.enabled') === true,
      crons: { database: cron('database'), config: cron('config'), volume: cron('volume') },
      zone: this.scheduleZone(),
    };
  }

  private scheduleZone(): CronZone {
    const zone = this.get<string>('schedule.timezone')?.trim() || 'UTC';
    if (zone === 'local') return zone;
    try {
      // Intl knows the IANA zones of the ICU data Node ships; its canonical spelling ('utc' → 'UTC').
      return new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone;
    } catch {
      throw new SettingsError(
        `The setting lifeboat.schedule.timezone is ${JSON.stringify(zone)}: it must be "UTC", "local" or an IANA time zone name such as "Europe/Berlin", and this is none of them.`,
        'Correct it in .vscode/settings.json; the names are listed at https://en.wikipedia.org/wiki/List_of_tz_database_time_zones. No backup was scheduled with it.',
      );
    }
  }

  /**
   * The Compose project these backups belong to, without asking Docker: the setting, else the
   * folder's own project name. It names the stack's lock, so a cleanup and a backup see each other.
   */
  async projectName(): Promise<string | undefined> {
    const set = this.discovery.composeProject;
    if (set) return set;
    return this.folderPath ? folderProjectName(this.folderPath) : undefined;
  }

  private policy(kind: keyof RetentionPolicies): RetentionPolicy {
    // The schema check lets through only the rules, as whole numbers of 0 or more.
    const raw = this.get<RetentionPolicy>(`retention.${kind}`);
    return raw === undefined ? RUNBOOK_RETENTION[kind] : { ...raw };
  }
}
