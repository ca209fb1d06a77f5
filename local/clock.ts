// A virtual clock shared by the sandbox's handlers, the FSx emulator and the workflow runner.
// Time only moves when every registered actor (a running execution) is asleep: the clock then
// jumps to the earliest wake-up, so simulated hours of waiting cost no real time.
import type { Clock } from '../functions/shared/clock.js';

interface Sleeper {
  wakeAt: number;
  resolve: () => void;
}

export class VirtualClock implements Clock {
  private nowMs: number;
  private sleepers: Sleeper[] = [];
  private actors = 0;
  private pacer?: NodeJS.Timeout;

  constructor(start: Date | string = '2026-12-04T00:00:00Z') {
    this.nowMs = new Date(start).getTime();
  }

  now(): Date {
    return new Date(this.nowMs);
  }

  /** Moves time forward by hand (tests, the scheduler loop). */
  advance(ms: number): void {
    this.set(new Date(this.nowMs + ms));
  }

  set(to: Date): void {
    if (to.getTime() < this.nowMs) throw new Error(`the clock cannot go back (${to.toISOString()})`);
    this.nowMs = to.getTime();
    this.wakeDue();
  }

  /** An actor takes part in deciding when time may move. */
  enter(): void {
    this.actors += 1;
  }

  leave(): void {
    this.actors -= 1;
    this.maybeJump();
  }

  /** Sleeps in virtual time; the calling actor counts as asleep until it wakes. */
  sleep(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.sleepers.push({ wakeAt: this.nowMs + ms, resolve });
      this.maybeJump();
    });
  }

  private wakeDue(): void {
    const due = this.sleepers.filter((s) => s.wakeAt <= this.nowMs);
    this.sleepers = this.sleepers.filter((s) => s.wakeAt > this.nowMs);
    for (const s of due) s.resolve();
  }

  /**
   * Lets time flow with the wall clock, `speed` times faster (a sandbox someone is watching),
   * instead of jumping whenever every actor sleeps.
   */
  pace(speed: number, tickMs = 100): void {
    this.stopPacing();
    this.pacer = setInterval(() => this.advance(speed * tickMs), tickMs);
  }

  stopPacing(): void {
    if (this.pacer) clearInterval(this.pacer);
    this.pacer = undefined;
    this.maybeJump();
  }

  private maybeJump(): void {
    if (this.pacer) return;
    // Defer so that actors woken in the same tick register their next sleep first.
    setImmediate(() => {
      if (this.pacer) return;
      if (this.sleepers.length === 0 || this.sleepers.length < this.actors) return;
      const earliest = Math.min(...this.sleepers.map((s) => s.wakeAt));
      if (earliest > this.nowMs) this.nowMs = earliest;
      this.wakeDue();
    });
  }
}
