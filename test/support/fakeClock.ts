import type { SchedulerClock } from '../../src/core/schedule';

/**
 * A wall clock and timers under the test's control. `advance` is time passing (timers fire in
 * order); `jump` changes only the wall clock, as a suspended laptop or a clock being set does:
 * a timer measures elapsed time, so a jump brings no timer closer.
 */
export class FakeClock implements SchedulerClock {
  private timers: { id: number; at: number; fn: () => void }[] = [];
  private ids = 0;
  constructor(
    public t: number,
    private readonly settle: () => Promise<void>,
  ) {}
  now(): Date {
    return new Date(this.t);
  }
  setTimer(fn: () => void, ms: number): unknown {
    const id = ++this.ids;
    this.timers.push({ id, at: this.t + ms, fn });
    return id;
  }
  clearTimer(handle: unknown): void {
    this.timers = this.timers.filter((x) => x.id !== handle);
  }
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at);
      const next = this.timers[0];
      if (!next || next.at > end) break;
      this.timers.shift();
      this.t = Math.max(this.t, next.at);
      next.fn();
      await this.settle();
    }
    this.t = end;
  }
  jump(ms: number): void {
    this.t += ms;
    for (const x of this.timers) x.at += ms;
  }
  get pending(): number {
    return this.timers.length;
  }
}
