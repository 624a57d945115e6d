/**
 * Rate limits per message kind: a token bucket for each kind, so that a peer that floods one kind of message
 * (moves, keys, acknowledgements, requests for control) has the excess dropped and counted, while its other
 * messages still get through. Pure module: the clock is passed in.
 */

export interface Rate {
  /** Messages allowed in a burst, and per `perMs` on average. */
  readonly max: number;
  readonly perMs: number;
}

export class RateLimiter<K extends string> {
  private readonly buckets = new Map<K, { tokens: number; at: number }>();
  private readonly droppedByKind = new Map<K, number>();
  private droppedTotal = 0;

  constructor(
    private readonly rates: Readonly<Record<K, Rate>>,
    private readonly now: () => number = () => Date.now(),
  ) {}

  /** Takes one message of `kind`: true if it is within the limit, false (and counted) if it is to be dropped. */
  take(kind: K): boolean {
    const rate = this.rates[kind];
    const now = this.now();
    const bucket = this.buckets.get(kind) ?? { tokens: rate.max, at: now };
    // A clock that goes back refills nothing; one that jumps ahead refills at most a full bucket.
    const elapsed = Math.max(0, now - bucket.at);
    bucket.tokens = Math.min(rate.max, bucket.tokens + (elapsed * rate.max) / rate.perMs);
    bucket.at = now;
    this.buckets.set(kind, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return true;
    }
    this.droppedByKind.set(kind, (this.droppedByKind.get(kind) ?? 0) + 1);
    this.droppedTotal++;
    return false;
  }

  /** Messages dropped so far, all kinds together. */
  get dropped(): number {
    return this.droppedTotal;
  }

  /** Messages dropped so far, by kind (only kinds that had any). */
  droppedCounts(): Partial<Record<K, number>> {
    return Object.fromEntries(this.droppedByKind) as Partial<Record<K, number>>;
  }
}
