/** Exit codes cron, systemd and CI can act on. Documented in README ("Command line"). */
export const EXIT = {
  ok: 0,
  /** The work failed, a check failed, or `status` found a problem. */
  failed: 1,
  /** Bad arguments or invalid settings: fix the call, retrying will not help. */
  usage: 2,
  /** Docker unreachable, no stack / container / volume where the settings point, or the database container stopped. */
  unavailable: 3,
  /** Another Lifeboat operation holds the lock: retry later. */
  locked: 4,
  cancelled: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
