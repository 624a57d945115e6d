/**
 * The host's session: the side of the person being helped. No `vscode` here: the editor supplies the prompts
 * (`HostUi`), the desktop is behind `HostAgent`, and the tests drive this class directly in plain Node.
 *
 * One invitation, one helper: the session opens a PeerJS peer whose id is derived from the invitation's
 * secret, waits for a helper, checks its proof, asks the person at the machine, streams the screen and, once
 * control is granted, applies the helper's input. Everything it owns is released in `end()`.
 */

import type { DataConnection, Peer } from 'peerjs';
import type { HostAgent, InputEvent } from './agent';
import { chunkFrame } from '../shared/frames';
import {
  createInvitation,
  makeInvitationFile,
  type IceServer,
  type Invitation,
  type InvitationFile,
  type SignalingSettings,
} from '../shared/invitation';
import type { Logger } from '../shared/log';
import { channelBinding, checkProof, derivePeerId, deriveProofKey, makeProof, newNonce, verificationCode } from '../shared/proof';
import {
  CONTROL_LABEL,
  HEARTBEAT_MS,
  INPUT_RELEASE_SILENCE_MS,
  MEDIA_LABEL,
  PEER_GONE_SILENCE_MS,
  PROTOCOL_VERSION,
  assertNever,
  decodeJson,
  describeEnd,
  encodeMessage,
  parseHelperMessage,
  type EndReason,
  type HelperMessage,
  type HostMessage,
} from '../shared/protocol';
import { HOST_TRANSITIONS, StateMachine, isFinal, type HostState } from '../shared/stateMachine';

/** What the session asks of the person at the machine. Each resolves false on "no" and on timeout. */
export interface HostUi {
  askToView(request: { helperName: string; verificationCode: string; timeoutMs: number }): Promise<boolean>;
  askForControl(request: { helperName: string; timeoutMs: number }): Promise<boolean>;
  /** Something the person should know about without being asked (a failed proof, a lock). */
  notify(message: string): void;
}

export interface HostSessionOptions {
  readonly signaling: SignalingSettings;
  readonly iceServers: readonly IceServer[];
  readonly hostName: string;
  readonly lifetimeMinutes: number;
  readonly consentTimeoutMs: number;
  /** How long the signaling server has to answer before the invitation fails. */
  readonly signalingTimeoutMs: number;
  /** Upper bound on frames per second sent to the helper. */
  readonly maxFps: number;
  readonly startAgent: () => Promise<HostAgent>;
  readonly ui: HostUi;
  readonly log: Logger;
  readonly random?: (bytes: Uint8Array) => void;
  readonly now?: () => Date;
}

/** Wrong proofs an invitation takes before it is locked. */
export const MAX_FAILED_PROOFS = 5;
/** A helper has this long from opening the connection to a valid proof. */
const HANDSHAKE_TIMEOUT_MS = 10_000;
/** An admitted helper must open its media connection within this time. */
const MEDIA_OPEN_TIMEOUT_MS = 15_000;
/** Frames sent and not yet drawn by the helper: one on the wire, one being drawn. */
const FRAMES_IN_FLIGHT = 2;
/** Capture failures in a row before the session gives up. */
const MAX_CAPTURE_FAILURES = 3;
/** Malformed messages a helper may send before it is disconnected. */
const MAX_MALFORMED = 100;
/** Input messages per second above which the rest are dropped. */
const MAX_INPUT_PER_SECOND = 1000;
/** Above this many bytes waiting in the media channel, no frame is captured. */
const MEDIA_HIGH_WATER = 1024 * 1024;

interface Helper {
  readonly peerId: string;
  readonly control: DataConnection;
  media: DataConnection | undefined;
  name: string;
  helperNonce?: string;
  hostNonce?: string;
  lastHeard: number;
  malformed: number;
  ignoredInput: number;
  inputWindowStart: number;
  inputInWindow: number;
  framesSent: number;
  framesAcked: number;
  handshakeTimer?: ReturnType<typeof setTimeout>;
  askingControl: boolean;
}

export class HostSession {
  readonly machine: StateMachine<HostState>;
  private peer: Peer | undefined;
  private agent: HostAgent | undefined;
  private helper: Helper | undefined;
  private invitationValue: Invitation | undefined;
  private codeValue = '';
  private proofKey: Uint8Array | undefined;
  private failedProofs = 0;
  private readonly timers = new Set<ReturnType<typeof setTimeout> | ReturnType<typeof setInterval>>();
  private readonly disposables: { dispose(): void }[] = [];
  private pumpRunning = false;
  private ackWaiter: (() => void) | undefined;
  private inputHeld = false;
  private readonly now: () => Date;

  constructor(private readonly options: HostSessionOptions) {
    this.now = options.now ?? (() => new Date());
    this.machine = new StateMachine<HostState>({ kind: 'idle' }, HOST_TRANSITIONS, (from, to) =>
      options.log.warn(`refused state change ${from.kind} -> ${to.kind}`),
    );
    this.machine.onChange((state, previous) => options.log.info(`state ${previous.kind} -> ${state.kind}`));
  }

  /** The current state's kind, read afresh (an await may have changed it). */
  private kind(): HostState['kind'] {
    return this.machine.state.kind;
  }

  get state(): HostState {
    return this.machine.state;
  }

  get code(): string {
    return this.codeValue;
  }

  get invitation(): Invitation | undefined {
    return this.invitationValue;
  }

  get invitationFile(): InvitationFile | undefined {
    return this.invitationValue
      ? makeInvitationFile(this.codeValue, this.invitationValue, this.options.hostName, this.options.signaling, this.options.iceServers)
      : undefined;
  }

  /**
   * Creates the invitation, starts the agent (which checks the display) and registers with the signaling
   * server. Resolves once a helper can connect; rejects with a message fit for the user otherwise (and the
   * session is then `failed`).
   */
  async start(): Promise<void> {
    const { log } = this.options;
    if (!this.machine.to({ kind: 'starting' })) throw new Error('This session has already been started.');
    const random = this.options.random ?? ((bytes: Uint8Array) => crypto.getRandomValues(bytes));
    const { invitation, code } = createInvitation(random, this.now(), this.options.lifetimeMinutes);
    this.invitationValue = invitation;
    this.codeValue = code;
    try {
      this.proofKey = await deriveProofKey(invitation.secret);
      const peerId = await derivePeerId(invitation.secret);
      this.agent = await this.options.startAgent();
      this.disposables.push(
        this.agent.onExit((error) => {
          log.error(`the screen agent stopped: ${error.message}`);
          this.end('captureFailed', `Remote Assist's screen agent stopped: ${error.message}`);
        }),
      );
      if (this.machine.state.kind !== 'starting') return; // ended while the agent started
      await this.openPeer(peerId);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.fail(message);
      throw new Error(message);
    }
    if (this.machine.state.kind !== 'starting') return;
    this.machine.to({ kind: 'awaiting', code, expiresAt: invitation.expiresAt });
    const untilExpiry = invitation.expiresAt.getTime() - this.now().getTime();
    this.timer(setTimeout(() => this.onExpired(), Math.max(0, untilExpiry)));
  }

  /** Takes control back from the helper. */
  revokeControl(): void {
    if (this.machine.state.kind !== 'controlled') return;
    this.dropControl('revoked');
    this.options.log.info('control revoked by the host');
  }

  /** Ends the session from the host's side; `reason` is what the helper is told. Safe to call more than once. */
  end(reason: EndReason = 'hostEnded', message?: string): void {
    const state = this.machine.state;
    if (isFinal(state)) return;
    const text = message ?? describeEnd(reason);
    this.options.log.info(`ending: ${reason} (${text})`);
    if (this.helper) this.send({ type: 'bye', reason, message: describeEnd(reason) });
    this.machine.to({ kind: 'ended', message: text });
    this.teardown();
  }

  private fail(message: string): void {
    if (isFinal(this.machine.state)) return;
    this.machine.to({ kind: 'failed', message });
    this.teardown();
  }

  private teardown(): void {
    for (const t of this.timers) clearTimeout(t as ReturnType<typeof setTimeout>);
    this.timers.clear();
    this.ackWaiter?.();
    const helper = this.helper;
    this.helper = undefined;
    if (helper) {
      if (helper.handshakeTimer) clearTimeout(helper.handshakeTimer);
      // Let the bye leave before the channel closes.
      setTimeout(() => {
        helper.control.close();
        helper.media?.close();
      }, 100).unref?.();
    }
    for (const d of this.disposables.splice(0)) d.dispose();
    const agent = this.agent;
    this.agent = undefined;
    agent?.dispose();
    const peer = this.peer;
    this.peer = undefined;
    if (peer) setTimeout(() => peer.destroy(), 150).unref?.();
  }

  private timer<T extends ReturnType<typeof setTimeout> | ReturnType<typeof setInterval>>(t: T): T {
    this.timers.add(t);
    return t;
  }

  private async openPeer(peerId: string): Promise<void> {
    const { signaling, iceServers, log, signalingTimeoutMs } = this.options;
    const { Peer } = await import('peerjs');
    const where = `${signaling.secure ? 'https' : 'http'}://${signaling.host}:${signaling.port}${signaling.path}`;
    log.info(`registering with the signaling server ${where}`);
    const peer = new Peer(peerId, {
      host: signaling.host,
      port: signaling.port,
      path: signaling.path,
      secure: signaling.secure,
      key: signaling.key,
      config: { iceServers: iceServers.map((s) => ({ ...s, urls: typeof s.urls === 'string' ? s.urls : [...s.urls] })) },
      debug: 2,
      logFunction: (level: number, ...rest: unknown[]) => log.debug(`peerjs(${level}) ${rest.map(String).join(' ')}`),
    } as ConstructorParameters<typeof Peer>[1]);
    this.peer = peer;
    await new Promise<void>((resolve, reject) => {
      const timeout = setTimeout(() => {
        reject(new Error(`The signaling server ${signaling.host}:${signaling.port} did not answer within ${Math.round(signalingTimeoutMs / 1000)} s.`));
      }, signalingTimeoutMs);
      peer.once('open', () => {
        clearTimeout(timeout);
        resolve();
      });
      peer.once('error', (error: Error & { type?: string }) => {
        clearTimeout(timeout);
        reject(new Error(signalingErrorMessage(error, signaling)));
      });
    });
    log.info('registered; waiting for a helper');
    peer.on('connection', (conn) => this.onConnection(conn));
    peer.on('error', (error: Error & { type?: string }) => log.warn(`peer error (${error.type ?? 'unknown'}): ${error.message}`));
    peer.on('disconnected', () => {
      // Before a helper is admitted, the signaling server is how helpers reach us: come back.
      if (this.machine.state.kind === 'awaiting' && !peer.destroyed) {
        log.warn('lost the signaling server; reconnecting');
        peer.reconnect();
      }
    });
  }

  private onExpired(): void {
    const kind = this.machine.state.kind;
    if (kind === 'awaiting' || kind === 'verifying' || kind === 'asking') {
      this.options.log.info('the invitation expired before a helper was admitted');
      this.end('expired', 'The invitation expired before a helper connected.');
    }
  }

  private onConnection(conn: DataConnection): void {
    const { log } = this.options;
    // Only `raw` connections: no PeerJS deserializer runs on what a helper sends.
    if (conn.serialization !== 'raw' || (conn.label !== CONTROL_LABEL && conn.label !== MEDIA_LABEL)) {
      log.warn(`refused a connection from ${conn.peer}: label ${conn.label}, serialization ${conn.serialization}`);
      conn.close();
      return;
    }
    if (conn.label === MEDIA_LABEL) {
      const helper = this.helper;
      if (!helper || helper.peerId !== conn.peer || helper.media) {
        log.warn(`refused a media connection from ${conn.peer}`);
        conn.close();
        return;
      }
      helper.media = conn;
      conn.on('open', () => {
        if (this.helper === helper && (this.kind() === 'viewing' || this.kind() === 'controlled')) this.leaveSignaling();
      });
      conn.on('close', () => log.info('media connection closed'));
      return;
    }
    if (this.helper || this.machine.state.kind !== 'awaiting') {
      log.warn(`refused a second helper (${conn.peer}): the invitation is in use`);
      conn.on('open', () => {
        conn.send(encodeMessage({ type: 'bye', reason: 'alreadyUsed', message: describeEnd('alreadyUsed') }));
        setTimeout(() => conn.close(), 100);
      });
      return;
    }
    const helper: Helper = {
      peerId: conn.peer,
      control: conn,
      media: undefined,
      name: 'A helper',
      lastHeard: Date.now(),
      malformed: 0,
      ignoredInput: 0,
      inputWindowStart: Date.now(),
      inputInWindow: 0,
      framesSent: 0,
      framesAcked: 0,
      askingControl: false,
    };
    this.helper = helper;
    this.machine.to({ kind: 'verifying', helperName: helper.name });
    log.info(`a helper is connecting (${conn.peer})`);
    helper.handshakeTimer = setTimeout(() => {
      if (this.helper === helper && this.machine.state.kind === 'verifying') {
        log.warn('the helper did not prove the code in time');
        this.rejectHelper(helper, 'proofFailed');
      }
    }, HANDSHAKE_TIMEOUT_MS);
    conn.on('data', (data) => {
      if (this.helper !== helper) return;
      helper.lastHeard = Date.now();
      const message = parseHelperMessage(decodeJson(data));
      if (!message) {
        this.onMalformed(helper);
        return;
      }
      this.onMessage(helper, message).catch((error: unknown) => log.error(error instanceof Error ? error : String(error)));
    });
    conn.on('close', () => {
      if (this.helper !== helper) return;
      log.info('the helper closed the connection');
      this.onHelperGone(helper, 'helperEnded');
    });
    conn.on('error', (error) => log.warn(`control connection error: ${error.message}`));
  }

  private onMalformed(helper: Helper): void {
    helper.malformed++;
    if (helper.malformed === 1 || helper.malformed % 100 === 0) this.options.log.warn(`dropped malformed message(s) from the helper: ${helper.malformed} so far`);
    if (helper.malformed > MAX_MALFORMED) {
      if (this.machine.state.kind === 'verifying' || this.machine.state.kind === 'asking') this.rejectHelper(helper, 'protocolError');
      else this.end('protocolError', 'The helper sent too many malformed messages and was disconnected.');
    }
  }

  private async onMessage(helper: Helper, message: HelperMessage): Promise<void> {
    const { log } = this.options;
    const state = this.machine.state.kind;
    switch (message.type) {
      case 'hello': {
        if (state !== 'verifying' || helper.helperNonce) return this.onMalformed(helper);
        if (message.version !== PROTOCOL_VERSION) {
          log.warn(`the helper speaks protocol ${message.version}, not ${PROTOCOL_VERSION}`);
          return this.rejectHelper(helper, 'protocolError');
        }
        helper.name = message.helperName.trim() || 'A helper';
        helper.helperNonce = message.helperNonce;
        helper.hostNonce = newNonce();
        this.send({ type: 'challenge', hostNonce: helper.hostNonce });
        return;
      }
      case 'proof': {
        if (state !== 'verifying' || !helper.helperNonce || !helper.hostNonce || !this.proofKey) return this.onMalformed(helper);
        const transcript = { helperNonce: helper.helperNonce, hostNonce: helper.hostNonce, binding: this.binding(helper) };
        helper.hostNonce = undefined; // one proof per challenge: a replay meets no challenge
        if (!(await checkProof(this.proofKey, 'helper', transcript, message.mac))) return this.onFailedProof(helper);
        if (this.helper !== helper) return;
        if (helper.handshakeTimer) clearTimeout(helper.handshakeTimer);
        const invitation = this.invitationValue!;
        const code = await verificationCode(this.proofKey, transcript);
        this.send({
          type: 'welcome',
          mac: await makeProof(this.proofKey, 'host', transcript),
          hostName: this.options.hostName,
          createdAt: invitation.createdAt.toISOString(),
          expiresAt: invitation.expiresAt.toISOString(),
          consentTimeoutMs: this.options.consentTimeoutMs,
        });
        log.info(`${helper.name} proved the invitation code; asking the host (verification code ${code})`);
        this.machine.to({ kind: 'asking', helperName: helper.name });
        this.startHeartbeat(helper);
        const allowed = await this.options.ui.askToView({ helperName: helper.name, verificationCode: code, timeoutMs: this.options.consentTimeoutMs });
        if (this.helper !== helper || this.kind() !== 'asking') return;
        if (!allowed) {
          log.info(`the host did not allow ${helper.name}`);
          return this.rejectHelper(helper, 'denied');
        }
        return this.admit(helper);
      }
      case 'requestControl': {
        if (state !== 'viewing' || helper.askingControl) return;
        helper.askingControl = true;
        log.info(`${helper.name} asks for control`);
        const granted = await this.options.ui.askForControl({ helperName: helper.name, timeoutMs: this.options.consentTimeoutMs });
        helper.askingControl = false;
        if (this.helper !== helper || this.kind() !== 'viewing') return;
        if (!granted) {
          log.info('control denied');
          this.send({ type: 'control', granted: false, reason: 'denied' });
          return;
        }
        this.machine.to({ kind: 'controlled', helperName: helper.name });
        log.info(`control granted to ${helper.name}`);
        this.send({ type: 'control', granted: true, reason: 'granted' });
        return;
      }
      case 'releaseControl':
        if (state === 'controlled') this.dropControl('released');
        return;
      case 'pointerMove':
      case 'pointerButton':
      case 'wheel':
      case 'key':
        return this.onInput(helper, message);
      case 'releaseAll':
        return this.releaseInput();
      case 'frameAck':
        if (message.id < helper.framesSent) helper.framesAcked = Math.max(helper.framesAcked, message.id + 1);
        this.ackWaiter?.();
        return;
      case 'heartbeat':
        return;
      case 'bye':
        log.info(`the helper left (${message.reason})`);
        return this.onHelperGone(helper, 'helperEnded');
      default:
        return assertNever(message);
    }
  }

  private onInput(helper: Helper, message: InputEvent): void {
    if (this.machine.state.kind !== 'controlled') {
      helper.ignoredInput++;
      if (helper.ignoredInput === 1 || helper.ignoredInput % 100 === 0) {
        this.options.log.warn(`ignored input from a helper without control (${helper.ignoredInput} so far)`);
      }
      return;
    }
    const now = Date.now();
    if (now - helper.inputWindowStart >= 1000) {
      helper.inputWindowStart = now;
      helper.inputInWindow = 0;
    }
    if (++helper.inputInWindow > MAX_INPUT_PER_SECOND && message.type === 'pointerMove') return;
    this.inputHeld = true;
    this.agent?.input(message);
  }

  private releaseInput(): void {
    if (!this.inputHeld) return;
    this.inputHeld = false;
    this.agent?.releaseAll().catch((error: unknown) => this.options.log.error(`releasing input failed: ${String(error)}`));
  }

  private dropControl(reason: 'revoked' | 'released'): void {
    this.releaseInput();
    this.machine.to({ kind: 'viewing', helperName: this.helper?.name ?? '' });
    this.send({ type: 'control', granted: false, reason });
  }

  private async onFailedProof(helper: Helper): Promise<void> {
    this.failedProofs++;
    const { log, ui } = this.options;
    log.warn(`a helper (${helper.peerId}) failed to prove the invitation code (${this.failedProofs} of ${MAX_FAILED_PROOFS})`);
    if (this.failedProofs >= MAX_FAILED_PROOFS) {
      ui.notify(`Your Remote Assist invitation was locked after ${MAX_FAILED_PROOFS} connection attempts with a wrong code.`);
      this.end('locked', `The invitation was locked after ${MAX_FAILED_PROOFS} attempts with a wrong code.`);
      return;
    }
    this.rejectHelper(helper, 'proofFailed');
  }

  /** Sends a candidate helper away and waits for the next one. */
  private rejectHelper(helper: Helper, reason: EndReason): void {
    if (this.helper !== helper) return;
    this.send({ type: 'bye', reason, message: describeEnd(reason) });
    this.helper = undefined;
    if (helper.handshakeTimer) clearTimeout(helper.handshakeTimer);
    setTimeout(() => {
      helper.control.close();
      helper.media?.close();
    }, 100);
    this.stopHeartbeat();
    if (!isFinal(this.machine.state) && this.invitationValue) {
      this.machine.to({ kind: 'awaiting', code: this.codeValue, expiresAt: this.invitationValue.expiresAt });
    }
  }

  private onHelperGone(helper: Helper, reason: EndReason): void {
    const state: HostState['kind'] = this.machine.state.kind;
    if (state === 'verifying' || state === 'asking') {
      this.rejectHelper(helper, reason);
      return;
    }
    this.releaseInput();
    this.end(reason, reason === 'peerGone' ? 'The helper stopped answering; the session was ended.' : 'The helper ended the session.');
  }

  /** The host said yes: the invitation is spent, the screen starts flowing. */
  private admit(helper: Helper): void {
    const { log } = this.options;
    this.machine.to({ kind: 'viewing', helperName: helper.name });
    log.info(`${helper.name} admitted; the invitation is spent`);
    // The invitation works once (no other helper is let in from now on); once this helper's media connection is
    // open too, the peer leaves the signaling server, so no one else can even reach it.
    if (helper.media?.open) this.leaveSignaling();
    this.timer(
      setTimeout(() => {
        if (this.helper === helper && !helper.media?.open) this.end('protocolError', "The helper's screen connection did not open.");
      }, MEDIA_OPEN_TIMEOUT_MS),
    );
    void this.agent!.screenSize().then(
      (size) => {
        if (this.helper !== helper) return;
        this.send({ type: 'viewGranted', width: size.width, height: size.height });
        void this.pump(helper);
      },
      (error: unknown) => this.end('captureFailed', `The screen size could not be read: ${String(error)}`),
    );
  }

  private leaveSignaling(): void {
    if (this.peer && !this.peer.disconnected) {
      this.peer.disconnect();
      this.options.log.info('left the signaling server: the invitation cannot be used again');
    }
  }

  private startHeartbeat(helper: Helper): void {
    this.stopHeartbeat();
    const interval = this.timer(
      setInterval(() => {
        if (this.helper !== helper) return;
        this.send({ type: 'heartbeat' });
        const silence = Date.now() - helper.lastHeard;
        if (silence > INPUT_RELEASE_SILENCE_MS) this.releaseInput();
        if (silence > PEER_GONE_SILENCE_MS) {
          this.options.log.warn(`nothing heard from the helper for ${silence} ms`);
          this.onHelperGone(helper, 'peerGone');
        }
      }, HEARTBEAT_MS),
    );
    this.heartbeat = interval;
  }

  private heartbeat: ReturnType<typeof setInterval> | undefined;

  private stopHeartbeat(): void {
    if (this.heartbeat) {
      clearInterval(this.heartbeat);
      this.timers.delete(this.heartbeat);
      this.heartbeat = undefined;
    }
  }

  private binding(helper: Helper): string {
    const pc = helper.control.peerConnection as RTCPeerConnectionLike | undefined;
    try {
      return channelBinding(pc?.localDescription?.sdp, pc?.remoteDescription?.sdp);
    } catch {
      return '';
    }
  }

  /**
   * Sends the screen: capture, send, and capture again only when the helper has drawn enough of what was
   * sent. Nothing is ever queued: a slow helper gets fewer, fresher frames.
   */
  private async pump(helper: Helper): Promise<void> {
    if (this.pumpRunning) return;
    this.pumpRunning = true;
    const { log, maxFps } = this.options;
    const minInterval = 1000 / Math.max(1, maxFps);
    let failures = 0;
    let last = 0;
    try {
      while (this.helper === helper && (this.machine.state.kind === 'viewing' || this.machine.state.kind === 'controlled')) {
        const media = helper.media;
        const channel = media?.dataChannel as { bufferedAmount?: number } | undefined;
        if (!media?.open || helper.framesSent - helper.framesAcked >= FRAMES_IN_FLIGHT || (channel?.bufferedAmount ?? 0) > MEDIA_HIGH_WATER) {
          await this.waitForAck(media?.open ? 1000 : 50);
          if (helper.framesSent - helper.framesAcked >= FRAMES_IN_FLIGHT && Date.now() - last > 3000) {
            // An ack was lost or the helper reloaded: do not stall forever.
            helper.framesAcked = helper.framesSent;
          }
          continue;
        }
        const wait = last + minInterval - Date.now();
        if (wait > 0) await sleep(wait);
        last = Date.now();
        let frame;
        try {
          frame = await this.agent!.capture();
          failures = 0;
        } catch (error) {
          failures++;
          log.warn(`capture failed (${failures} in a row): ${error instanceof Error ? error.message : String(error)}`);
          if (failures >= MAX_CAPTURE_FAILURES) {
            this.end('captureFailed', `The screen could not be captured: ${error instanceof Error ? error.message : String(error)}`);
            return;
          }
          await sleep(200);
          continue;
        }
        if (this.helper !== helper || !media.open) continue;
        const id = helper.framesSent++;
        for (const chunk of chunkFrame(id, frame)) media.send(chunk);
      }
    } finally {
      this.pumpRunning = false;
    }
  }

  private waitForAck(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, timeoutMs);
      const self = this;
      function done(): void {
        clearTimeout(t);
        if (self.ackWaiter === done) self.ackWaiter = undefined;
        resolve();
      }
      this.ackWaiter = done;
    });
  }

  private send(message: HostMessage): void {
    const conn = this.helper?.control;
    if (!conn?.open) return;
    try {
      conn.send(encodeMessage(message));
    } catch (error) {
      this.options.log.warn(`sending ${message.type} failed: ${String(error)}`);
    }
  }
}

interface RTCPeerConnectionLike {
  readonly localDescription?: { sdp?: string } | null;
  readonly remoteDescription?: { sdp?: string } | null;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function signalingErrorMessage(error: Error & { type?: string }, signaling: SignalingSettings): string {
  const where = `${signaling.host}:${signaling.port}`;
  switch (error.type) {
    case 'network':
    case 'server-error':
    case 'socket-error':
    case 'socket-closed':
      return `Cannot reach the signaling server ${where}: ${error.message}`;
    case 'unavailable-id':
      return 'The signaling server already has a peer with this invitation\'s id. Try inviting again.';
    case 'invalid-key':
      return `The signaling server ${where} refused the key "${signaling.key}".`;
    case 'ssl-unavailable':
      return `The signaling server ${where} does not offer a secure connection; check remoteAssist.signaling.secure.`;
    default:
      return `The signaling server ${where} failed: ${error.message}`;
  }
}
