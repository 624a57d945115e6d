/**
 * The helper's panel (webview): the helper's session, the orchestrator. It owns the PeerJS client, the
 * connections and the session's state machine; the handshake's steps are in helperHandshake.ts, the checks on
 * what arrives on `media` in mediaReceiver.ts. No DOM here (timers and PeerJS only), so it can be read as the
 * protocol it runs:
 *
 *   connecting         Peer opens on the signaling server, then the `control` connection (JSON text over `raw`) opens
 *   verifying          the handshake (helperHandshake.ts): the host proves itself too; `media` (raw) opens,
 *                      then mediaProof (the screen comes only over the connection this side opened)
 *   waitingForConsent  the host is asked; the verification code is shown on both sides
 *   viewing            frames arrive on `media`; each one is acknowledged once drawn (or skipped)
 *   requestingControl  the helper asked for control
 *   controlling        input goes to the host (none while the host has paused sharing: `paused`)
 *   reconnecting       the link was cut: control dropped, new connections dialled and proved with the resume key
 *                      (helperResume.ts, hostLink.ts) until the host grants the view again, or RESUME_WINDOW_MS ends it
 *   ended / failed     final; everything is torn down in one place (`finish`)
 *
 * Heartbeats (helperHeartbeat.ts): silence from the host for LINK_LOST_SILENCE_MS (or a closed connection, or a WebRTC
 * state gone `disconnected`) is a cut, since PeerJS never reports a host that vanished.
 */

import { Peer, type PeerError, type PeerOptions } from 'peerjs';
import { HelperHeartbeat } from './helperHeartbeat';
import { type EndReason, type HelperMessage, type HostMessage, type LaserMode, type LaserPoint, CONTROL_LABEL, HEARTBEAT_MS, LINK_LOST_SILENCE_MS, assertNever, describeEnd, encodeMessage } from '../shared/protocol';
import { type ClipboardOut, clipboardAllowed } from './clipboard';
import { fromBase64 } from '../shared/proof';
import { type HelperState, type SessionEnd, HELPER_TRANSITIONS, StateMachine, isFinal } from '../shared/stateMachine';
import type { LogLevel } from './bridge';
import type { ToPanel } from '../shared/panelProtocol';
import { peerOptions, signalingErrorText } from '../shared/signaling';
import { type HandshakeFailure, HelperHandshake, failureEnd, sdpsOf } from './helperHandshake';
import { type InputMessage, ControlGuard } from './controlGuard';
import { type ScreenFrame, MediaReceiver } from './mediaReceiver';
import { type Timer, SessionTimers } from './sessionTimers';
import { errorText } from './logText';
import { HostMessageReader } from './hostMessages';
import { HostLink, destroyPeer, type LinkLabel } from './hostLink';
import { HelperResume } from './helperResume';
import { HostUpdates } from './hostUpdates';
import { CONNECT_FAILED, connectTimeoutFailure, connectionClosedFailure, connectionErrorFailure } from './connectFailure';
import { type SharedEvents, acceptsShared } from './contextFeed';
import { isChatText } from '../shared/context';

/** What the session needs to connect: the `connect` message from the extension, less its type. */
export type ConnectSettings = Omit<Extract<ToPanel, { type: 'connect' }>, 'type'>;

/** What the session tells the panel; what the host shares once the helper views is in SharedEvents (contextFeed.ts). */
export interface SessionEvents extends SharedEvents {
  /** Every accepted state change, with the verification code once the host has proved itself. */
  onState(state: HelperState, verificationCode: string | undefined): void;
  /** A one-off remark for the person (control refused, taken back...); empty string clears it. */
  onNotice(text: string): void;
  /** The host allowed viewing: the size of its screen; `changesOnly`: after a resume that asked only for changes. */
  onViewGranted(width: number, height: number, changesOnly?: boolean): void;
  /** A whole frame from the media connection, checked; the receiver calls `ackFrame(id)` when done with it. */
  onFrame(frame: ScreenFrame): void;
  /** Whether the picture is still shown (a resume then asks only for what may differ from it); absent: no. */
  holdsPicture?(): boolean;
  /** The host's laser pointer mode (on, switched off, or not seen on its screen): webview/laser.ts shows it. */
  onLaser?(mode: LaserMode): void;
  log(level: LogLevel, message: string): void;
}

/** Makes the PeerJS peer; tests may pass their own. */
export type PeerFactory = (options: PeerOptions) => Peer;

const defaultPeerFactory: PeerFactory = (options) => new Peer(options);

/** Time the last `bye` gets to leave before the connections are closed under it. */
const BYE_FLUSH_MS = 250;
/** Extra time after the host's consent timeout before the helper stops waiting on its own. */
const CONSENT_GRACE_MS = 10_000;
/** The person at this side ended the session. */
const ENDED_HERE: SessionEnd = { reason: 'helperEnded', by: 'local' };

export class HelperSession {
  private readonly machine: StateMachine<HelperState>;
  private readonly handshake: HelperHandshake;
  private readonly receiver: MediaReceiver;
  private readonly timers = new SessionTimers();
  private readonly guard = new ControlGuard();
  private readonly reader = new HostMessageReader();
  private peer: Peer | undefined;
  /** The connections to the host: the first, or the latest attempt to resume (hostLink.ts). */
  private link: HostLink | undefined;
  private readonly resume: HelperResume;
  private readonly updates: HostUpdates;
  private peerOpen = false;
  private hostName = '';
  private readonly beats = new HelperHeartbeat({ send: () => this.send({ type: 'heartbeat' }), controlling: () => this.state.kind === 'controlling',
    reconnecting: () => this.state.kind === 'reconnecting', silent: () => this.onSilence() });
  private connectTimer: Timer | undefined;
  private consentTimer: Timer | undefined;
  private framesBeforeView = 0;

  constructor(
    private readonly settings: ConnectSettings,
    private readonly events: SessionEvents,
    private readonly createPeer: PeerFactory = defaultPeerFactory,
  ) {
    this.handshake = new HelperHandshake(fromBase64(settings.proofKey), (level, message) => this.log(level, message));
    this.receiver = new MediaReceiver({
      frame: (frame) => this.onMediaFrame(frame),
      refuse: (detail) => this.protocolError(detail),
      log: (level, message) => this.log(level, message),
    });
    this.hostName = settings.expectedHostName;
    this.resume = new HelperResume<HostLink>(this.timers, {
      log: (level, message) => this.log(level, message),
      peer: () => this.peer,
      attemptOpenedAt: () => (this.link?.controlOpen ? this.link.since : undefined),
      dial: () => this.dial(),
      abandon: () => void (this.link?.close(), (this.link = undefined)),
      expire: () => this.finish('ended', describeEnd('linkLost'), { reason: 'linkLost', by: 'local' }),
    });
    this.updates = new HostUpdates({ guard: this.guard, events, state: () => this.state.kind, hostName: () => this.hostName, to: (kind) => this.to({ kind, hostName: this.hostName }),
      send: (m) => this.send(m), releaseHeld: () => this.releaseHeld(), protocolError: (d) => this.protocolError(d), log: (l, m) => this.log(l, m) });
    this.machine = new StateMachine<HelperState>({ kind: 'idle' }, HELPER_TRANSITIONS, (from, to) =>
      this.log('warn', `refused state change ${from.kind} -> ${to.kind}`),
    );
    this.machine.onChange((state, previous) => {
      if (previous.kind === 'controlling' && state.kind !== 'controlling') this.releaseHeld();
      this.events.onState(state, this.handshake.verificationCode);
    });
  }

  get state(): HelperState { return this.machine.state; }

  /** Opens the peer on the signaling server and dials the host. Call once. */
  start(): void {
    if (!this.machine.to({ kind: 'connecting' })) return;
    const { signaling, iceServers, iceTransportPolicy } = this.settings;
    this.connectTimer = this.after(this.settings.connectTimeoutMs, () => this.onConnectTimeout());
    this.log('info', `connecting through ${signaling.secure ? 'wss' : 'ws'}://${signaling.host}:${signaling.port}${signaling.path}`);
    let peer: Peer;
    try {
      // PeerJS's own warnings go to our log, not to the webview's console.
      peer = this.createPeer(peerOptions(signaling, iceServers, (text) => this.log('debug', text), iceTransportPolicy));
    } catch (error) {
      this.finish('failed', `This panel cannot use WebRTC: ${errorText(error)}`, CONNECT_FAILED);
      return;
    }
    this.peer = peer;
    peer.on('open', (id) => this.onPeerOpen(id));
    peer.on('error', (error) => this.onPeerError(error));
    peer.on('disconnected', () => this.log(this.isDone() ? 'debug' : 'info', 'disconnected from the signaling server'));
  }

  /** Asks the host for control (from the toolbar or the extension). */
  requestControl(): void {
    if (this.state.kind !== 'viewing') return this.log('debug', `requestControl ignored in ${this.state.kind}`);
    this.events.onNotice('');
    this.send({ type: 'requestControl' });
    this.to({ kind: 'requestingControl', hostName: this.hostName });
  }

  /** Gives control back, or withdraws a pending request. Input stops at once, before the host answers. */
  releaseControl(): void {
    const kind = this.state.kind;
    if (kind !== 'controlling' && kind !== 'requestingControl') {
      this.log('debug', `releaseControl ignored in ${kind}`);
      return;
    }
    this.releaseHeld();
    this.guard.released();
    this.send({ type: 'releaseControl' });
    this.to({ kind: 'viewing', hostName: this.hostName });
    this.events.onNotice(kind === 'controlling' ? 'You gave control back.' : '');
  }

  /** The helper ends the session. */
  end(): void {
    this.finish('ended', 'You ended the session.', ENDED_HERE, 'helperEnded');
  }

  /** The page is going away: say bye and close everything now (no time to let it flush). */
  dispose(): void {
    if (!this.isDone()) this.finish('ended', 'You ended the session.', ENDED_HERE, 'helperEnded', true);
    else this.teardown(true);
  }

  /** Sends captured input: only while controlling, and only what the guard admits. */
  sendInput(message: InputMessage): void {
    if (message.type === 'releaseAll') {
      if (this.guard.sentInput) this.releaseHeld(true);
      return;
    }
    if (this.state.kind === 'controlling' && this.guard.admit(message)) this.send(message);
  }

  /**
   * The display is done with frame `id` (drawn, or skipped for a newer one). Acknowledged in order, once
   * each, so the host can count frames in flight either by id or by number.
   */
  ackFrame(id: number): void {
    // A frame of a link cut before it was drawn is not acknowledged to the resumed one, whose ids start again at 0.
    if (this.receiver.acknowledged(id) && !this.isDone()) this.send({ type: 'frameAck', id });
  }

  /** Sends a chat message to the host; false (and nothing sent) outside viewing or for an empty or too long text. */
  sendChat(text: string): boolean {
    if (!acceptsShared(this.state.kind) || !isChatText(text)) {
      this.log('debug', `chat not sent in ${this.state.kind} (${text.length} characters)`);
      return false;
    }
    this.send({ type: 'chat', text });
    return true;
  }

  /** Sends clipboard text (only while controlling) or a request for the host's (while viewing); false if not sent. */
  sendRequest(message: ClipboardOut | Extract<HelperMessage, { type: 'monitorRequest' }>): boolean {
    if (message.type === 'monitorRequest' ? !acceptsShared(this.state.kind) : !clipboardAllowed(this.state.kind, message)) return false;
    this.send(message);
    return true;
  }

  /** The laser pointer's place on the picture, or hidden (undefined): only while viewing without control. */
  sendLaser(at: LaserPoint | undefined): void {
    if (this.state.kind === 'viewing' || this.state.kind === 'requestingControl') this.send(at ? { type: 'laser', at } : { type: 'laser' });
  }

  /** Asks the host for the whole screen again (the panel lost its picture). */
  requestRefresh(): void {
    if (!this.isDone()) this.send({ type: 'refresh' });
  }

  // --- PeerJS events ---

  private onPeerOpen(id: string): void {
    if (this.isDone() || !this.peer) return;
    this.peerOpen = true;
    if (this.state.kind === 'reconnecting') return this.resume.rejoined(); // its attempts are paced there
    if (this.link) return this.log('info', 'back on the signaling server');
    this.log('info', `signaling server gave us id ${id}; calling the host`);
    this.dial();
  }

  /** New connections to the host: the first, or a resume attempt's (they overlap: helperResume.ts). */
  private dial(): HostLink | undefined {
    if (!this.peer || this.isDone()) return undefined;
    const first = this.state.kind !== 'reconnecting';
    if (first) this.link?.close();
    // Heard while it is the session's link; an attempt becomes that when its control connection opens first.
    const heard = (label: LinkLabel, open = false): boolean => this.link === link ||
      (open && label === CONTROL_LABEL && this.resume.isTrying(link) && (this.resume.opened(link), (this.link = link)) === link);
    const link: HostLink = new HostLink(this.peer, this.settings.hostPeerId, {
      open: (label) => heard(label, true) && (label === CONTROL_LABEL ? this.onControlOpen() : this.onMediaOpen()),
      data: (label, data) => heard(label) && (label === CONTROL_LABEL ? this.onControlData(data) : (this.beats.heard(), this.receiver.push(data))),
      closed: (label) => heard(label) && this.onConnectionClosed(label),
      error: (label, error) => heard(label) && this.onConnectionError(label, error),
      lost: (label, state) => heard(label) && this.cut(`${label} connection ${state}`),
    });
    if (first) this.link = link;
    else link.openMedia(); // at once, not after control opens: a connection's set-up is seconds on a slow link
    return link;
  }

  private onControlOpen(): void {
    if (this.isDone() || !this.link) return;
    this.beats.heard();
    if (this.state.kind === 'reconnecting') this.send(this.handshake.resume(this.events.holdsPicture?.() ? this.receiver.lastUpdate : undefined));
    else {
      this.to({ kind: 'verifying' });
      this.timers.every(HEARTBEAT_MS, () => this.isDone() || this.beats.tick());
      this.send(this.handshake.hello(this.settings.helperName));
    }
    this.link.openMedia(); // the first link's once control is up (a resume attempt dialled its own with it)
  }

  private onMediaOpen(): void {
    if (this.isDone()) return;
    this.log('info', 'media connection open');
    void this.sendMediaProof();
    this.checkConnected();
  }

  /** The link looks cut: in view, control is dropped and new connections dialled (helperResume.ts); else false. */
  private cut(why: string): boolean {
    const kind = this.state.kind;
    if (kind === 'reconnecting') return true;
    if ((kind !== 'viewing' && kind !== 'requestingControl' && kind !== 'controlling') || !this.handshake.canResume) return false;
    this.log('warn', `the link to the host is cut (${why}): reconnecting`);
    this.guard.cut();
    this.to({ kind: 'reconnecting', hostName: this.hostName });
    this.events.onNotice(kind === 'controlling' ? 'Connection lost: your control was dropped. Ask again once reconnected.' : '');
    this.resume.start(this.link?.mute()); // only a resumed link is heard from now on
    this.link = undefined;
    return true;
  }

  private onPeerError(error: PeerError<string>): void {
    if (this.isDone()) return;
    this.log('warn', `peer error ${error.type}: ${error.message}`);
    // Once both connections are up the signaling server is no longer needed: losing it is not fatal. While
    // reconnecting, a host not yet back on the server is the next attempt's business.
    if ((this.link?.controlOpen && this.link.mediaOpen) || this.state.kind === 'reconnecting') return;
    this.finish('failed', signalingErrorText('helper', error, this.settings.signaling), CONNECT_FAILED);
  }

  private onConnectionError(label: LinkLabel, error: PeerError<string>): void {
    if (this.isDone()) return;
    this.log('warn', `${label} connection error ${error.type}: ${error.message}`);
    if (this.state.kind === 'reconnecting') return;
    const failure = connectionErrorFailure(label, error.type, !!this.link?.mediaOpen);
    if (failure) this.finish(failure.kind, failure.message, failure.end, failure.bye);
  }

  private onConnectionClosed(label: string): void {
    if (this.isDone()) return;
    this.log('info', `${label} connection closed`);
    if (this.state.kind === 'reconnecting') return this.resume.closed(); // an attempt the host closed: the next one dials
    if (this.cut(`${label} closed`)) return;
    const failure = connectionClosedFailure(this.state.kind === 'connecting');
    this.finish(failure.kind, failure.message, failure.end, failure.bye);
  }

  private onConnectTimeout(): void {
    if (this.isDone()) return;
    const failure = connectTimeoutFailure({ signaling: this.settings.signaling, peerOpen: this.peerOpen, controlOpen: !!this.link?.controlOpen, verified: this.handshake.done });
    this.finish(failure.kind, failure.message, failure.end, failure.bye);
  }

  private onSilence(): void {
    this.log('warn', `nothing heard from the host for ${LINK_LOST_SILENCE_MS} ms`);
    if (!this.cut('silence')) this.finish('ended', describeEnd('peerGone'), { reason: 'peerGone', by: 'remote' });
  }

  // --- Control messages ---

  private onControlData(data: unknown): void {
    if (this.isDone()) return;
    this.beats.heard();
    const read = this.reader.read(data);
    if (!read.ok) return read.fatal ? this.protocolError(read.detail) : this.log('warn', read.detail);
    void this.handle(read.message).catch((error: unknown) => {
      this.log('error', `handling ${read.message.type}: ${errorText(error)}`);
      this.protocolError(`${read.message.type} could not be handled`);
    });
  }

  private async handle(message: HostMessage): Promise<void> {
    switch (message.type) {
      case 'heartbeat':
        return;
      case 'challenge':
        return this.onChallenge(message.hostNonce);
      case 'welcome':
        return this.onWelcome(message);
      case 'resumed':
        return this.onResumed(message.mac);
      case 'viewGranted': {
        const resumed = this.state.kind === 'reconnecting' && this.handshake.verified;
        if (this.state.kind !== 'waitingForConsent' && !resumed) return this.protocolError(`viewGranted in ${this.state.kind}`);
        this.consentTimer = this.timers.cancel(this.consentTimer);
        this.log('info', resumed ? `resumed ${Math.round(this.resume.elapsed)} ms after the cut (${message.width}x${message.height})` : `view granted (${message.width}x${message.height})`);
        this.resume.stop();
        this.events.onViewGranted(message.width, message.height, resumed && this.handshake.askedForChanges);
        this.to({ kind: 'viewing', hostName: this.hostName });
        if (resumed) this.events.onNotice('Reconnected. Ask for control again if you need it.');
        return;
      }
      case 'control':
        return this.updates.control(message);
      case 'paused':
        return this.updates.paused(message.paused);
      case 'inputBlocked':
        return this.updates.inputBlocked(message.reason);
      case 'sharing':
      case 'context':
      case 'chat':
      case 'laser':
        return this.updates.shared(message);
      case 'clipboard':
      case 'clipboardRefused':
      case 'monitors':
      case 'monitorRefused':
        return this.updates.answer(message);
      case 'bye':
        // Our own words for the reason: the host's text would reach a VS Code notification, where links work.
        this.log('info', `host said bye (${message.reason}): ${message.message}`);
        this.finish('ended', describeEnd(message.reason), { reason: message.reason, by: 'remote' });
        return;
      default:
        return assertNever(message);
    }
  }

  private async onChallenge(hostNonce: string): Promise<void> {
    const proof = await this.handshake.answerChallenge(hostNonce, sdpsOf(this.link?.control));
    if (this.isDone()) return;
    if (!proof.ok) return this.handshakeFailed(proof.failure);
    this.send(proof.value);
  }

  private async onWelcome(message: Extract<HostMessage, { type: 'welcome' }>): Promise<void> {
    const checked = await this.handshake.checkWelcome(message, this.settings.expectedHostName);
    if (this.isDone()) return;
    if (!checked.ok) return this.handshakeFailed(checked.failure);
    this.hostName = checked.value.hostName;
    this.log('info', `host verified: ${this.hostName}; invitation ${message.createdAt} .. ${message.expiresAt}`);
    this.consentTimer = this.after(message.consentTimeoutMs + CONSENT_GRACE_MS, () => {
      if (this.state.kind === 'waitingForConsent') this.finish('ended', describeEnd('consentTimeout'), { reason: 'consentTimeout', by: 'remote' });
    });
    this.to({ kind: 'waitingForConsent', hostName: this.hostName });
    void this.sendMediaProof();
    this.checkConnected();
  }

  /** A resume's answer: the host proves itself over the new connection; the media proof follows. */
  private async onResumed(mac: string): Promise<void> {
    const checked = await this.handshake.checkResumed(mac);
    if (this.isDone()) return;
    if (!checked.ok) return this.handshakeFailed(checked.failure);
    this.log('info', 'the host proved itself over the new connection');
    this.receiver.reset(); // frames come on the new media connection once it is proved, after this
    void this.sendMediaProof();
  }

  /** Once the host has proved itself and the media connection is open (see HelperHandshake.mediaProof). */
  private async sendMediaProof(): Promise<void> {
    if (!this.link?.mediaOpen || this.isDone()) return;
    const proof = await this.handshake.mediaProof(sdpsOf(this.link.media));
    if (!proof || this.isDone()) return;
    if (!proof.ok) return this.handshakeFailed(proof.failure);
    this.send(proof.value);
  }

  private handshakeFailed(failure: HandshakeFailure): void {
    const { log, message, end, bye } = failureEnd(failure);
    this.log('error', log);
    this.finish('failed', message, end, bye);
  }

  /** Both connections open and the host verified: the connect timeout has done its job. */
  private checkConnected(): void {
    if (this.handshake.verified && this.link?.mediaOpen) this.connectTimer = this.timers.cancel(this.connectTimer);
  }

  // --- Media ---

  /** A checked frame (the receiver hands on none once the session is over). */
  private onMediaFrame(frame: ScreenFrame): void {
    const kind = this.state.kind;
    // While reconnecting, frames come only over a resumed media connection the host checked (the whole screen first).
    if (kind === 'viewing' || kind === 'requestingControl' || kind === 'controlling' || kind === 'reconnecting') return this.events.onFrame(frame);
    // Not ours to draw yet; acknowledge so a host that counts frames in flight does not stall.
    if (this.framesBeforeView++ === 0) this.log('warn', `frame ${frame.id} arrived in ${kind}; dropped`);
    this.ackFrame(frame.id);
  }

  // --- Plumbing ---

  private send(message: HelperMessage): void {
    const control = this.link?.control;
    if (!control || !this.link?.controlOpen || !control.open) return;
    try {
      void Promise.resolve(control.send(encodeMessage(message))).catch((error: unknown) => this.log('warn', `send ${message.type}: ${errorText(error)}`));
    } catch (error) {
      this.log('warn', `send ${message.type}: ${errorText(error)}`);
    }
  }

  /** Tells the host to let go of whatever it holds for us (`force`: even if we think nothing is held). */
  private releaseHeld(force = false): void {
    if (!this.guard.holding && !force) return;
    this.guard.forget();
    this.send({ type: 'releaseAll' });
  }

  private protocolError(detail: string): void {
    this.log('error', `protocol error: ${detail}`);
    this.finish('failed', describeEnd('protocolError'), { reason: 'protocolError', by: 'local' }, 'protocolError');
  }

  private to(state: HelperState): boolean { return this.machine.to(state); }

  private isDone(): boolean { return isFinal(this.machine.state); }

  /** The one way out: says bye if asked, moves to the final state, and closes everything. */
  private finish(kind: 'ended' | 'failed', message: string, end: SessionEnd, bye?: EndReason, immediately = false): void {
    if (this.isDone()) return;
    this.log(kind === 'failed' ? 'error' : 'info', `session ${kind} (${end.reason}, by ${end.by}): ${message}`);
    if (bye) this.send({ type: 'bye', reason: bye });
    this.guard.forget();
    this.to({ kind, message, ...end });
    this.teardown(immediately || !bye);
  }

  private teardown(immediately: boolean): void {
    this.receiver.stop();
    this.timers.clear();
    if (this.peer) destroyPeer(this.peer, immediately ? 0 : BYE_FLUSH_MS, (error) => this.log('debug', `peer.destroy: ${errorText(error)}`));
  }

  private after(ms: number, fn: () => void): Timer { return this.timers.after(ms, fn); }

  private log(level: LogLevel, message: string): void { this.events.log(level, `[helper] ${message}`); }
}
