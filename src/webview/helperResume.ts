/**
 * The helper's panel (webview): getting back to the host after a network cut. PeerJS has no ICE restart, so the
 * helper dials new connections (hostLink.ts) and proves itself with the session's resume key (helperHandshake.ts,
 * SECURITY.md "Resuming after a network cut"). This file only paces the attempts and keeps the deadline:
 *
 * - attempts RESUME_ATTEMPT_MS apart at first; one that has not opened is replaced by a fresh one (a dial made
 *   while the path was down may never complete, and the host takes the newest candidate that has not begun proving),
 *   the n-th after n times RESUME_ATTEMPT_MS, up to RESUME_ATTEMPT_MAX_MS: on a slow link (120 ms of round trip, loss)
 *   a dial needs more than a second to open through TURN, and replacing it every second meant none ever opened;
 *   one that opened gets RESUME_PROOF_MS to finish;
 * - the signaling server, if it was lost too, is rejoined first (`peer.reconnect()`, same id);
 * - after RESUME_WINDOW_MS from the cut the session ends (`linkLost`).
 * No DOM; the session's timers, so that ending the session stops it.
 */

import type { Peer } from 'peerjs';
import { RESUME_WINDOW_MS } from '../shared/protocol';
import type { LogLevel } from './bridge';
import type { SessionTimers, Timer } from './sessionTimers';

/**
 * A new attempt this often while none is open: a dial made while the path was down waits on TURN and ICE
 * retransmissions that back off, a fresh one opens in a few hundred milliseconds once the path is back.
 */
export const RESUME_ATTEMPT_MS = 1_000;
/** The longest an attempt that has not opened is given before a fresh one replaces it. */
export const RESUME_ATTEMPT_MAX_MS = 4_000;
/** An attempt whose control connection opened has this long to be proved and to reopen the media connection. */
export const RESUME_PROOF_MS = 8_000;

export interface ResumePort {
  log(level: LogLevel, message: string): void;
  peer(): Peer | undefined;
  /** When the current attempt's control connection opened (performance.now()), or undefined if it has not. */
  attemptOpenedAt(): number | undefined;
  /** Closes the current attempt (if any) and dials a new one. */
  dial(): void;
  /** The window ran out. */
  expire(): void;
}

export class HelperResume {
  private tick: Timer | undefined;
  private deadline: Timer | undefined;
  private cutAt = 0;
  private attempts = 0;
  private dialledAt = 0;
  private cut: { close(): void } | undefined;

  constructor(
    private readonly timers: SessionTimers,
    private readonly port: ResumePort,
    private readonly windowMs = RESUME_WINDOW_MS,
  ) {}

  get active(): boolean {
    return this.deadline !== undefined;
  }

  /** Milliseconds since the cut. */
  get elapsed(): number {
    return performance.now() - this.cutAt;
  }

  /** The link is cut (`cut`: its connections, muted, closed once this is over): attempts start now, the deadline runs. */
  start(cut?: { close(): void }): void {
    if (this.active) return;
    this.cut = cut;
    this.cutAt = performance.now();
    this.attempts = 0;
    this.deadline = this.timers.after(this.windowMs, () => {
      this.stop();
      this.port.expire();
    });
    this.attempt();
  }

  /** Resumed (or the session is over): no more attempts, and the cut link is closed. */
  stop(): void {
    this.tick = this.timers.cancel(this.tick);
    this.deadline = this.timers.cancel(this.deadline);
    this.cut?.close();
    this.cut = undefined;
  }

  private attempt(): void {
    this.tick = this.timers.after(RESUME_ATTEMPT_MS, () => this.attempt());
    const peer = this.port.peer();
    if (!peer || peer.destroyed) return;
    if (peer.disconnected) {
      this.port.log('info', 'rejoining the signaling server');
      peer.reconnect();
      return;
    }
    const opened = this.port.attemptOpenedAt();
    if (opened !== undefined && performance.now() - opened < RESUME_PROOF_MS) return;
    if (opened === undefined && this.attempts > 0 && performance.now() - this.dialledAt < Math.min(RESUME_ATTEMPT_MS * this.attempts, RESUME_ATTEMPT_MAX_MS) - 50) return;
    this.attempts++;
    this.dialledAt = performance.now();
    this.port.log('info', `dialling the host again (attempt ${this.attempts}, ${Math.round(this.elapsed / 100) / 10} s after the cut)`);
    this.port.dial();
  }
}
