/**
 * The host's session: the side of the person being helped. No `vscode` here: the editor supplies the prompts
 * (`HostUi`), the desktop is behind `HostAgent`, and the tests drive this class directly in plain Node.
 *
 * One invitation, one helper: the session opens a PeerJS peer whose id is derived from the invitation's
 * secret, waits for a helper, checks its proof, asks the person at the machine, streams the screen and, once
 * control is granted, applies the helper's input. Everything it owns is released in `end()`.
 */

import type { DataConnection, Peer } from 'peerjs';
import type { HostAgent, InputEvent } from '../agent/contract';
import { setTimeout as sleep } from 'node:timers/promises';
import { noAudit, type AuditEvent, type AuditLog } from '../shared/audit';
import { chunkFrame } from '../shared/frames';
import {
  createInvitation,
  isExpired,
  makeInvitationFile,
  type IceServer,
  type Invitation,
  type InvitationFile,
  type SignalingSettings,
} from '../shared/invitation';
import type { Logger } from '../shared/log';
import {
  channelBinding,
  checkMediaProof,
  checkProof,
  derivePeerId,
  deriveProofKey,
  makeProof,
  newNonce,
  verificationCode,
  type Transcript,
} from '../shared/proof';
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
import { RateLimiter, type Rate } from '../shared/rateLimit';
import { HOST_TRANSITIONS, StateMachine, isFinal, type EndedBy, type HostState } from '../shared/stateMachine';

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
  /** The wall clock the invitation's times are read against (tests move it). */
  readonly now?: () => Date;
  /** Where the session's audit events go; none by default. */
  readonly audit?: AuditLog;
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
/**
 * Malformed messages a helper may send before it is disconnected. Before it is admitted, every message that is
 * not part of the handshake counts as malformed too.
 */
export const MAX_MALFORMED = 100;
/**
 * How fast each kind of message may come from a helper (token buckets: a burst of `max`, then `max` per `perMs`);
 * the excess is dropped and counted. Releases of keys and buttons that are down are never dropped: a flood must
 * not leave a key held. The panel sends at most one move per animation frame and a person types a few dozen
 * keys a second; a request for control is a modal prompt on the host, so it gets very few.
 */
export const RATE_LIMITS: Readonly<Record<HelperMessage['type'], Rate>> = {
  hello: { max: 2, perMs: 1000 },
  proof: { max: 2, perMs: 1000 },
  mediaProof: { max: 2, perMs: 1000 },
  requestControl: { max: 3, perMs: 30_000 },
  releaseControl: { max: 10, perMs: 1000 },
  pointerMove: { max: 250, perMs: 1000 },
  pointerButton: { max: 40, perMs: 1000 },
  wheel: { max: 120, perMs: 1000 },
  key: { max: 100, perMs: 1000 },
  releaseAll: { max: 20, perMs: 1000 },
  frameAck: { max: 120, perMs: 1000 },
  refresh: { max: 2, perMs: 1000 },
  heartbeat: { max: 20, perMs: 1000 },
  bye: { max: 2, perMs: 1000 },
};
/** Refused connections recorded in the audit log per session; more are only logged (a flood must not fill the disk). */
const MAX_REFUSALS_AUDITED = 20;

/** Frames that may go out back to back after a pause, above the maxFps rate. */
const FRAME_BURST = 2;
/** How long one capture waits for the screen to change before the pump looks at the session again. */
const CHANGE_WAIT_MS = 500;
/** Above this many bytes waiting in the media channel, no frame is captured. */
const MEDIA_HIGH_WATER = 1024 * 1024;

interface Helper {
  readonly peerId: string;
  readonly control: DataConnection;
  media: DataConnection | undefined;
  name: string;
  helperNonce?: string;
  hostNonce?: string;
  /** Set once the helper's proof passed: what the media proof is checked against. */
  transcript?: Transcript;
  /** The helper's proof of its media connection, waiting for that connection to be negotiated. */
  mediaMac?: string;
  /** The media connection is the helper's own: frames may go out on it. */
  mediaVerified: boolean;
  lastHeard: number;
  malformed: number;
  ignoredInput: number;
  readonly rate: RateLimiter<HelperMessage['type']>;
  /** Keys (`key:KeyA`) and buttons (`button:left`) pressed on the helper's behalf and not released. */
  readonly held: Set<string>;
  framesSent: number;
  framesAcked: number;
  /** The helper asked for the whole screen again (its picture is lost). */
  keyWanted?: boolean;
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
  /** The person at the machine is using their own mouse: the helper's input is dropped (see NutInput). */
  private inputPaused = false;
  /** Why the session ended, for connections that arrive after. */
  private endReason: EndReason | undefined;
  /** Dropped from helpers over the whole session, for the log and the audit. */
  private readonly dropped = { malformed: 0, rateLimited: 0, inputWithoutControl: 0 };
  private refusals = 0;
  private readonly now: () => Date;
  private readonly audit: AuditLog;

  constructor(private readonly options: HostSessionOptions) {
    this.now = options.now ?? (() => new Date());
    this.audit = options.audit ?? noAudit;
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
        this.agent.onInputPause((paused) => this.onInputPause(paused)),
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
    this.record({ event: 'invitationCreated', expiresAt: invitation.expiresAt.toISOString() });
    const untilExpiry = invitation.expiresAt.getTime() - this.now().getTime();
    this.timer(setTimeout(() => this.onExpired(), Math.max(0, untilExpiry)));
  }

  /** Takes control back from the helper. */
  revokeControl(): void {
    if (this.machine.state.kind !== 'controlled') return;
    this.dropControl('revoked');
    this.options.log.info('control revoked by the host');
  }

  /** Messages dropped from helpers so far (malformed, over the rate limits, input without control). */
  get droppedCounts(): { readonly malformed: number; readonly rateLimited: number; readonly inputWithoutControl: number } {
    return { ...this.dropped };
  }

  /**
   * Ends the session; `reason` is what the helper is told (when it was not the helper that ended it), `by` who
   * ended it. Safe to call more than once.
   */
  end(reason: EndReason = 'hostEnded', message?: string, by: EndedBy = 'local'): void {
    const state = this.machine.state;
    if (isFinal(state)) return;
    const text = message ?? describeEnd(reason);
    this.options.log.info(`ending: ${reason} (${text}); dropped from helpers: ${JSON.stringify(this.dropped)}`);
    if (this.helper && by === 'local') this.send({ type: 'bye', reason, message: describeEnd(reason) });
    this.endReason = reason;
    this.record({ event: 'ended', reason, by, message: text, ...this.dropped }, this.helper);
    this.machine.to({ kind: 'ended', message: text, reason, by });
    this.teardown();
  }

  private fail(message: string): void {
    if (isFinal(this.machine.state)) return;
    this.endReason = 'hostEnded';
    this.record({ event: 'ended', reason: 'startFailed', by: 'local', message, ...this.dropped }, this.helper);
    this.machine.to({ kind: 'failed', message, reason: 'startFailed', by: 'local' });
    this.teardown();
  }

  /** One audit event, with the helper it concerns (if any) and the host's name. */
  private record(event: AuditEvent, helper?: { readonly peerId: string; readonly name?: string }): void {
    try {
      this.audit.record(event, {
        ...(helper ? { peerId: helper.peerId } : {}),
        ...(helper?.name !== undefined ? { helperName: helper.name } : {}),
        hostName: this.options.hostName,
      });
    } catch (error) {
      this.options.log.warn(`audit: ${error instanceof Error ? error.message : String(error)}`);
    }
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

  /**
   * Ends the session if the invitation expired before a helper was admitted. Called by the expiry timer, and
   * again whenever a helper knocks: a timer runs on a monotonic clock that stands still while the computer
   * sleeps, the invitation's expiry is wall-clock time.
   */
  private onExpired(): void {
    const kind = this.machine.state.kind;
    if (kind === 'awaiting' || kind === 'verifying' || kind === 'asking') {
      this.options.log.info('the invitation expired before a helper was admitted');
      this.record({ event: 'expired' }, this.helper);
      this.end('expired', 'The invitation expired before a helper connected.');
    }
  }

  private recordRefusal(reason: string, peerId: string): void {
    if (++this.refusals <= MAX_REFUSALS_AUDITED) this.record({ event: 'refused', reason }, { peerId });
  }

  private expiredNow(): boolean {
    return this.invitationValue !== undefined && isExpired(this.invitationValue, this.now());
  }

  private onConnection(conn: DataConnection): void {
    const { log } = this.options;
    // Only `raw` connections: no PeerJS deserializer runs on what a helper sends.
    if (conn.serialization !== 'raw' || (conn.label !== CONTROL_LABEL && conn.label !== MEDIA_LABEL)) {
      log.warn(`refused a connection from ${conn.peer}: label ${conn.label}, serialization ${conn.serialization}`);
      this.recordRefusal(`label ${String(conn.label).slice(0, 40)}, serialization ${String(conn.serialization).slice(0, 20)}`, conn.peer);
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
        if (this.helper === helper) void this.checkMedia(helper);
      });
      conn.on('close', () => log.info('media connection closed'));
      return;
    }
    if (this.machine.state.kind === 'awaiting' && this.expiredNow()) this.onExpired();
    if (this.helper || this.machine.state.kind !== 'awaiting') {
      const reason: EndReason = this.endReason ?? 'alreadyUsed';
      log.warn(`refused a helper (${conn.peer}): ${reason === 'alreadyUsed' ? 'the invitation is in use' : `the invitation is closed (${reason})`}`);
      this.recordRefusal(reason, conn.peer);
      conn.on('open', () => {
        conn.send(encodeMessage({ type: 'bye', reason, message: describeEnd(reason) }));
        setTimeout(() => conn.close(), 100);
      });
      return;
    }
    const helper: Helper = {
      peerId: conn.peer,
      control: conn,
      media: undefined,
      name: 'A helper',
      mediaVerified: false,
      lastHeard: Date.now(),
      malformed: 0,
      ignoredInput: 0,
      rate: new RateLimiter(RATE_LIMITS),
      held: new Set(),
      framesSent: 0,
      framesAcked: 0,
      askingControl: false,
    };
    this.helper = helper;
    this.machine.to({ kind: 'verifying', helperName: helper.name });
    log.info(`a helper is connecting (${conn.peer})`);
    this.record({ event: 'connected' }, helper);
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
    this.dropped.malformed++;
    if (helper.malformed === 1 || helper.malformed % 100 === 0) this.options.log.warn(`dropped malformed message(s) from the helper: ${helper.malformed} so far`);
    if (helper.malformed > MAX_MALFORMED) {
      if (this.machine.state.kind === 'verifying' || this.machine.state.kind === 'asking') this.rejectHelper(helper, 'protocolError');
      else this.end('protocolError', 'The helper sent too many malformed messages and was disconnected.');
    }
  }

  private async onMessage(helper: Helper, message: HelperMessage): Promise<void> {
    const { log } = this.options;
    const state = this.machine.state.kind;
    // Out of place is malformed, whatever the rate: the handshake has one order, and input waits for admission.
    if (!expected(helper, message, state)) return this.onMalformed(helper);
    if (!this.isHeldRelease(helper, message) && !helper.rate.take(message.type)) {
      this.dropped.rateLimited++;
      const n = helper.rate.dropped;
      if (n === 1 || n % 1000 === 0) log.warn(`dropped ${message.type} message(s) over the rate limit: ${JSON.stringify(helper.rate.droppedCounts())}`);
      return;
    }
    switch (message.type) {
      case 'hello': {
        if (state !== 'verifying' || helper.helperNonce) return this.onMalformed(helper);
        if (message.version !== PROTOCOL_VERSION) {
          log.warn(`the helper speaks protocol ${message.version}, not ${PROTOCOL_VERSION}`);
          return this.rejectHelper(helper, 'protocolError');
        }
        helper.name = message.helperName || 'A helper';
        helper.helperNonce = message.helperNonce;
        helper.hostNonce = newNonce();
        this.send({ type: 'challenge', hostNonce: helper.hostNonce });
        return;
      }
      case 'proof': {
        if (state !== 'verifying' || !helper.helperNonce || !helper.hostNonce || !this.proofKey) return this.onMalformed(helper);
        const binding = this.binding(helper.control);
        const transcript = { helperNonce: helper.helperNonce, hostNonce: helper.hostNonce, binding };
        helper.hostNonce = undefined; // one proof per challenge: a replay meets no challenge
        if (!binding) {
          // Without both fingerprints the proof would not be tied to this connection: refuse rather than weaken it.
          log.error('the control connection has no DTLS fingerprints: cannot bind the proof to it');
          return this.rejectHelper(helper, 'protocolError');
        }
        log.debug(`channel binding (control): ${binding}`);
        if (this.expiredNow()) return this.onExpired();
        if (!(await checkProof(this.proofKey, 'helper', transcript, message.mac))) return this.onFailedProof(helper);
        if (this.helper !== helper) return;
        if (this.expiredNow()) return this.onExpired();
        if (helper.handshakeTimer) clearTimeout(helper.handshakeTimer);
        helper.transcript = transcript;
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
        this.record({ event: 'verified', verificationCode: code }, helper);
        this.machine.to({ kind: 'asking', helperName: helper.name });
        this.startHeartbeat(helper);
        void this.checkMedia(helper);
        const allowed = await this.options.ui.askToView({ helperName: helper.name, verificationCode: code, timeoutMs: this.options.consentTimeoutMs });
        if (this.helper !== helper || this.kind() !== 'asking') return;
        if (!allowed) {
          log.info(`the host did not allow ${helper.name}`);
          this.record({ event: 'denied' }, helper);
          return this.rejectHelper(helper, 'denied');
        }
        return this.admit(helper);
      }
      case 'mediaProof': {
        if (!helper.transcript || helper.mediaVerified || helper.mediaMac !== undefined) return this.onMalformed(helper);
        helper.mediaMac = message.mac;
        return this.checkMedia(helper);
      }
      case 'requestControl': {
        if (state !== 'viewing' || helper.askingControl) return;
        helper.askingControl = true;
        log.info(`${helper.name} asks for control`);
        this.record({ event: 'controlRequested' }, helper);
        const granted = await this.options.ui.askForControl({ helperName: helper.name, timeoutMs: this.options.consentTimeoutMs });
        helper.askingControl = false;
        if (this.helper !== helper || this.kind() !== 'viewing') return;
        if (!granted) {
          log.info('control denied');
          this.record({ event: 'controlDenied' }, helper);
          this.send({ type: 'control', granted: false, reason: 'denied' });
          return;
        }
        this.machine.to({ kind: 'controlled', helperName: helper.name });
        log.info(`control granted to ${helper.name}`);
        this.record({ event: 'controlGranted' }, helper);
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
      case 'refresh':
        log.info('the helper lost its picture: the whole screen goes again');
        helper.keyWanted = true;
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
      this.dropped.inputWithoutControl++;
      if (helper.ignoredInput === 1 || helper.ignoredInput % 100 === 0) {
        this.options.log.warn(`ignored input from a helper without control (${helper.ignoredInput} so far)`);
      }
      return;
    }
    if (this.inputPaused) return; // the agent drops it too; no need to send it there
    const id = heldId(message);
    if (id !== undefined) {
      if (isPress(message)) helper.held.add(id);
      else if (!helper.held.delete(id)) return; // an up without its down: nothing to release
    }
    this.inputHeld = true;
    this.agent?.input(message);
  }

  /** A key or button up for something pressed on this helper's behalf: never dropped by the rate limits. */
  private isHeldRelease(helper: Helper, message: HelperMessage): boolean {
    const id = heldId(message);
    return id !== undefined && !isPress(message) && helper.held.has(id);
  }

  private releaseInput(): void {
    this.helper?.held.clear();
    if (!this.inputHeld) return;
    this.inputHeld = false;
    this.agent?.releaseAll().catch((error: unknown) => this.options.log.error(`releasing input failed: ${String(error)}`));
  }

  private dropControl(reason: 'revoked' | 'released'): void {
    this.releaseInput();
    this.machine.to({ kind: 'viewing', helperName: this.helper?.name ?? '' });
    this.record({ event: 'controlEnded', reason }, this.helper);
    this.send({ type: 'control', granted: false, reason });
  }

  /** The agent saw the host's own mouse move (`paused`), or saw it still again. The person at the machine wins. */
  private onInputPause(paused: boolean): void {
    const { log } = this.options;
    this.inputPaused = paused;
    const helper = this.helper;
    if (paused) {
      // The agent has released everything it held.
      helper?.held.clear();
      this.inputHeld = false;
    }
    if (!helper || this.kind() !== 'controlled') {
      log.debug(`input ${paused ? 'paused' : 'resumed'} by the agent while no helper has control`);
      return;
    }
    if (paused) {
      log.info(`you moved your mouse: ${helper.name}'s input is paused`);
      this.record({ event: 'controlPaused' }, helper);
      this.send({ type: 'control', granted: false, reason: 'paused' });
    } else {
      log.info(`${helper.name}'s input is applied again`);
      this.record({ event: 'controlResumed' }, helper);
      this.send({ type: 'control', granted: true, reason: 'resumed' });
    }
  }

  private async onFailedProof(helper: Helper): Promise<void> {
    this.failedProofs++;
    const { log, ui } = this.options;
    log.warn(`a helper (${helper.peerId}) failed to prove the invitation code (${this.failedProofs} of ${MAX_FAILED_PROOFS})`);
    this.record({ event: 'proofFailed', attempt: this.failedProofs, maxAttempts: MAX_FAILED_PROOFS }, helper);
    if (this.failedProofs >= MAX_FAILED_PROOFS) {
      this.record({ event: 'locked', failedProofs: this.failedProofs }, helper);
      ui.notify(`Your Remote Assist invitation was locked after ${MAX_FAILED_PROOFS} connection attempts with a wrong code.`);
      this.end('locked', `The invitation was locked after ${MAX_FAILED_PROOFS} attempts with a wrong code.`);
      return;
    }
    this.rejectHelper(helper, 'proofFailed');
  }

  /**
   * Checks the helper's proof of its media connection once both the proof and the connection's SDPs are there.
   * A wrong one means the screen would go to someone else than the helper that proved the code (a relay in the
   * middle of the media connection alone): the session ends and the host is told.
   */
  private async checkMedia(helper: Helper): Promise<void> {
    const { log, ui } = this.options;
    const mac = helper.mediaMac;
    const media = helper.media;
    if (mac === undefined || !helper.transcript || !this.proofKey || helper.mediaVerified) return;
    const binding = media ? this.binding(media) : '';
    if (!binding) {
      if (!media?.open) return; // not negotiated yet: checked again when it opens
      log.error('the media connection has no DTLS fingerprints: cannot check it');
      this.record({ event: 'mediaProofFailed' }, helper);
      this.end('protocolError', "The helper's screen connection could not be checked; the session was ended.");
      return;
    }
    helper.mediaMac = undefined;
    log.debug(`channel binding (media): ${binding}`);
    const ok = await checkMediaProof(this.proofKey, helper.transcript, binding, mac);
    if (this.helper !== helper || isFinal(this.machine.state)) return;
    if (!ok) {
      log.error(`the media connection of ${helper.name} is not the one it proved: someone may be relaying it`);
      this.record({ event: 'mediaProofFailed' }, helper);
      ui.notify('Remote Assist ended the session: the connection for your screen did not pass the security check (someone may be in the middle). Nothing was shown.');
      this.end('proofFailed', "The helper's screen connection did not pass the security check; nothing was shown.");
      return;
    }
    helper.mediaVerified = true;
    log.info('the media connection is the helper\'s own');
    if (this.kind() === 'viewing' || this.kind() === 'controlled') this.leaveSignaling();
    this.ackWaiter?.();
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
    this.end(reason, reason === 'peerGone' ? 'The helper stopped answering; the session was ended.' : 'The helper ended the session.', 'remote');
  }

  /** The host said yes: the invitation is spent, the screen starts flowing. */
  private admit(helper: Helper): void {
    const { log } = this.options;
    this.machine.to({ kind: 'viewing', helperName: helper.name });
    log.info(`${helper.name} admitted; the invitation is spent`);
    this.record({ event: 'allowed' }, helper);
    // The invitation works once (no other helper is let in from now on); once this helper's media connection is
    // open and checked too, the peer leaves the signaling server, so no one else can even reach it.
    if (helper.mediaVerified) this.leaveSignaling();
    this.timer(
      setTimeout(() => {
        if (this.helper === helper && !helper.mediaVerified) this.end('protocolError', "The helper's screen connection did not open.");
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

  private binding(conn: DataConnection): string {
    const pc = conn.peerConnection as RTCPeerConnectionLike | undefined;
    try {
      return channelBinding(pc?.localDescription?.sdp, pc?.remoteDescription?.sdp);
    } catch {
      return '';
    }
  }

  /**
   * Sends the screen: capture, send, and capture again only when the helper has drawn enough of what was
   * sent. Nothing is ever queued: a slow helper gets fewer, fresher frames. With a source of screen updates
   * the first frame paints the whole screen and each later one what changed since the one before (the agent
   * waits for a change, so a still screen costs nothing); updates are never dropped, the next one simply
   * holds everything that changed while the link was busy.
   */
  private async pump(helper: Helper): Promise<void> {
    if (this.pumpRunning) return;
    this.pumpRunning = true;
    const { log, maxFps } = this.options;
    const rate = Math.max(1, maxFps) / 1000;
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
    let needKey = true;
    try {
      while (this.helper === helper && (this.machine.state.kind === 'viewing' || this.machine.state.kind === 'controlled')) {
        const media = helper.media;
        const channel = media?.dataChannel as { bufferedAmount?: number } | undefined;
        if (
          !media?.open ||
          !helper.mediaVerified ||
          helper.framesSent - helper.framesAcked >= FRAMES_IN_FLIGHT ||
          (channel?.bufferedAmount ?? 0) > MEDIA_HIGH_WATER
        ) {
          await this.waitForAck(media?.open ? 1000 : 50);
          if (helper.framesSent - helper.framesAcked >= FRAMES_IN_FLIGHT && Date.now() - last > 3000) {
            // An ack was lost or the helper reloaded: do not stall forever.
            helper.framesAcked = helper.framesSent;
          }
          continue;
        }
        refill();
        if (credit < 1) await sleep((1 - credit) / rate);
        let frame;
        const asked = Date.now();
        try {
          const full = needKey || helper.keyWanted === true;
          helper.keyWanted = false;
          frame = await this.agent!.capture({ full, waitMs: full ? 0 : CHANGE_WAIT_MS });
          failures = 0;
        } catch (error) {
          failures++;
          // An update the agent made after we gave up on it would be lost: start again from a whole screen.
          needKey = true;
          log.warn(`capture failed (${failures} in a row): ${error instanceof Error ? error.message : String(error)}`);
          if (failures >= MAX_CAPTURE_FAILURES) {
            this.end('captureFailed', `The screen could not be captured: ${error instanceof Error ? error.message : String(error)}`);
            return;
          }
          await sleep(200);
          continue;
        }
        if (!frame) {
          // Nothing changed. An agent that says so at once, without waiting, must not make this loop spin.
          if (Date.now() - asked < 2) await sleep(16);
          continue;
        }
        last = Date.now();
        refill();
        credit -= 1;
        if (this.helper !== helper || !media.open) {
          needKey = true;
          continue;
        }
        if (frame.format === 'update') {
          needKey = false;
        } else {
          // A whole picture: a still screen costs nothing once the helper has drawn all that was sent (an
          // unacknowledged frame may have been lost, so then it goes again).
          if (previous && helper.framesAcked === helper.framesSent && Buffer.compare(previous, frame.data) === 0) continue;
          previous = frame.data;
        }
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

/**
 * Whether a message has its place now: the handshake's in its order and once each, everything else only after
 * admission. Anything else counts as malformed.
 */
function expected(helper: Helper, message: HelperMessage, state: HostState['kind']): boolean {
  switch (message.type) {
    case 'hello':
      return state === 'verifying' && helper.helperNonce === undefined;
    case 'proof':
      return state === 'verifying' && helper.hostNonce !== undefined;
    case 'mediaProof':
      return helper.transcript !== undefined && !helper.mediaVerified && helper.mediaMac === undefined;
    case 'heartbeat':
    case 'bye':
      return true;
    default:
      return state !== 'verifying' && state !== 'asking';
  }
}

/** The key or button an input message presses or releases, or undefined for moves and wheels. */
function heldId(message: HelperMessage | InputEvent): string | undefined {
  if (message.type === 'key') return `key:${message.code}`;
  if (message.type === 'pointerButton') return `button:${message.button}`;
  return undefined;
}

function isPress(message: HelperMessage | InputEvent): boolean {
  return (message.type === 'key' || message.type === 'pointerButton') && message.down;
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
