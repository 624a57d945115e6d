/**
 * What the link to one helper carries, measured from the frame pump's own traffic (extension host, pure): the
 * helper acknowledges each frame once it has drawn it, so every acknowledgement is a round trip (the frame's
 * transmission, the helper's decoding and the ack's way back included) and a delivery-rate sample (BBR's: the
 * bytes acknowledged between a frame's sending and its acknowledgement, over that time).
 *
 * The least round trip, which sizes what may be in flight, comes from frames that went alone (nothing in flight
 * before them): while the link is full every other frame waits behind frames of our
 * own, and a window sized from such round trips grows the queue that made them long, round after round (measured on
 * the emulated mobile link: a least round trip of 1-2 s where the link's is 120 ms, and keystrokes a second or more
 * behind). When none went alone for PROBE_EVERY_MS (PROBE_SOON_MS for the first few), the pump lets what is in flight
 * drain and sends one frame alone (BBR's ProbeRTT, in frames), carrying little so that its own bytes do not count as
 * the path's; a whole picture alone measures nothing (its round trip is its own bytes'). The lossy budget's queue test compares with the least of every frame's round trips
 * (while a video plays, the frames alone are mostly its large pictures: that least read 680 ms on mobile, no queue
 * was seen, and the budget climbed to 4 Mbit/s on a link carrying 0.3).
 *
 * From those, what the pump may do now:
 * - `framesLimit`: frames in flight. Two suffice where a round trip is short; on a long one, two frames per
 *   round trip would cap the frame rate (120 ms: about 8 fps), so enough to fill one round trip at the pump's
 *   frame rate, at most MAX_FRAMES_IN_FLIGHT (the helper refuses a host with 16 unacknowledged).
 * - `bytesLimit`: bytes in flight, a quarter more than the link delivers in a round trip (its bandwidth-delay
 *   product, with BBR's probing gain, which lets the rate grow when the link has room; the rate is what the link
 *   sustains while full, else the best seen). Bytes beyond it wait in the data channel's buffer, where the next
 *   small update (a keystroke) would wait behind them. While the link is full, the round trips grow until they are
 *   a quarter over the least: a queue of that much, not more.
 * - `lossyBps`: the budget of content that changes every frame (video.ts), a share of what the link delivers;
 *   raised step by step while the round trip stays near its minimum, cut to that share when it grows (a queue).
 * - `losslessBytes`: the bytes one update's lossless part may take (screenEncoder.ts), what the link delivers in
 *   LOSSLESS_MS (at the same rate): the data channel is ordered, so the next keystroke waits behind them. Not below
 *   LOSSLESS_MIN_BYTES; on a fast link far more than any update. `updateBytes`: the same, but a probe's.
 */

/** The most frames in flight, and the least (one on the wire, one being drawn). */
export const MAX_FRAMES_IN_FLIGHT = 8;
export const MIN_FRAMES_IN_FLIGHT = 2;
/**
 * The fewest bytes in flight allowed, before any rate is known and on the slowest link (a frame always may go
 * alone). 32 KiB before: most of a second of queue on the emulated mobile link, ahead of every keystroke. 16 KiB is
 * still some 300 ms there under CPU load, where SCTP carries 0.4-0.6 Mbit/s of the link's 3 (2 % loss). Keystrokes
 * behind a large change (slowLink.test.ts, a core kept busy, with updates of LOSSLESS_MS and the probes below), p50 /
 * p90 in ms: 8 KiB 238 / 441, 255 / 441; 12 KiB 263 / 506, 239 / 417; 16 KiB 261 / 463, 386 / 548 (541 / 705 with
 * updates of 125 ms). There the measured window is some 12-14 KiB; the floor is for a link like the bench's 1920x1080
 * scroll, whose frames take the helper longer to draw than the least round trip shows: 8 KiB scrolled at 5.5 fps
 * (1.5 before the encoder painted fresh changes first), 16 KiB at 11-15 (updates of 125 ms).
 */
export const MIN_BYTES_IN_FLIGHT = 12 * 1024;
/**
 * Bytes in flight as a multiple of the bandwidth-delay product: what is over 1 waits in a queue (2, before: half the
 * bytes in flight queued, a round trip's worth of delay ahead of every keystroke on a full link).
 */
const BDP_GAIN = 1.25;
/** When no frame went alone for this long, one does (after what is in flight), to measure the least round trip. */
const PROBE_EVERY_MS = 4000;
/**
 * The first PROBES_SOON frames alone of a session are this far apart instead: until then the least round trip rests
 * on one or two frames, and on the emulated mobile link the first read 260-330 ms where the link's is some 120-150
 * (a window twice what the link needs, for the first 4-8 s, while the helper's first keystrokes come).
 */
const PROBE_SOON_MS = 1000;
const PROBES_SOON = 3;
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
/**
 * An update's lossless part carries what the link delivers in this long, and at least this many bytes: a keystroke
 * waits behind about a window's worth, then its own update's (125 ms before: on the mobile link an update was most of
 * the least window, and one went at a time).
 */
const LOSSLESS_MS = 60;
export const LOSSLESS_MIN_BYTES = 4 * 1024;
/** Rates of frames the link held back, before their median is taken for what it sustains. */
const SUSTAINED_SAMPLES = 5;
/** A round trip longer than the minimum by this much (or half the minimum, if more) means a queue. */
const QUEUE_MS = 40;

interface Sent {
  readonly id: number;
  readonly bytes: number;
  readonly at: number;
  /** Bytes delivered (acknowledged) when it was sent, and when the last of those was. */
  readonly delivered: number;
  readonly deliveredAt: number;
  /** Nothing was in flight when it went: its round trip waited behind nothing of ours. */
  readonly alone: boolean;
  /** It went alone and was not a whole picture: its round trip is the path's (a whole picture's is its own bytes'). */
  readonly measures: boolean;
  /** It went as soon as the link had room for it: its delivery rate is the link's, not the screen's. */
  readonly limited: boolean;
}

export class LinkEstimator {
  /** Smoothed round trip (ms); undefined before the first acknowledgement. */
  srttMs: number | undefined;
  private readonly inFlight: Sent[] = [];
  private delivered = 0;
  private deliveredAt: number;
  /** Round trips of frames that went alone (the least round trip), and of every frame (the lossy budget's queue test). */
  private readonly rtts: { at: number; ms: number }[] = [];
  private readonly allRtts: { at: number; ms: number }[] = [];
  /** When a frame that went alone was last acknowledged (or the estimator began), and how many were. */
  private aloneAt: number;
  private probes = 0;
  private readonly rates: { at: number; bps: number }[] = [];
  /** Of those, the samples of frames that the link held back: bytes delivered over how long. */
  private readonly limitedRates: { at: number; bytes: number; ms: number }[] = [];
  private budget = LOSSY_MAX_BPS;
  private budgetAt = 0;
  /**
   * What is read of the windows, worked out once as each sample comes (see `summarise`): the pump reads them several
   * times a frame, and at 50 frames a second the rates' window holds ~500 samples (a spread and a map of them on every
   * read were ~0.5 % of a core of the host session's while typing).
   */
  private summary: { rttMs: number | undefined; deliveryBps: number | undefined; sustainedBps: number | undefined } = { rttMs: undefined, deliveryBps: undefined, sustainedBps: undefined };

  constructor(
    /** The pump's frame rate cap. */
    private readonly maxFps: number,
    now = Date.now(),
  ) {
    this.deliveredAt = now;
    this.aloneAt = now;
  }

  /**
   * Frame `id` of `bytes` went out at `now`; `limited`: the pump had it as soon as the link had room (it waited for
   * the link, not for the screen to change), so that its delivery rate is what the link sustains; `whole`: a whole
   * picture (the first, say: 237 KB on the mobile link, whose round trip of 1.7-2.9 s set the window to 300 KB).
   */
  sent(id: number, bytes: number, now = Date.now(), limited = false, whole = false): void {
    const alone = this.inFlight.length === 0;
    // Nothing in flight: the time before this frame was idle, not delivery.
    if (alone) this.deliveredAt = now;
    this.inFlight.push({ id, bytes, at: now, delivered: this.delivered, deliveredAt: this.deliveredAt, alone, measures: alone && !whole, limited });
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
    // A whole picture alone spent its round trip on its own bytes: it measures the path no better than one that queued.
    if (last.measures) {
      push(this.rtts, { at: now, ms: rtt }, now);
      this.aloneAt = now;
      this.probes++;
    }
    push(this.allRtts, { at: now, ms: rtt }, now);
    const span = now - last.deliveredAt;
    if (span > 0) {
      push(this.rates, { at: now, bps: ((this.delivered - last.delivered) * 8 * 1000) / span }, now);
      if (last.limited) push(this.limitedRates, { at: now, bytes: this.delivered - last.delivered, ms: span }, now);
    }
    this.summarise();
    this.judgeBudget(now);
  }

  /** Every frame in flight is taken as lost (the pump gave up waiting): nothing is learnt from them. */
  forget(): void {
    this.inFlight.length = 0;
  }

  /** The least round trip of the last WINDOW_MS (ms), undefined before the first. */
  get minRttMs(): number | undefined {
    return this.summary.rttMs;
  }

  /** The most the link delivered over the last WINDOW_MS (bit/s), undefined before the first sample. */
  get deliveryBps(): number | undefined {
    return this.summary.deliveryBps;
  }

  /**
   * What the link sustains while it is full (bit/s): over the last WINDOW_MS of frames it held back, the bytes their
   * samples delivered over their time, all together (so that a bunch of acks after a held one evens out); undefined
   * before there are SUSTAINED_SAMPLES. The best rate (deliveryBps) reads high on a jittery, lossy link, where
   * acks come in bunches: on the emulated mobile link 0.8-1.6 Mbit/s where this read 0.3-0.6.
   */
  get sustainedBps(): number | undefined {
    return this.summary.sustainedBps;
  }

  /** Works out what the getters read from the windows, which change only as a sample comes (`push`). */
  private summarise(): void {
    let rttMs = Infinity;
    for (const r of this.rtts) rttMs = Math.min(rttMs, r.ms);
    let deliveryBps = -Infinity;
    for (const r of this.rates) deliveryBps = Math.max(deliveryBps, r.bps);
    let sustainedBps: number | undefined;
    if (this.limitedRates.length >= SUSTAINED_SAMPLES) {
      let bytes = 0;
      let ms = 0;
      for (const r of this.limitedRates) {
        bytes += r.bytes;
        ms += r.ms;
      }
      sustainedBps = (bytes * 8 * 1000) / ms;
    }
    this.summary = { rttMs: this.rtts.length > 0 ? rttMs : undefined, deliveryBps: this.rates.length > 0 ? deliveryBps : undefined, sustainedBps };
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
    const bps = this.sustainedBps ?? this.deliveryBps;
    if (rtt === undefined || bps === undefined) return MIN_BYTES_IN_FLIGHT;
    return Math.max(MIN_BYTES_IN_FLIGHT, Math.round((BDP_GAIN * bps * rtt) / 8000));
  }

  /**
   * Whether one more frame of any size may go at `now` (one always may when nothing is in flight; only then when
   * the least round trip is due to be measured again).
   */
  mayQueue(now = Date.now()): boolean {
    if (this.inFlight.length === 0) return true;
    return !this.probeDue(now) && this.inFlight.length < this.framesLimit && this.bytesInFlight < this.bytesLimit;
  }

  /**
   * The lossless bytes the next update may take at `now`: `losslessBytes`, but LOSSLESS_MIN_BYTES for a frame that goes
   * alone to measure the least round trip, whose own bytes would count as the path's (on the mobile link a probe of
   * 9-10 KB read 260-330 ms, one of 4-5 KB 115-180).
   */
  updateBytes(now = Date.now()): number | undefined {
    const bytes = this.losslessBytes;
    return bytes !== undefined && this.inFlight.length === 0 && this.probeDue(now) ? Math.min(bytes, LOSSLESS_MIN_BYTES) : bytes;
  }

  /** Whether the least round trip is due to be measured by a frame alone. */
  private probeDue(now: number): boolean {
    return now - this.aloneAt >= (this.probes < PROBES_SOON ? PROBE_SOON_MS : PROBE_EVERY_MS);
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

  /** The lossless bytes one update may take; undefined (no limit) before the link's rate is known. */
  get losslessBytes(): number | undefined {
    const bps = this.sustainedBps ?? this.deliveryBps;
    return bps === undefined ? undefined : Math.max(LOSSLESS_MIN_BYTES, Math.round((bps * LOSSLESS_MS) / 8000));
  }

  /** For the log. */
  describe(): string {
    const f = (v: number | undefined, d = 0) => (v === undefined ? '?' : v.toFixed(d));
    return `rtt ${f(this.srttMs)} ms (min ${f(this.minRttMs)}), delivered ${f((this.deliveryBps ?? NaN) / 1000)} kbit/s, ` +
      `in flight ≤ ${this.framesLimit} frames / ${Math.round(this.bytesLimit / 1024)} KiB, lossy ${Math.round(this.budget / 1000)} kbit/s, ` +
      `lossless ≤ ${f((this.losslessBytes ?? NaN) / 1024)} KiB an update`;
  }

  private judgeBudget(now: number): void {
    if (now - this.budgetAt < BUDGET_STEP_MS) return;
    // The least of every frame's round trips: while a video plays the frames alone are mostly its large pictures.
    let min = Infinity;
    for (const r of this.allRtts) min = Math.min(min, r.ms);
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
