/**
 * What the link to one helper carries, measured from the frame pump's own traffic (extension host, pure): the
 * helper acknowledges each frame once it has drawn it, so every acknowledgement is a round trip (the frame's
 * transmission, the helper's decoding and the ack's way back included) and a delivery-rate sample (BBR's: the
 * bytes acknowledged between a frame's sending and its acknowledgement, over that time).
 *
 * From those, what the pump may do now:
 * - `framesLimit`: frames in flight. Two suffice where a round trip is short; on a long one, two frames per
 *   round trip would cap the frame rate (120 ms: about 8 fps), so enough to fill one round trip at the pump's
 *   frame rate, at most MAX_FRAMES_IN_FLIGHT (the helper refuses a host with 16 unacknowledged).
 * - `bytesLimit`: bytes in flight, twice what the link delivered in a round trip (its bandwidth-delay product,
 *   with the gain that lets the rate grow when the link has room, as BBR's start-up does). Bytes beyond it would
 *   wait in the data channel's buffer, where the next small update (a keystroke) would wait behind them.
 * - `lossyBps`: the budget of content that changes every frame (video.ts), a share of what the link delivers;
 *   raised step by step while the round trip stays near its minimum, cut to that share when it grows (a queue).
 */

/** The most frames in flight, and the least (one on the wire, one being drawn). */
export const MAX_FRAMES_IN_FLIGHT = 8;
export const MIN_FRAMES_IN_FLIGHT = 2;
/** The fewest bytes in flight allowed, before any rate is known and on the slowest link (a frame always may go alone). */
export const MIN_BYTES_IN_FLIGHT = 32 * 1024;
/** Bytes in flight as a multiple of the bandwidth-delay product. */
const BDP_GAIN = 2;
/** Rate samples and round trips are kept this long for the maximum and the minimum. */
const WINDOW_MS = 10_000;
/** The lossy budget: at most the agent's own fixed budget, at least this. */
export const LOSSY_MAX_BPS = 4_000_000;
export const LOSSY_MIN_BPS = 100_000;
/** Of what the link delivers, the share the lossy pictures may take when it is full. */
const LOSSY_SHARE = 0.6;
/** The budget is judged at most this often, and grows by this factor each time the link shows room. */
const BUDGET_STEP_MS = 500;
const BUDGET_GROWTH = 1.25;
/** A round trip longer than the minimum by this much (or half the minimum, if more) means a queue. */
const QUEUE_MS = 40;

interface Sent {
  readonly id: number;
  readonly bytes: number;
  readonly at: number;
  /** Bytes delivered (acknowledged) when it was sent, and when the last of those was. */
  readonly delivered: number;
  readonly deliveredAt: number;
}

export class LinkEstimator {
  /** Smoothed round trip (ms); undefined before the first acknowledgement. */
  srttMs: number | undefined;
  private readonly inFlight: Sent[] = [];
  private delivered = 0;
  private deliveredAt: number;
  private readonly rtts: { at: number; ms: number }[] = [];
  private readonly rates: { at: number; bps: number }[] = [];
  private budget = LOSSY_MAX_BPS;
  private budgetAt = 0;

  constructor(
    /** The pump's frame rate cap. */
    private readonly maxFps: number,
    now = Date.now(),
  ) {
    this.deliveredAt = now;
  }

  /** Frame `id` of `bytes` went out at `now`. */
  sent(id: number, bytes: number, now = Date.now()): void {
    // Nothing in flight: the time before this frame was idle, not delivery.
    if (this.inFlight.length === 0) this.deliveredAt = now;
    this.inFlight.push({ id, bytes, at: now, delivered: this.delivered, deliveredAt: this.deliveredAt });
  }

  /** The helper drew frame `id` (and so every frame before it) by `now`. */
  acked(id: number, now = Date.now()): void {
    let last: Sent | undefined;
    while (this.inFlight.length > 0 && this.inFlight[0]!.id <= id) {
      last = this.inFlight.shift()!;
      this.delivered += last.bytes;
    }
    if (!last) return;
    this.deliveredAt = now;
    const rtt = Math.max(1, now - last.at);
    this.srttMs = this.srttMs === undefined ? rtt : this.srttMs * 0.875 + rtt * 0.125;
    push(this.rtts, { at: now, ms: rtt }, now);
    const span = now - last.deliveredAt;
    if (span > 0) push(this.rates, { at: now, bps: ((this.delivered - last.delivered) * 8 * 1000) / span }, now);
    this.judgeBudget(now);
  }

  /** Every frame in flight is taken as lost (the pump gave up waiting): nothing is learnt from them. */
  forget(): void {
    this.inFlight.length = 0;
  }

  /** The least round trip of the last WINDOW_MS (ms), undefined before the first. */
  get minRttMs(): number | undefined {
    return this.rtts.length === 0 ? undefined : Math.min(...this.rtts.map((r) => r.ms));
  }

  /** The most the link delivered over the last WINDOW_MS (bit/s), undefined before the first sample. */
  get deliveryBps(): number | undefined {
    return this.rates.length === 0 ? undefined : Math.max(...this.rates.map((r) => r.bps));
  }

  get bytesInFlight(): number {
    return this.inFlight.reduce((n, s) => n + s.bytes, 0);
  }

  get framesLimit(): number {
    const rtt = this.minRttMs;
    if (rtt === undefined) return MIN_FRAMES_IN_FLIGHT;
    return Math.min(MAX_FRAMES_IN_FLIGHT, Math.max(MIN_FRAMES_IN_FLIGHT, Math.ceil((rtt * Math.max(1, this.maxFps)) / 1000)));
  }

  get bytesLimit(): number {
    const rtt = this.minRttMs;
    const bps = this.deliveryBps;
    if (rtt === undefined || bps === undefined) return MIN_BYTES_IN_FLIGHT;
    return Math.max(MIN_BYTES_IN_FLIGHT, Math.round((BDP_GAIN * bps * rtt) / 8000));
  }

  /** Whether one more frame of any size may go now (one always may when nothing is in flight). */
  mayQueue(): boolean {
    return this.inFlight.length === 0 || (this.inFlight.length < this.framesLimit && this.bytesInFlight < this.bytesLimit);
  }

  /**
   * How long to wait for an ack before the frames in flight are taken as lost: `floorMs`, or twice what the link
   * needs to carry them and come back, if more (a large update on a slow link takes seconds).
   */
  giveUpMs(floorMs: number): number {
    const bps = this.deliveryBps;
    if (bps === undefined || this.srttMs === undefined) return floorMs;
    return Math.max(floorMs, 2 * (this.srttMs + (this.bytesInFlight * 8000) / bps));
  }

  get lossyBps(): number {
    return this.budget;
  }

  /** For the log. */
  describe(): string {
    const f = (v: number | undefined, d = 0) => (v === undefined ? '?' : v.toFixed(d));
    return `rtt ${f(this.srttMs)} ms (min ${f(this.minRttMs)}), delivered ${f((this.deliveryBps ?? NaN) / 1000)} kbit/s, ` +
      `in flight ≤ ${this.framesLimit} frames / ${Math.round(this.bytesLimit / 1024)} KiB, lossy ${Math.round(this.budget / 1000)} kbit/s`;
  }

  private judgeBudget(now: number): void {
    if (now - this.budgetAt < BUDGET_STEP_MS) return;
    const min = this.minRttMs!;
    const rate = this.deliveryBps;
    this.budgetAt = now;
    const queued = this.srttMs! > min + Math.max(QUEUE_MS, min / 2);
    if (queued && rate !== undefined) this.budget = Math.min(this.budget, LOSSY_SHARE * rate);
    else if (!queued) this.budget *= BUDGET_GROWTH;
    this.budget = Math.round(Math.min(LOSSY_MAX_BPS, Math.max(LOSSY_MIN_BPS, this.budget)));
  }
}

/** Appends `sample` and drops those older than WINDOW_MS. */
function push<T extends { at: number }>(samples: T[], sample: T, now: number): void {
  samples.push(sample);
  while (samples.length > 0 && now - samples[0]!.at > WINDOW_MS) samples.shift();
}
