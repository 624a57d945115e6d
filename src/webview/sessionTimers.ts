/**
 * The helper's panel (webview): the session's timers, kept in one place so that ending the session clears every
 * one of them (a timer left behind would act on a session that is over).
 */

export type Timer = ReturnType<typeof setTimeout>;

export class SessionTimers {
  private readonly timeouts = new Set<Timer>();
  private readonly intervals = new Set<ReturnType<typeof setInterval>>();

  /** Runs `fn` once after `ms`. */
  after(ms: number, fn: () => void): Timer {
    const t = setTimeout(() => {
      this.timeouts.delete(t);
      fn();
    }, ms);
    this.timeouts.add(t);
    return t;
  }

  /** Runs `fn` every `ms` until `clear()`. */
  every(ms: number, fn: () => void): void {
    this.intervals.add(setInterval(fn, ms));
  }

  /** Cancels a timer from `after` (if it has not run); gives undefined, for the field that held it. */
  cancel(t: Timer | undefined): undefined {
    if (t === undefined) return undefined;
    clearTimeout(t);
    this.timeouts.delete(t);
    return undefined;
  }

  clear(): void {
    for (const t of this.timeouts) clearTimeout(t);
    for (const t of this.intervals) clearInterval(t);
    this.timeouts.clear();
    this.intervals.clear();
  }
}
