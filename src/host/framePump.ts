/**
 * The frame pump (extension host): sends one helper the screen over its media connection. Capture, send, and
 * capture again only when the helper has drawn enough of what was sent. Nothing is ever queued: a slow helper
 * gets fewer, fresher frames. With a source of screen updates the first frame paints the whole screen and each
 * later one what changed since the one before (the agent waits for a change, so a still screen costs nothing);
 * updates are never dropped, the next one simply holds everything that changed while the link was busy.
 *
 * "Enough" is what the link carries (linkEstimate.ts, measured from the helper's acks): frames and bytes in
 * flight to fill a round trip and no more, so that nothing waits in the channel's buffer ahead of the next small
 * update; and each capture asks for the lossy pictures' budget that the link leaves room for, and for a byte budget of
 * its lossless part, what the link carries in a moment, so that a keystroke never waits long behind a large update.
 */

import { setTimeout as sleep } from 'node:timers/promises';
import type { HostAgent } from '../agent/contract';
import { chunkFrame } from '../shared/frames';
import type { Logger } from '../shared/log';
import type { Rect } from '../shared/screenUpdate';
import { LinkEstimator, MIN_FRAMES_IN_FLIGHT } from './linkEstimate';
import { PaintedLog } from './paintedLog';

/** Frames sent and not yet drawn by the helper before the link is measured: one on the wire, one being drawn. */
export const FRAMES_IN_FLIGHT = MIN_FRAMES_IN_FLIGHT;
/** Capture failures in a row before the session gives up. */
export const MAX_CAPTURE_FAILURES = 3;
/** Frames that may go out back to back after a pause, above the maxFps rate. */
export const FRAME_BURST = 2;
/** How long one capture waits for the screen to change before the pump looks at the session again. */
export const CHANGE_WAIT_MS = 500;
/** Above this many bytes waiting in the media channel, no frame is captured (whatever the link's measure says). */
export const MEDIA_HIGH_WATER = 1024 * 1024;
/** A capture answered within this long had a change waiting (it did not wait for the screen). */
const AT_ONCE_MS = 100;
/** How often the link's measure goes to the log (debug). */
const SAY_LINK_MS = 5000;
/**
 * Without an ack for this long, the frames in flight are taken as lost (a lost ack, a reloaded panel); longer when
 * the link needs longer to carry what is in flight (linkEstimate.ts).
 */
const ACK_GIVE_UP_MS = 3000;

/** The media connection as the pump uses it. */
export interface MediaChannel {
  readonly open: boolean;
  readonly dataChannel?: unknown;
  send(chunk: Uint8Array): unknown;
}

/** What the pump needs from its session. */
export interface PumpSession {
  readonly capture: HostAgent['capture'];
  /** The helper's media connection, once it is proved to be the helper's own; undefined before. */
  media(): MediaChannel | undefined;
  /** Whether the session still shows the screen to this helper. */
  showing(): boolean;
  /** While true the host has paused sharing: nothing is captured or sent, and the next update is a whole screen. */
  paused?(): boolean;
  /** The screen cannot be captured: the session ends. */
  fail(message: string): void;
  readonly log: Logger;
}

export class FramePump {
  framesSent = 0;
  framesAcked = 0;
  /** What the link to the helper carries, from the acks. */
  readonly link: LinkEstimator;
  /** What the frames not yet acknowledged painted: after a cut, what the resumed helper may lack (paintedLog.ts). */
  readonly painted = new PaintedLog();
  private running = false;
  private keyWanted = false;
  /** The first capture repaints these parts instead of the whole screen (`resumeOver`). */
  private repaint: readonly Rect[] | undefined;
  private waiter: (() => void) | undefined;

  constructor(
    private readonly session: PumpSession,
    private readonly maxFps: number,
  ) {
    this.link = new LinkEstimator(maxFps);
  }

  /** The helper has drawn frame `id`. */
  ack(id: number): void {
    if (id >= this.framesSent) return;
    this.framesAcked = Math.max(this.framesAcked, id + 1);
    this.link.acked(id);
    this.painted.acked(id);
    this.wake();
  }

  /**
   * A resumed helper that still shows its picture, but perhaps not these parts as the last pump sent them: the first
   * frame paints them again (and what changed), not the whole screen. Before `run`.
   */
  resumeOver(parts: readonly Rect[]): void {
    this.repaint = parts;
  }

  /** The helper lost its picture: the whole screen goes again. */
  refresh(): void {
    this.keyWanted = true;
  }

  /** Something the pump may be waiting for changed (an ack, the media connection, the end). */
  wake(): void {
    this.waiter?.();
  }

  async run(): Promise<void> {
    if (this.running) return;
    this.running = true;
    const { log } = this.session;
    const rate = Math.max(1, this.maxFps) / 1000;
    // A token bucket: on average at most maxFps frames a second, but a change after a pause goes out at once
    // instead of waiting for the next slot of a fixed clock (which would add up to a frame time of latency).
    let credit = FRAME_BURST;
    let creditAt = Date.now();
    const refill = (): void => {
      const now = Date.now();
      credit = Math.min(FRAME_BURST, credit + (now - creditAt) * rate);
      creditAt = now;
    };
    let failures = 0;
    let last = 0;
    let previous: Uint8Array | undefined;
    let needKey = this.repaint === undefined;
    let saidLink = Date.now();
    // The pump waited for the link's room since the last frame: a frame captured at once is the link's pace.
    let heldBack = false;
    try {
      while (this.session.showing()) {
        if (this.session.paused?.()) {
          // The agent is not asked at all; resume() wakes the pump, and the helper's hidden picture is repainted whole.
          needKey = true;
          previous = undefined;
          await this.waitForAck(1000);
          continue;
        }
        const media = this.session.media();
        const channel = media?.dataChannel as { bufferedAmount?: number } | undefined;
        if (!media?.open || !this.link.mayQueue() || (channel?.bufferedAmount ?? 0) > MEDIA_HIGH_WATER) {
          heldBack = media?.open === true;
          await this.waitForAck(media?.open ? 1000 : 50);
          if (!this.link.mayQueue() && Date.now() - last > this.link.giveUpMs(ACK_GIVE_UP_MS)) {
            // Do not stall forever.
            this.framesAcked = this.framesSent;
            this.link.forget();
          }
          continue;
        }
        if (Date.now() - saidLink > SAY_LINK_MS) {
          saidLink = Date.now();
          log.debug(`link: ${this.link.describe()}`);
        }
        refill();
        if (credit < 1) {
          // The frame rate's cap, not the link, sets this frame's pace.
          heldBack = false;
          await sleep((1 - credit) / rate);
        }
        let frame;
        let whole = false;
        const asked = Date.now();
        try {
          const full = needKey || this.keyWanted;
          whole = full;
          const repaint = full ? undefined : this.repaint;
          this.keyWanted = false;
          this.repaint = undefined;
          const losslessBytes = this.link.updateBytes();
          frame = await this.session.capture({ full, waitMs: full || repaint ? 0 : CHANGE_WAIT_MS, lossyBps: this.link.lossyBps, ...(losslessBytes !== undefined ? { losslessBytes } : {}), ...(repaint ? { repaint } : {}) });
          failures = 0;
        } catch (error) {
          failures++;
          // An update the agent made after we gave up on it would be lost: start again from a whole screen.
          needKey = true;
          this.painted.failed();
          const text = error instanceof Error ? error.message : String(error);
          log.warn(`capture failed (${failures} in a row): ${text}`);
          if (failures >= MAX_CAPTURE_FAILURES) {
            this.session.fail(`The screen could not be captured: ${text}`);
            return;
          }
          await sleep(200);
          continue;
        }
        if (!frame) {
          // Nothing changed. An agent that says so at once, without waiting, must not make this loop spin.
          if (Date.now() - asked < 2) await sleep(16);
          heldBack = false;
          continue;
        }
        last = Date.now();
        refill();
        credit -= 1;
        if (!this.session.showing() || this.session.paused?.() || this.session.media() !== media || !media.open) {
          needKey = true;
          this.painted.dropped(frame);
          continue;
        }
        if (frame.format === 'update') {
          needKey = false;
        } else {
          // A whole picture: a still screen costs nothing once the helper has drawn all that was sent (an
          // unacknowledged frame may have been lost, so then it goes again).
          if (previous && this.framesAcked === this.framesSent && Buffer.compare(previous, frame.data) === 0) continue;
          previous = frame.data;
        }
        const id = this.framesSent++;
        this.link.sent(id, frame.data.length, Date.now(), heldBack && last - asked < AT_ONCE_MS, whole || frame.format !== 'update');
        heldBack = false;
        this.painted.sent(id, frame);
        for (const chunk of chunkFrame(id, frame)) media.send(chunk);
      }
    } finally {
      this.running = false;
    }
  }

  private waitForAck(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(t);
        if (this.waiter === done) this.waiter = undefined;
        resolve();
      };
      const t = setTimeout(done, timeoutMs);
      this.waiter = done;
    });
  }
}
