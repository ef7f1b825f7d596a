import type { Clock } from '../../src/platform/dates';

/** A clock tests can pin to a moment (and release); the app and the in-process workers share it. */
export class TestClock implements Clock {
  private pinned: Date | undefined;
  private offsetMs = 0;

  now(): Date {
    return this.pinned ? new Date(this.pinned) : new Date(Date.now() + this.offsetMs);
  }

  /** Pins the clock to a Shunde local time such as '2026-09-18T10:00'. */
  pinLocal(localDateTime: string): void {
    this.pinned = new Date(`${localDateTime}:00+08:00`);
  }

  advance(ms: number): void {
    if (this.pinned) this.pinned = new Date(this.pinned.getTime() + ms);
    else this.offsetMs += ms;
  }

  reset(): void {
    this.pinned = undefined;
    this.offsetMs = 0;
  }
}
