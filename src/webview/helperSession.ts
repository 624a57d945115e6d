/**
 * The helper's session: the PeerJS client, the handshake with the host and the session's state machine.
 * No DOM here (timers and PeerJS only), so it can be read as the protocol it runs:
 *
 *   connecting         Peer opens on the signaling server, then the `control` connection (JSON text over `raw`) opens
 *   verifying          hello -> challenge -> proof -> welcome (the host proves itself too); `media` (raw) opens,
 *                      then mediaProof (the screen comes only over the connection this side opened)
 *   waitingForConsent  the host is asked; the verification code is shown on both sides
 *   viewing            frames arrive on `media`; each one is acknowledged once drawn (or skipped)
 *   requestingControl  the helper asked for control
 *   controlling        input goes to the host
 *   ended / failed     final; everything is torn down in one place (`finish`)
 *
 * Heartbeats go out every HEARTBEAT_MS; total silence from the host for PEER_GONE_SILENCE_MS ends the
 * session, since PeerJS never reports a host that vanished.
 */

import { Peer, type DataConnection, type PeerError, type PeerOptions } from 'peerjs';
import { type ReceivedFrame, FrameAssembler } from '../shared/frames';
import {
  type ControlChange,
  type EndReason,
  type HelperMessage,
  type HostMessage,
  CONTROL_LABEL,
  HEARTBEAT_MS,
  MEDIA_LABEL,
  PEER_GONE_SILENCE_MS,
  PROTOCOL_VERSION,
  assertNever,
  describeEnd,
  decodeJson,
  encodeMessage,
  parseHostMessage,
} from '../shared/protocol';
import { type Transcript, channelBinding, checkProof, fromBase64, makeMediaProof, makeProof, newNonce, verificationCode } from '../shared/proof';
import { type HelperState, type SessionEnd, HELPER_TRANSITIONS, StateMachine, isFinal } from '../shared/stateMachine';
import type { LogLevel } from './bridge';
import type { ToPanel } from '../shared/panelProtocol';

/** What the session needs to connect: the `connect` message from the extension, less its type. */
export type ConnectSettings = Omit<Extract<ToPanel, { type: 'connect' }>, 'type'>;

/** Input the viewer captures; sent only while controlling (`releaseAll` also right after). */
export type InputMessage = Extract<HelperMessage, { type: 'pointerMove' | 'pointerButton' | 'wheel' | 'key' | 'releaseAll' }>;

export interface SessionEvents {
  /** Every accepted state change, with the verification code once the host has proved itself. */
  onState(state: HelperState, verificationCode: string | undefined): void;
  /** A one-off remark for the person (control refused, taken back...); empty string clears it. */
  onNotice(text: string): void;
  /** The host allowed viewing: the size of its screen. */
  onViewGranted(width: number, height: number): void;
  /** A whole frame from the media connection; the receiver calls `ackFrame(id)` when done with it. */
  onFrame(frame: ReceivedFrame): void;
  log(level: LogLevel, message: string): void;
}

/** Makes the PeerJS peer; tests may pass their own. */
export type PeerFactory = (options: PeerOptions) => Peer;

const defaultPeerFactory: PeerFactory = (options) => new Peer(options);

/** Time the last `bye` gets to leave before the connections are closed under it. */
const BYE_FLUSH_MS = 250;
/** Extra time after the host's consent timeout before the helper stops waiting on its own. */
const CONSENT_GRACE_MS = 10_000;
/** The helper could not get a session going: nobody ended it, this side gave up. */
const CONNECT_FAILED: SessionEnd = { reason: 'connectFailed', by: 'local' };
/** The person at this side ended the session. */
const ENDED_HERE: SessionEnd = { reason: 'helperEnded', by: 'local' };
/** Malformed control messages tolerated before the host is taken as broken. */
const MAX_MALFORMED = 20;

type Handshake =
  | { readonly step: 'notStarted' }
  | { readonly step: 'helloSent'; readonly helperNonce: string }
  | { readonly step: 'proofSent'; readonly transcript: Transcript }
  | { readonly step: 'done'; readonly transcript: Transcript };

export class HelperSession {
  private readonly machine: StateMachine<HelperState>;
  private readonly key: Uint8Array;
  private readonly assembler = new FrameAssembler();
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  /** Buttons (`button:left`) and keys (`key:KeyA`) the host holds down on our behalf. */
  private readonly held = new Set<string>();
  private peer: Peer | undefined;
  private control: DataConnection | undefined;
  private media: DataConnection | undefined;
  private mediaProofSent = false;
  private peerOpen = false;
  private controlOpen = false;
  private mediaOpen = false;
  private handshake: Handshake = { step: 'notStarted' };
  private code: string | undefined;
  private hostName = '';
  private lastHeard = 0;
  private heartbeat: ReturnType<typeof setInterval> | undefined;
  private connectTimer: ReturnType<typeof setTimeout> | undefined;
  private consentTimer: ReturnType<typeof setTimeout> | undefined;
  /** Input went out since the last releaseAll (so a releaseAll has something to release). */
  private inputDirty = false;
  private malformed = 0;
  private framesBeforeView = 0;
  /** Set while Blob messages are being read, so that later chunks wait their turn. */
  private mediaQueue: Promise<void> | undefined;

  constructor(
    private readonly settings: ConnectSettings,
    private readonly events: SessionEvents,
    private readonly createPeer: PeerFactory = defaultPeerFactory,
  ) {
    this.key = fromBase64(settings.proofKey);
    this.hostName = settings.expectedHostName;
    this.machine = new StateMachine<HelperState>({ kind: 'idle' }, HELPER_TRANSITIONS, (from, to) =>
      this.log('warn', `refused state change ${from.kind} -> ${to.kind}`),
    );
    this.machine.onChange((state, previous) => {
      if (previous.kind === 'controlling' && state.kind !== 'controlling') this.releaseHeld();
      this.events.onState(state, this.code);
    });
  }

  get state(): HelperState {
    return this.machine.state;
  }

  /** Opens the peer on the signaling server and dials the host. Call once. */
  start(): void {
    if (!this.machine.to({ kind: 'connecting' })) return;
    const { signaling, iceServers } = this.settings;
    this.connectTimer = this.after(this.settings.connectTimeoutMs, () => this.onConnectTimeout());
    this.log('info', `connecting through ${signaling.secure ? 'wss' : 'ws'}://${signaling.host}:${signaling.port}${signaling.path}`);
    let peer: Peer;
    try {
      peer = this.createPeer({
        host: signaling.host,
        port: signaling.port,
        path: signaling.path,
        secure: signaling.secure,
        key: signaling.key,
        config: {
          iceServers: iceServers.map((s) => ({
            urls: typeof s.urls === 'string' ? s.urls : [...s.urls],
            ...(s.username !== undefined ? { username: s.username } : {}),
            ...(s.credential !== undefined ? { credential: s.credential } : {}),
          })),
        },
        // PeerJS's own warnings go to our log, not to the webview's console.
        debug: 2,
        logFunction: (_level, ...rest: unknown[]) => this.log('debug', `peerjs: ${rest.map(String).join(' ')}`),
      });
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
    if (this.state.kind !== 'viewing') {
      this.log('debug', `requestControl ignored in ${this.state.kind}`);
      return;
    }
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

  /**
   * Sends captured input. Dropped unless controlling; a button or key release whose press did not go out
   * is dropped too, so the host never sees an up without its down.
   */
  sendInput(message: InputMessage): void {
    if (message.type === 'releaseAll') {
      if (this.inputDirty || this.held.size > 0) this.releaseHeld(true);
      return;
    }
    if (this.state.kind !== 'controlling') return;
    if (message.type === 'pointerButton' || message.type === 'key') {
      const id = message.type === 'key' ? `key:${message.code}` : `button:${message.button}`;
      if (message.down) this.held.add(id);
      else if (!this.held.delete(id)) return;
    }
    this.inputDirty = true;
    this.send(message);
  }

  /**
   * The viewer is done with frame `id` (drawn, or skipped for a newer one). Acknowledged in order, once
   * each, so the host can count frames in flight either by id or by number.
   */
  ackFrame(id: number): void {
    if (!this.isDone()) this.send({ type: 'frameAck', id });
  }

  /** Asks the host for the whole screen again (the panel lost its picture). */
  requestRefresh(): void {
    if (!this.isDone()) this.send({ type: 'refresh' });
  }

  // --- PeerJS events ---

  private onPeerOpen(id: string): void {
    if (this.isDone() || !this.peer) return;
    this.peerOpen = true;
    this.log('info', `signaling server gave us id ${id}; calling the host`);
    const control = this.peer.connect(this.settings.hostPeerId, { label: CONTROL_LABEL, reliable: true, serialization: 'raw' });
    this.control = control;
    control.on('open', () => this.onControlOpen());
    control.on('data', (data) => this.onControlData(data));
    control.on('close', () => this.onConnectionClosed(CONTROL_LABEL));
    control.on('error', (error) => this.onConnectionError(CONTROL_LABEL, error));
  }

  private onControlOpen(): void {
    if (this.isDone() || !this.peer) return;
    this.controlOpen = true;
    this.lastHeard = performance.now();
    this.to({ kind: 'verifying' });
    this.heartbeat = setInterval(() => this.onHeartbeatTick(), HEARTBEAT_MS);
    const helperNonce = newNonce();
    this.handshake = { step: 'helloSent', helperNonce };
    this.send({ type: 'hello', version: PROTOCOL_VERSION, helperName: this.settings.helperName, helperNonce });

    // The host takes connections by label; media is dialled once control is up so it pairs with it.
    const media = this.peer.connect(this.settings.hostPeerId, { label: MEDIA_LABEL, reliable: true, serialization: 'raw' });
    this.media = media;
    media.on('open', () => {
      if (this.isDone()) return;
      this.mediaOpen = true;
      this.log('info', 'media connection open');
      void this.sendMediaProof();
      this.checkConnected();
    });
    media.on('data', (data) => this.onMediaData(data));
    media.on('close', () => this.onConnectionClosed(MEDIA_LABEL));
    media.on('error', (error) => this.onConnectionError(MEDIA_LABEL, error));
  }

  private onPeerError(error: PeerError<string>): void {
    if (this.isDone()) return;
    this.log('warn', `peer error ${error.type}: ${error.message}`);
    // Once both connections are up the signaling server is no longer needed: losing it is not fatal.
    if (this.controlOpen && this.mediaOpen) return;
    const { host, port } = this.settings.signaling;
    switch (error.type) {
      case 'peer-unavailable':
        this.finish('failed', 'No one is waiting with this invitation: the host may have ended it, or it has expired.', CONNECT_FAILED);
        return;
      case 'network':
      case 'server-error':
      case 'socket-error':
      case 'socket-closed':
        this.finish('failed', `Cannot reach the signaling server ${host}:${port}.`, CONNECT_FAILED);
        return;
      case 'ssl-unavailable':
        this.finish('failed', `The signaling server ${host}:${port} does not accept secure connections. Check the invitation's server settings.`, CONNECT_FAILED);
        return;
      case 'invalid-key':
        this.finish('failed', `The signaling server ${host}:${port} refused the key in the invitation.`, CONNECT_FAILED);
        return;
      case 'browser-incompatible':
        this.finish('failed', 'This panel cannot use WebRTC, which Remote Assist needs.', CONNECT_FAILED);
        return;
      case 'webrtc':
        this.finish('failed', 'The direct connection to the host failed (WebRTC). See the log for details.', CONNECT_FAILED);
        return;
      default:
        this.finish('failed', `Could not connect to the host (${error.type}). See the log for details.`, CONNECT_FAILED);
    }
  }

  private onConnectionError(label: string, error: PeerError<string>): void {
    if (this.isDone()) return;
    this.log('warn', `${label} connection error ${error.type}: ${error.message}`);
    if (error.type === 'negotiation-failed') {
      this.finish(
        'failed',
        'Could not open a direct connection to the host: a firewall may block WebRTC, or a TURN server is needed.',
        CONNECT_FAILED,
      );
    } else if (label === CONTROL_LABEL || !this.mediaOpen) {
      this.finish('failed', `The connection to the host failed (${error.type}). See the log for details.`, CONNECT_FAILED);
    }
  }

  private onConnectionClosed(label: string): void {
    if (this.isDone()) return;
    this.log('info', `${label} connection closed`);
    if (this.state.kind === 'connecting') this.finish('failed', 'The connection to the host was closed.', CONNECT_FAILED);
    else this.finish('ended', 'The connection to the host was closed.', { reason: 'peerGone', by: 'remote' });
  }

  private onConnectTimeout(): void {
    if (this.isDone()) return;
    const { host, port } = this.settings.signaling;
    if (!this.peerOpen) {
      this.finish('failed', `Cannot reach the signaling server ${host}:${port}.`, CONNECT_FAILED);
    } else if (!this.controlOpen) {
      this.finish(
        'failed',
        'The host did not answer in time. Check that the invitation is still open on their side, and that the network allows WebRTC.',
        CONNECT_FAILED,
      );
    } else if (this.handshake.step !== 'done') {
      this.finish('failed', 'The host did not finish the security check in time.', CONNECT_FAILED, 'helperEnded');
    } else {
      this.finish('failed', "The connection for the host's screen could not be opened in time.", CONNECT_FAILED, 'helperEnded');
    }
  }

  private onHeartbeatTick(): void {
    if (this.isDone()) return;
    this.send({ type: 'heartbeat' });
    if (performance.now() - this.lastHeard > PEER_GONE_SILENCE_MS) {
      this.log('warn', `nothing heard from the host for ${PEER_GONE_SILENCE_MS} ms`);
      this.finish('ended', describeEnd('peerGone'), { reason: 'peerGone', by: 'remote' });
    }
  }

  // --- Control messages ---

  private onControlData(data: unknown): void {
    if (this.isDone()) return;
    this.lastHeard = performance.now();
    const message = parseHostMessage(decodeJson(data));
    if (!message) {
      this.malformed++;
      this.log('warn', `malformed message from the host (${this.malformed}): ${preview(data)}`);
      if (this.malformed > MAX_MALFORMED) this.protocolError('too many malformed messages');
      return;
    }
    void this.handle(message).catch((error: unknown) => {
      this.log('error', `handling ${message.type}: ${errorText(error)}`);
      this.protocolError(`${message.type} could not be handled`);
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
      case 'viewGranted':
        if (this.state.kind !== 'waitingForConsent') return this.protocolError(`viewGranted in ${this.state.kind}`);
        this.clearConsentTimer();
        this.log('info', `view granted (${message.width}x${message.height})`);
        this.events.onViewGranted(message.width, message.height);
        this.to({ kind: 'viewing', hostName: this.hostName });
        return;
      case 'control':
        return this.onControl(message);
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
    const hs = this.handshake;
    if (hs.step !== 'helloSent') return this.protocolError(`challenge during ${hs.step}`);
    const pc = this.control?.peerConnection;
    const binding = channelBinding(pc?.localDescription?.sdp, pc?.remoteDescription?.sdp);
    if (!binding) {
      // Without both fingerprints the proof would not be tied to this connection: refuse rather than weaken it.
      this.log('error', 'no DTLS fingerprints in the SDPs: the proof cannot be bound to this connection');
      this.finish('failed', 'The connection to the host could not be secured. See the log for details.', { reason: 'protocolError', by: 'local' }, 'protocolError');
      return;
    }
    this.log('debug', `channel binding (control): ${binding}`);
    const transcript: Transcript = { helperNonce: hs.helperNonce, hostNonce, binding };
    this.handshake = { step: 'proofSent', transcript };
    const mac = await makeProof(this.key, 'helper', transcript);
    if (this.isDone()) return;
    this.send({ type: 'proof', mac });
  }

  private async onWelcome(message: Extract<HostMessage, { type: 'welcome' }>): Promise<void> {
    const hs = this.handshake;
    if (hs.step !== 'proofSent') return this.protocolError(`welcome during ${hs.step}`);
    this.handshake = { step: 'done', transcript: hs.transcript };
    const ok = await checkProof(this.key, 'host', hs.transcript, message.mac);
    if (this.isDone()) return;
    if (!ok) {
      this.log('error', "the host's proof did not match");
      this.finish('failed', 'This is not the host that made the invitation.', { reason: 'proofFailed', by: 'local' }, 'proofFailed');
      return;
    }
    this.code = await verificationCode(this.key, hs.transcript);
    if (this.isDone()) return;
    this.hostName = message.hostName.trim() || this.settings.expectedHostName || 'the host';
    const expected = this.settings.expectedHostName.trim();
    if (expected && message.hostName.trim() && expected !== message.hostName.trim()) {
      // The proof is what counts; a different display name is only worth a line in the log.
      this.log('info', `the invitation named the host "${expected}"; the host calls itself "${message.hostName.trim()}"`);
    }
    this.log('info', `host verified: ${this.hostName}; invitation ${message.createdAt} .. ${message.expiresAt}`);
    this.consentTimer = this.after(message.consentTimeoutMs + CONSENT_GRACE_MS, () => {
      if (this.state.kind === 'waitingForConsent') this.finish('ended', describeEnd('consentTimeout'), { reason: 'consentTimeout', by: 'remote' });
    });
    this.to({ kind: 'waitingForConsent', hostName: this.hostName });
    void this.sendMediaProof();
    this.checkConnected();
  }

  /**
   * Once the host has proved itself and the media connection is open: proves, over the authenticated control
   * connection, that the media connection is the one this side opened (its own DTLS fingerprints), so that a
   * relay on the media connection alone gets no frame. Sent once.
   */
  private async sendMediaProof(): Promise<void> {
    const hs = this.handshake;
    if (this.mediaProofSent || hs.step !== 'done' || this.code === undefined || !this.mediaOpen || this.isDone()) return;
    this.mediaProofSent = true;
    const pc = this.media?.peerConnection;
    const binding = channelBinding(pc?.localDescription?.sdp, pc?.remoteDescription?.sdp);
    if (!binding) {
      this.log('error', 'no DTLS fingerprints in the media connection\'s SDPs');
      this.finish('failed', 'The connection for the host\'s screen could not be secured. See the log for details.', { reason: 'protocolError', by: 'local' }, 'protocolError');
      return;
    }
    this.log('debug', `channel binding (media): ${binding}`);
    const mac = await makeMediaProof(this.key, hs.transcript, binding);
    if (!this.isDone()) this.send({ type: 'mediaProof', mac });
  }

  /** Both connections open and the host verified: the connect timeout has done its job. */
  private checkConnected(): void {
    if (this.handshake.step === 'done' && this.code !== undefined && this.mediaOpen) this.clearConnectTimer();
  }

  private onControl(change: ControlChange): void {
    const kind = this.state.kind;
    if (kind !== 'viewing' && kind !== 'requestingControl' && kind !== 'controlling') {
      return this.protocolError(`control in ${kind}`);
    }
    const who = this.hostName;
    if (change.granted) {
      if (kind !== 'controlling') this.to({ kind: 'controlling', hostName: this.hostName });
      this.events.onNotice(change.reason === 'resumed' ? `${who} left their mouse alone: you have control again.` : '');
      return;
    }
    if (kind !== 'viewing') this.to({ kind: 'viewing', hostName: this.hostName });
    switch (change.reason) {
      case 'denied':
        this.events.onNotice(`${who} declined your request for control.`);
        return;
      case 'revoked':
        this.events.onNotice(`${who} took control back.`);
        return;
      case 'released':
        this.events.onNotice('You gave control back.');
        return;
      case 'paused':
        this.events.onNotice(`${who} is using their mouse: your control is paused until they stop.`);
        return;
      default:
        assertNever(change);
    }
  }

  // --- Media ---

  private onMediaData(data: unknown): void {
    if (this.isDone()) return;
    this.lastHeard = performance.now();
    if (data instanceof Blob || this.mediaQueue) {
      // 'raw' gives ArrayBuffers in Chromium; a Blob would mean another binaryType. Reading one is
      // asynchronous, so chunks queue behind it to stay in order.
      const next = (this.mediaQueue ?? Promise.resolve())
        .then(async () => this.onMediaBytes(data instanceof Blob ? await data.arrayBuffer() : data))
        .catch((error: unknown) => this.log('warn', `reading a media chunk: ${errorText(error)}`))
        .finally(() => {
          if (this.mediaQueue === next) this.mediaQueue = undefined;
        });
      this.mediaQueue = next;
      return;
    }
    this.onMediaBytes(data);
  }

  private onMediaBytes(data: unknown): void {
    if (this.isDone()) return;
    let bytes: ArrayBuffer | Uint8Array;
    if (data instanceof ArrayBuffer) bytes = data;
    else if (ArrayBuffer.isView(data)) bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    else {
      this.log('warn', `unexpected media message: ${preview(data)}`);
      return;
    }
    const frame = this.assembler.push(bytes);
    if (!frame) return;
    const kind = this.state.kind;
    if (kind !== 'viewing' && kind !== 'requestingControl' && kind !== 'controlling') {
      // Not ours to draw yet; acknowledge so a host that counts frames in flight does not stall.
      if (this.framesBeforeView++ === 0) this.log('warn', `frame ${frame.id} arrived in ${kind}; dropped`);
      this.ackFrame(frame.id);
      return;
    }
    this.events.onFrame(frame);
  }

  // --- Plumbing ---

  private send(message: HelperMessage): void {
    const control = this.control;
    if (!control || !this.controlOpen || !control.open) return;
    try {
      void Promise.resolve(control.send(encodeMessage(message))).catch((error: unknown) => this.log('warn', `send ${message.type}: ${errorText(error)}`));
    } catch (error) {
      this.log('warn', `send ${message.type}: ${errorText(error)}`);
    }
  }

  /** Tells the host to let go of whatever it holds for us (`force`: even if we think nothing is held). */
  private releaseHeld(force = false): void {
    if (this.held.size === 0 && !force) return;
    this.held.clear();
    this.inputDirty = false;
    this.send({ type: 'releaseAll' });
  }

  private protocolError(detail: string): void {
    this.log('error', `protocol error: ${detail}`);
    this.finish('failed', describeEnd('protocolError'), { reason: 'protocolError', by: 'local' }, 'protocolError');
  }

  private to(state: HelperState): boolean {
    return this.machine.to(state);
  }

  private isDone(): boolean {
    return isFinal(this.machine.state);
  }

  /** The one way out: says bye if asked, moves to the final state, and closes everything. */
  private finish(kind: 'ended' | 'failed', message: string, end: SessionEnd, bye?: EndReason, immediately = false): void {
    if (this.isDone()) return;
    this.log(kind === 'failed' ? 'error' : 'info', `session ${kind} (${end.reason}, by ${end.by}): ${message}`);
    if (bye) this.send({ type: 'bye', reason: bye });
    this.held.clear();
    this.to({ kind, message, ...end });
    this.teardown(immediately || !bye);
  }

  private teardown(immediately: boolean): void {
    if (this.heartbeat !== undefined) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
    this.clearConnectTimer();
    this.clearConsentTimer();
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    const peer = this.peer;
    if (!peer) return;
    const close = () => {
      try {
        peer.destroy();
      } catch (error) {
        this.log('debug', `peer.destroy: ${errorText(error)}`);
      }
    };
    if (immediately) close();
    else setTimeout(close, BYE_FLUSH_MS);
  }

  private clearConnectTimer(): void {
    if (this.connectTimer !== undefined) this.clearTimer(this.connectTimer);
    this.connectTimer = undefined;
  }

  private clearConsentTimer(): void {
    if (this.consentTimer !== undefined) this.clearTimer(this.consentTimer);
    this.consentTimer = undefined;
  }

  private after(ms: number, fn: () => void): ReturnType<typeof setTimeout> {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
    return t;
  }

  private clearTimer(t: ReturnType<typeof setTimeout>): void {
    clearTimeout(t);
    this.timers.delete(t);
  }

  private log(level: LogLevel, message: string): void {
    this.events.log(level, `[helper] ${message}`);
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function preview(data: unknown): string {
  let text: string;
  try {
    text = typeof data === 'string' ? data : JSON.stringify(data) ?? String(data);
  } catch {
    text = Object.prototype.toString.call(data);
  }
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}
