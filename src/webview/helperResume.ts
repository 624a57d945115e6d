/**
 * The helper's panel (webview): getting back to the host after a network cut. PeerJS has no ICE restart, so the
 * helper dials new connections (hostLink.ts) and proves itself with the session's resume key (helperHandshake.ts,
 * SECURITY.md "Resuming after a network cut"). This file only paces the attempts and keeps the deadline:
 *
 * - a fresh attempt every RESUME_ATTEMPT_MS while none has opened, the older ones still trying until they are
 *   RESUME_ATTEMPT_MAX_MS old: one dialled while the path was down waits on TURN, ICE and DTLS retransmissions that
 *   back off, so once the path is back a fresh one often opens first; on a slow link (120 ms of round trip, loss) a
 *   dial needs more than a second to open through TURN, which the older ones still get. The first whose control
 *   connection opens is the one (`opened`): the others are closed (the host, too, proves the first that opens), and it
 *   gets RESUME_PROOF_MS to finish; each attempt dials its media connection with its control one (hostLink.ts);
 * - the signaling server, if it was lost too, is rejoined first (`peer.reconnect()`, same id), and once back on it
 *   a fresh attempt goes at once (`rejoined`);
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
/** The longest an attempt that has not opened is given before it is closed (fresh ones overlap it meanwhile). */
export const RESUME_ATTEMPT_MAX_MS = 4_000;
/** An attempt whose control connection opened has this long to be proved and to reopen the media connection. */
export const RESUME_PROOF_MS = 8_000;

/** One attempt's connections (a HostLink). */
export interface ResumeAttempt {
  /** When it was dialled (performance.now()). */
  readonly since: number;
  close(): void;
}

export interface ResumePort<A extends ResumeAttempt = ResumeAttempt> {
  log(level: LogLevel, message: string): void;
  peer(): Peer | undefined;
  /** When the attempt that opened (the session's link now) did, or undefined while none has. */
  attemptOpenedAt(): number | undefined;
  /** Dials a new attempt, the others left trying; undefined when it cannot now. */
  dial(): A | undefined;
  /** The attempt that opened did not finish in time, or the host closed it: the session lets go of it (closes it). */
  abandon(): void;
  /** The window ran out. */
  expire(): void;
}

export class HelperResume<A extends ResumeAttempt = ResumeAttempt> {
  private tick: Timer | undefined;
  private deadline: Timer | undefined;
  private cutAt = 0;
  private attempts = 0;
  /** Attempts dialled that have not opened, oldest first. */
  private readonly trying: A[] = [];
  private cut: { close(): void } | undefined;

  constructor(
    private readonly timers: SessionTimers,
    private readonly port: ResumePort<A>,
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

  /** Whether `attempt` is one still trying (not yet open, not closed). */
  isTrying(attempt: A): boolean {
    return this.trying.includes(attempt);
  }

  /** `attempt`'s control connection opened first: it is the one, the others are closed. */
  opened(attempt: A): void {
    const others = this.trying.splice(0).filter((a) => a !== attempt);
    for (const a of others) a.close();
    this.port.log('info', `attempt open ${Math.round(this.elapsed / 100) / 10} s after the cut (${others.length} other(s) closed)`);
  }

  /**
   * The attempt that opened was closed by the host (which proves the first to open on its side: maybe another one,
   * closed here meanwhile): let go of it and dial again at once.
   */
  closed(): void {
    if (!this.active) return;
    this.port.abandon();
    this.tick = this.timers.cancel(this.tick);
    this.attempt();
  }

  /** Back on the signaling server (lost in the cut too): a fresh attempt at once, unless one has opened. */
  rejoined(): void {
    this.port.log('info', 'back on the signaling server');
    if (!this.active || this.port.attemptOpenedAt() !== undefined) return;
    this.tick = this.timers.cancel(this.tick);
    this.attempt();
  }

  /** Resumed (or the session is over): no more attempts, and the cut link is closed. */
  stop(): void {
    this.tick = this.timers.cancel(this.tick);
    this.deadline = this.timers.cancel(this.deadline);
    for (const a of this.trying.splice(0)) a.close();
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
    if (opened !== undefined) this.port.abandon();
    const now = performance.now();
    while (this.trying.length > 0 && now - this.trying[0]!.since >= RESUME_ATTEMPT_MAX_MS - 50) this.trying.shift()!.close();
    const attempt = this.port.dial();
    if (!attempt) return;
    this.trying.push(attempt);
    this.attempts++;
    this.port.log('info', `dialling the host again (attempt ${this.attempts}, ${Math.round(this.elapsed / 100) / 10} s after the cut, ${this.trying.length - 1} older still trying)`);
  }
}
