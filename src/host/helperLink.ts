/**
 * One helper as the host's session sees it (extension host): its control and media connections, its handshake
 * (handshake.ts), its guard (guard.ts) and its frame pump (framePump.ts), wired to the session through one port.
 * The session decides; this file only connects the pieces for one helper.
 */

import type { HostAgent } from '../agent/contract';
import type { AuditEvent } from '../shared/audit';
import type { Invitation } from '../shared/invitation';
import type { Logger } from '../shared/log';
import type { Transcript } from '../shared/proof';
import { HEARTBEAT_MS, IDLE_HEARTBEAT_MS, INPUT_RELEASE_SILENCE_MS, encodeMessage, heartbeatDue, type EndReason, type HelperMessage, type HostMessage } from '../shared/protocol';
import { shownText } from '../shared/signaling';
import type { HostState } from '../shared/stateMachine';
import { FramePump } from './framePump';
import { Guard, countsAsHeard, type DroppedCounts } from './guard';
import { HostHandshake, type ProofLock } from './handshake';
import type { HostConnection } from './hostPeer';

/** What a helper's pieces may ask of the session. */
export interface HelperPort {
  readonly log: Logger;
  readonly hostName: string;
  readonly consentTimeoutMs: number;
  readonly maxFps: number;
  /** Silence after which the link is taken as cut (LINK_LOST_SILENCE_MS). */
  readonly lostSilenceMs: number;
  proofKey(): Uint8Array;
  readonly lock: ProofLock;
  /** Wrong resume proofs over the session (resume.ts). */
  readonly resumeLock: ProofLock;
  readonly dropped: DroppedCounts;
  invitation(): Invitation;
  agent(): HostAgent;
  state(): HostState['kind'];
  /** Whether `helper` is still the session's helper, and the session not over. */
  current(helper: HelperLink): boolean;
  /** Ends the session if the invitation has expired; true if it did. */
  expired(): boolean;
  send(message: HostMessage): void;
  record(event: AuditEvent, helper: HelperLink): void;
  notify(message: string): void;
  reject(helper: HelperLink, reason: EndReason): void;
  end(reason: EndReason, message: string): void;
  /** The helper proved the code and was welcomed. */
  proved(helper: HelperLink, verificationCode: string, transcript: Transcript): void;
  /** A resuming helper proved both its new connections (resume.ts). */
  resumed(helper: HelperLink): void;
  /** A resuming helper's proof was wrong. */
  resumeFailed(helper: HelperLink, attempt: number, locked: boolean): void;
  /** Whether the session shows the screen (admitted: viewing or controlled). */
  showing(): boolean;
  /** Whether the host has paused sharing (pauseRelay.ts): the pump then captures nothing. */
  paused(): boolean;
  /** The invitation is spent: off the signaling server. */
  leaveSignaling(): void;
  /** The helper has just been told `viewGranted` (what the host shares besides the screen may follow). */
  viewGranted(helper: HelperLink): void;
  /** A message the guard let through. */
  message(helper: HelperLink, message: HelperMessage): void;
  /** Over a limit of the guard: to be thrown out. */
  misbehaved(helper: HelperLink): void;
  /** The control connection closed. */
  closed(helper: HelperLink): void;
}

export class HelperLink {
  /** The helper's PeerJS id as sent (compared, never shown). */
  readonly peerId: string;
  media: HostConnection | undefined;
  name = 'A helper';
  readonly handshake: HostHandshake;
  readonly guard: Guard;
  readonly pump: FramePump;
  lastHeard = Date.now();
  askingControl = false;
  /** A resume's: the last frame of the cut link the helper says it still shows (`resume.lastFrame`). */
  resumeFrom: number | undefined;
  /** Viewing was granted: the screen's size is being read, then the helper is told. */
  private granting = false;
  /**
   * The helper has been told `viewGranted`: from then on, and not before, what the host shares besides the screen
   * (context, pause, monitors, laser) may be sent; the panel takes any of it before `viewGranted` as a protocol error.
   */
  viewGranted = false;
  private heartbeat: ReturnType<typeof setTimeout> | undefined;
  /** Sends a heartbeat if due, judges the silence and sets the next check; undefined while no heartbeats go. */
  private beat: (() => void) | undefined;
  /** Whether the helper controls now (the heartbeats' period). */
  private controlling: (() => boolean) | undefined;
  /** When the last heartbeat went, and when the helper's last came. */
  private beatAt = 0;
  private theirsAt = -Infinity;

  constructor(
    readonly control: HostConnection,
    /** The PeerJS id as it may be shown in the log and the audit. */
    readonly shownId: string,
    private readonly port: HelperPort,
    /** A resume after a cut (resume.ts): the handshake proves with this key instead of the proof key. */
    resumeKey?: Uint8Array,
  ) {
    const { log } = port;
    this.peerId = control.peer;
    this.guard = new Guard(log, port.dropped);
    const resuming = resumeKey !== undefined;
    this.handshake = new HostHandshake(resumeKey ?? port.proofKey(), resuming ? port.resumeLock : port.lock, control, {
      log,
      hostName: port.hostName,
      consentTimeoutMs: port.consentTimeoutMs,
      invitation: port.invitation(),
      current: () => port.current(this),
      expired: () => port.expired(),
      // The handshake answers on its own connection (a resume's candidate is not the session's helper yet).
      send: (message) => this.send(message),
      record: (event) => port.record(event, this),
      notify: (message) => port.notify(message),
      reject: (reason) => port.reject(this, reason),
      end: (reason, message) => port.end(reason, message),
      proved: (code, transcript) => port.proved(this, code, transcript),
      resumeFailed: (attempt, locked) => port.resumeFailed(this, attempt, locked),
      mediaVerified: () => {
        if (resuming) port.resumed(this);
        else if (port.showing()) this.grantView();
      },
    }, resuming);
    this.pump = new FramePump(
      {
        capture: (request) => port.agent().capture(request),
        media: () => (this.handshake.verified ? this.media : undefined),
        showing: () => port.current(this) && port.showing(),
        paused: () => port.paused(),
        fail: (message) => port.end('captureFailed', message),
        log,
      },
      port.maxFps,
    );
    control.on('data', (data) => this.onData(data));
    control.on('close', () => {
      if (port.current(this)) port.closed(this);
    });
    control.on('error', (error) => log.warn(`control connection error: ${shownText(error.message)}`));
  }

  /** A media connection from this helper's peer: taken if it is the first. */
  attachMedia(conn: HostConnection): boolean {
    if (this.media || conn.peer !== this.peerId) return false;
    this.media = conn;
    this.handshake.attachMedia(conn);
    const check = (): void => void (this.port.current(this) && this.handshake.checkMedia());
    conn.on('open', check);
    if (conn.open) check(); // held while the resume's control connection opened here (resume.ts)
    conn.on('close', () => this.port.log.info('media connection closed'));
    return true;
  }

  /**
   * Admitted and its media connection proved: the helper is told it may view, and frames follow. Never before
   * the media proof checked out, so a helper is never told it is viewing over a connection that may be relayed.
   */
  grantView(): void {
    if (this.granting) return;
    this.granting = true;
    // The invitation works once: the peer leaves the signaling server, so no one else can even reach it.
    this.port.leaveSignaling();
    this.port.agent().screenSize().then(
      (size) => {
        if (!this.port.current(this)) return;
        this.port.send({ type: 'viewGranted', width: size.width, height: size.height });
        this.viewGranted = true;
        this.port.viewGranted(this);
        void this.pump.run();
      },
      (error: unknown) => this.port.end('captureFailed', `The screen size could not be read: ${String(error)}`),
    );
  }

  /** Sends on the control connection, if it is still open. */
  send(message: HostMessage): void {
    if (!this.control.open) return;
    try {
      this.control.send(encodeMessage(message));
    } catch (error) {
      this.port.log.warn(`sending ${message.type} failed: ${String(error)}`);
    }
  }

  /**
   * Heartbeats to the helper from its proof on, and the silence it is judged by, every HEARTBEAT_MS: while the helper
   * controls (`controlling`), held input is released after INPUT_RELEASE_SILENCE_MS (`silent`); the link is taken as
   * cut after `lostSilenceMs` (`lost`). Ours go as `heartbeatDue` says, every HEARTBEAT_MS while the helper controls,
   * else every IDLE_HEARTBEAT_MS; while the helper's own come, ours go with them instead (`heard`), so that a session
   * wakes this process no more than it must.
   */
  startHeartbeat(silent: () => void, lost: (silenceMs: number) => void, controlling: () => boolean): void {
    this.stopHeartbeat();
    this.controlling = controlling;
    const beat = (): void => {
      if (!this.port.current(this)) return this.stopHeartbeat();
      const now = Date.now();
      // While the helper's come, ours go with them (`heard`).
      const theirsCome = now - this.theirsAt <= this.period() * 1.25;
      if (!theirsCome && heartbeatDue(controlling(), now - this.beatAt)) this.sendBeat(now);
      const silence = now - this.lastHeard;
      if (controlling() && silence > INPUT_RELEASE_SILENCE_MS) silent();
      if (silence > this.port.lostSilenceMs) lost(silence);
      // silent() and lost() may have stopped the heartbeats.
      if (this.beat === beat) this.armBeat(HEARTBEAT_MS);
    };
    this.beat = beat;
    this.armBeat(HEARTBEAT_MS);
  }

  private sendBeat(now: number): void {
    this.send({ type: 'heartbeat' });
    this.beatAt = now;
  }

  /**
   * The helper's heartbeat came: ours goes now, in the same turn, unless one went less than half a period ago; either
   * way the next check waits a little longer than HEARTBEAT_MS, so that while the helper controls its next heartbeat
   * comes first and takes ours along.
   */
  private heard(): void {
    if (!this.beat) return;
    const now = Date.now();
    this.theirsAt = now;
    if (now - this.beatAt >= this.period() / 2) this.sendBeat(now);
    this.armBeat(HEARTBEAT_MS * 1.25);
  }

  /** The heartbeats' period now: short while the helper controls (held input is judged by the silence). */
  private period(): number {
    return this.controlling?.() ? HEARTBEAT_MS : IDLE_HEARTBEAT_MS;
  }

  private armBeat(ms: number): void {
    clearTimeout(this.heartbeat);
    const beat = this.beat;
    this.heartbeat = beat ? setTimeout(() => beat(), ms) : undefined;
  }

  stopHeartbeat(): void {
    if (this.heartbeat !== undefined) clearTimeout(this.heartbeat);
    this.heartbeat = undefined;
    this.beat = undefined;
  }

  /** The helper is gone or sent away: its connections close once the last message has had time to leave. */
  close(): void {
    this.stopHeartbeat();
    this.handshake.refuse();
    this.pump.wake();
    setTimeout(() => {
      this.control.close();
      this.media?.close();
    }, 100).unref?.();
  }

  private onData(data: unknown): void {
    if (!this.port.current(this)) return;
    const message = this.guard.screen(data, this.port.state(), this.handshake.step);
    if (message === 'drop') return;
    if (message === 'disconnect') return this.port.misbehaved(this);
    // Only a helper that proved the code is heard from: before that, the handshake's own timeout applies.
    if (countsAsHeard(this.handshake.step)) this.lastHeard = Date.now();
    if (message.type === 'heartbeat' && countsAsHeard(this.handshake.step)) this.heard();
    this.port.message(this, message);
  }
}
