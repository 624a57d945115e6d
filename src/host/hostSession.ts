/**
 * The host's session: the side of the person being helped. No `vscode` here: the editor supplies the prompts
 * (`HostUi`), the desktop is behind `HostAgent`, the transport behind `createPeer`, and the tests drive this class
 * directly in plain Node.
 *
 * One invitation, one helper: the session opens a PeerJS peer whose id is derived from the invitation's
 * secret, waits for a helper, has it prove the code (handshake.ts), asks the person at the machine, streams the
 * screen (framePump.ts) and, once control is granted, applies the helper's input; every message passes the
 * guard first (guard.ts). This file keeps the lifecycle, consent, control and audit; each helper keeps its own
 * heartbeat (helperLink.ts), what is shared besides the screen, chat included, goes through contextRelay.ts,
 * the host's pause through pauseRelay.ts, control and the helper's input through controlRelay.ts, a network cut
 * and the helper's resume through resume.ts, the helper's laser pointer through laserRelay.ts, the choice of monitor
 * through monitorRelay.ts, the audit through sessionAudit.ts. Everything it owns is released in `end()`.
 */

import type { HostAgent } from '../agent/contract';
import { noAudit, type AuditEvent } from '../shared/audit';
import { createInvitation, isExpired, makeInvitationFile, type Invitation, type InvitationFile } from '../shared/invitation';
import { inputBlockedHostText } from '../shared/inputBlocked';
import { derivePeerId, deriveProofKey } from '../shared/proof';
import type { ContextUpdate, Sharing } from '../shared/context';
import { LINK_LOST_SILENCE_MS, MEDIA_LABEL, assertNever, describeEnd, encodeMessage, type EndReason, type HelperMessage, type HostMessage } from '../shared/protocol';
import { peerOptions } from '../shared/signaling';
import { HOST_TRANSITIONS, StateMachine, isFinal, type EndedBy, type HostState } from '../shared/stateMachine';
import { ClipboardRelay } from './clipboardRelay';
import { ContextRelay, type Disposable } from './contextRelay';
import { ControlRelay } from './controlRelay';
import { ProofLock } from './handshake';
import { HelperLink, type HelperPort } from './helperLink';
import { SignalingLink, type HostConnection } from './hostPeer';
import { LaserRelay } from './laserRelay';
import { MonitorRelay } from './monitorRelay';
import { PauseRelay } from './pauseRelay';
import { HostResume } from './resume';
import { SessionAudit, type AuditedHelper } from './sessionAudit';
import type { HostSessionOptions } from './sessionOptions';

export { MAX_FAILED_PROOFS } from './handshake';
export { MAX_MALFORMED, RATE_LIMITS } from './guard';
export type { HostConnection, HostPeer, HostPeerFactory } from './hostPeer';
export type { HostSessionOptions, HostUi } from './sessionOptions';

/** An admitted helper must open its media connection within this time. */
const MEDIA_OPEN_TIMEOUT_MS = 15_000;
/** Requests to view the host may deny (or leave unanswered) before the invitation is closed. */
const MAX_DENIALS = 3;

export class HostSession {
  readonly machine: StateMachine<HostState>;
  private link: SignalingLink | undefined;
  private agent: HostAgent | undefined;
  private helper: HelperLink | undefined;
  private invitationValue: Invitation | undefined;
  private codeValue = '';
  private proofKey: Uint8Array | undefined;
  private readonly lock = new ProofLock();
  private readonly timers = new Set<ReturnType<typeof setTimeout> | ReturnType<typeof setInterval>>();
  private readonly disposables: { dispose(): void }[] = [];
  /** Why the session ended, for connections that arrive after. */
  private endReason: EndReason | undefined;
  /** Dropped from helpers over the whole session, for the log and the audit. */
  private readonly dropped = { malformed: 0, rateLimited: 0, inputWithoutControl: 0, inputWhilePaused: 0 };
  private denials = 0;
  private readonly relay: ContextRelay;
  private readonly clipboard: ClipboardRelay;
  private readonly control: ControlRelay;
  private readonly resume: HostResume;
  /** The host's pause of the screen (`pause.set(true)`), its input and its context: see pauseRelay.ts. */
  readonly pause: PauseRelay;
  /** The helper's laser pointer on this screen, and the host's switch for it (`laser.setEnabled`): see laserRelay.ts. */
  readonly laser: LaserRelay;
  /** Which monitor is shared, the host's switch and the helper's requests: see monitorRelay.ts. */
  readonly monitors: MonitorRelay;
  private readonly now: () => Date;
  private readonly audit: SessionAudit;
  private readonly port: HelperPort;

  constructor(private readonly options: HostSessionOptions) {
    this.now = options.now ?? (() => new Date());
    this.audit = new SessionAudit(options.audit ?? noAudit, options.hostName, options.log);
    const open = () => !!this.helper?.viewGranted && (this.kind() === 'viewing' || this.kind() === 'controlled');
    this.relay = new ContextRelay({ log: options.log, send: (m) => this.send(m), open, record: (e) => this.record(e, this.helper) });
    this.pause = new PauseRelay({ log: options.log, send: (m) => this.send(m), open, showing: () => this.kind() === 'viewing' || this.kind() === 'controlled',
      record: (e) => this.record(e, this.helper), releaseInput: () => (this.releaseInput(), this.laser.hide()), pump: () => this.helper?.pump, share: (u) => this.relay.share(u) });
    this.laser = new LaserRelay({ log: options.log, send: (m) => this.send(m), open, state: () => this.kind(), paused: () => this.pause.paused,
      draw: (at) => this.agent?.laser(at), notify: (m) => options.ui.notify(m) }, options.laserPointer ?? true);
    this.monitors = new MonitorRelay({ log: options.log, consentTimeoutMs: options.consentTimeoutMs, agent: () => this.agent, send: (m) => this.send(m), open, helperName: () => this.helper?.name ?? '',
      record: (e) => this.record(e, this.helper), ask: options.ui.askToSwitchMonitor, notify: (m) => options.ui.notify(m), pump: () => this.helper?.pump });
    this.clipboard = new ClipboardRelay({ log: options.log, consentTimeoutMs: options.consentTimeoutMs, clipboard: options.ui.clipboard, state: () => this.kind(),
      helperName: () => this.helper?.name ?? '', current: (h) => this.helper === h && !isFinal(this.machine.state), send: (m) => this.send(m), record: (e) => this.record(e, this.helper) });
    this.control = new ControlRelay({ log: options.log, consentTimeoutMs: options.consentTimeoutMs, askForControl: (r) => options.ui.askForControl(r), state: () => this.kind(), helper: () => this.helper,
      to: (kind) => this.machine.to({ kind, helperName: this.helper?.name ?? '' }), agent: () => this.agent, paused: () => this.pause.paused, record: (e, h) => this.record(e, h), send: (m) => this.send(m) });
    this.resume = new HostResume({ log: options.log, ...(options.resumeWindowMs !== undefined ? { windowMs: options.resumeWindowMs } : {}), ...(options.resumeSchedule ? { schedule: options.resumeSchedule } : {}), state: () => this.kind(), helper: () => this.helper,
      enterReconnecting: () => this.enterReconnecting(), makeLink: (conn, shownId, key) => Object.assign(new HelperLink(conn, shownId, this.port, key), { name: this.helper?.name ?? 'A helper' }),
      adopt: (link) => this.adopt(link), rejoinSignaling: () => this.link?.rejoin(), record: (e, h) => this.record(e, h), end: (reason, message) => this.end(reason, message) });
    this.port = this.makePort();
    this.machine = new StateMachine<HostState>({ kind: 'idle' }, HOST_TRANSITIONS, (from, to) => options.log.warn(`refused state change ${from.kind} -> ${to.kind}`));
    this.machine.onChange((state, previous) => (options.log.info(`state ${previous.kind} -> ${state.kind}`), this.laser.hide()));
  }

  /** The current state's kind, read afresh (an await may have changed it). */
  private kind(): HostState['kind'] { return this.machine.state.kind; }
  get state(): HostState { return this.machine.state; }
  get code(): string { return this.codeValue; }
  get invitation(): Invitation | undefined { return this.invitationValue; }

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
        this.agent.onInputPause((paused) => this.control.onInputPause(paused)),
        this.agent.onInputBlocked((reason) => {
          // Windows refuses the helper's input (an elevated window, the secure desktop), or takes it again: both people are told.
          if (reason) this.options.ui.notify(inputBlockedHostText(reason));
          if (this.kind() === 'controlled') this.send({ type: 'inputBlocked', reason: reason ?? null });
        }),
        this.agent.onLaserUnavailable((reason) => this.laser.unavailable(reason)),
        this.agent.onMonitorsChanged?.((reading, lost) => this.monitors.agentChanged(reading, lost)) ?? { dispose: () => undefined },
      );
      if (this.kind() !== 'starting') return; // ended while the agent started
      await this.openPeer(peerId);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.fail(message);
      throw new Error(message);
    }
    if (this.kind() !== 'starting') return;
    this.machine.to({ kind: 'awaiting', code, expiresAt: invitation.expiresAt });
    this.record({ event: 'invitationCreated', expiresAt: invitation.expiresAt.toISOString() });
    const untilExpiry = invitation.expiresAt.getTime() - this.now().getTime();
    this.timer(setTimeout(() => this.onExpired(), Math.max(0, untilExpiry)));
  }

  /** Takes control back from the helper. */
  revokeControl(): void {
    if (this.kind() !== 'controlled') return;
    this.control.drop('revoked');
    this.options.log.info('control revoked by the host');
  }

  /** The host's switches for its editor, debugger and terminal; the helper is told (see contextRelay.ts). */
  setSharing(sharing: Sharing): void { this.relay.setSharing(sharing); }
  get sharing(): Sharing { return this.relay.sharing; }
  /** The latest of one kind of context: sent only while that kind is shared and the helper sees the screen, throttled. */
  shareContext(update: ContextUpdate): void { if (!this.pause.hold(update)) this.relay.share(update); }
  /** A chat message to the helper; false if there is no admitted helper (or nothing to send). */
  sendChat(text: string): boolean { return this.relay.sendChat(text); }
  /** The admitted helper's chat messages, checked and rate-limited. */
  onChat(listener: (text: string) => void): Disposable { return this.relay.onChat(listener); }
  /** Text the helper sent for the host's clipboard (only while it has control), checked and rate-limited. */
  onClipboard(listener: (text: string) => void): Disposable { return this.clipboard.onText(listener); }

  /** Messages dropped from helpers so far (malformed, over the rate limits, input without control or while paused). */
  get droppedCounts(): Readonly<HostSession['dropped']> { return { ...this.dropped }; }

  /**
   * Ends the session; `reason` is what the helper is told (when it was not the helper that ended it), `by` who
   * ended it. Safe to call more than once.
   */
  end(reason: EndReason = 'hostEnded', message?: string, by: EndedBy = 'local'): void {
    if (isFinal(this.machine.state)) return;
    const text = message ?? describeEnd(reason);
    this.options.log.info(`ending: ${reason} (${text}); dropped from helpers: ${JSON.stringify(this.dropped)}`);
    if (this.helper && by === 'local') this.send({ type: 'bye', reason, message: describeEnd(reason) });
    this.endReason = reason;
    this.record({ event: 'ended', reason, by, message: text, ...this.dropped, ...this.relay.counts }, this.helper);
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

  /** One audit event, with the helper it concerns (if any, as it may be shown) and the host's name: see sessionAudit.ts. */
  private record(event: AuditEvent, helper?: AuditedHelper): void { this.audit.record(event, helper); }

  private teardown(): void {
    this.relay.dispose();
    this.pause.dispose();
    this.monitors.dispose();
    this.clipboard.dispose();
    this.resume.dispose();
    for (const t of this.timers) clearTimeout(t as ReturnType<typeof setTimeout>);
    this.timers.clear();
    const helper = this.helper;
    this.helper = undefined;
    if (helper) helper.close();
    for (const d of this.disposables.splice(0)) d.dispose();
    const agent = this.agent;
    this.agent = undefined;
    agent?.dispose();
    this.link?.dispose();
    this.link = undefined;
  }

  private timer<T extends ReturnType<typeof setTimeout> | ReturnType<typeof setInterval>>(t: T): T { this.timers.add(t); return t; }

  private async openPeer(peerId: string): Promise<void> {
    const { signaling, iceServers, iceTransportPolicy, log } = this.options;
    log.info(`registering with the signaling server ${signaling.secure ? 'https' : 'http'}://${signaling.host}:${signaling.port}${signaling.path}`);
    const kind = () => this.kind();
    this.link = await SignalingLink.open(peerId, peerOptions(signaling, iceServers, (text) => log.debug(text), iceTransportPolicy), {
      ...(this.options.createPeer ? { createPeer: this.options.createPeer } : {}),
      signaling,
      timeoutMs: this.options.signalingTimeoutMs,
      log,
      notify: (message) => this.options.ui.notify(message),
      wanted: () => kind() === 'awaiting' || kind() === 'verifying' || kind() === 'asking' || kind() === 'reconnecting',
      hurry: () => kind() === 'reconnecting',
    });
    if (isFinal(this.machine.state)) return this.link.dispose();
    log.info('registered; waiting for a helper');
    this.link.onConnection(
      (conn, shownId) => this.onConnection(conn, shownId),
      (what, shownId) => this.recordRefusal(what, shownId),
    );
  }

  /**
   * Ends the session if the invitation expired before a helper was admitted. Called by the expiry timer, and
   * again whenever a helper knocks: a timer runs on a monotonic clock that stands still while the computer
   * sleeps, the invitation's expiry is wall-clock time.
   */
  private onExpired(): void {
    const kind = this.kind();
    if (kind === 'awaiting' || kind === 'verifying' || kind === 'asking') {
      this.options.log.info('the invitation expired before a helper was admitted');
      this.record({ event: 'expired' }, this.helper);
      this.end('expired', 'The invitation expired before a helper connected.');
    }
  }

  private recordRefusal(reason: string, shownId: string): void { this.audit.refused(reason, shownId); }

  private expiredNow(): boolean { return this.invitationValue !== undefined && isExpired(this.invitationValue, this.now()); }

  private onConnection(conn: HostConnection, shownId: string): void {
    const { log } = this.options;
    if (this.resume.connection(conn, shownId)) return;
    if (conn.label === MEDIA_LABEL) {
      if (this.helper?.attachMedia(conn)) return;
      log.warn(`refused a media connection from ${shownId}`);
      return conn.close();
    }
    if (this.kind() === 'awaiting' && this.expiredNow()) this.onExpired();
    if (this.helper || this.kind() !== 'awaiting') {
      const reason: EndReason = this.endReason ?? 'alreadyUsed';
      log.warn(`refused a helper (${shownId}): ${reason === 'alreadyUsed' ? 'the invitation is in use' : `the invitation is closed (${reason})`}`);
      this.recordRefusal(reason, shownId);
      conn.on('open', () => {
        conn.send(encodeMessage({ type: 'bye', reason, message: describeEnd(reason) }));
        setTimeout(() => conn.close(), 100);
      });
      return;
    }
    const helper = new HelperLink(conn, shownId, this.port);
    this.helper = helper;
    this.machine.to({ kind: 'verifying', helperName: helper.name });
    log.info(`a helper is connecting (${shownId})`);
    this.audit.connected(helper);
  }

  /** What each helper's pieces may ask of the session (see helperLink.ts). */
  private makePort(): HelperPort {
    return {
      log: this.options.log,
      hostName: this.options.hostName,
      consentTimeoutMs: this.options.consentTimeoutMs,
      maxFps: this.options.maxFps,
      lostSilenceMs: this.options.linkLostSilenceMs ?? LINK_LOST_SILENCE_MS,
      proofKey: () => this.proofKey!,
      lock: this.lock,
      resumeLock: this.resume.lock,
      dropped: this.dropped,
      invitation: () => this.invitationValue!,
      agent: () => this.agent!,
      state: () => this.kind(),
      current: (helper) => (this.helper === helper || this.resume.isCandidate(helper)) && !isFinal(this.machine.state),
      expired: () => this.expiredNow() && (this.onExpired(), true),
      send: (message) => this.send(message),
      record: (event, helper) => this.record(event, helper),
      notify: (message) => this.options.ui.notify(message),
      reject: (helper, reason) => this.resume.drop(helper) || this.rejectHelper(helper, reason),
      end: (reason, message) => this.end(reason, message),
      proved: (helper, code, transcript) => void (this.resume.remember(this.proofKey!, transcript), this.onProved(helper, code)),
      resumed: (helper) => this.resume.resumed(helper),
      resumeFailed: (helper, attempt, locked) => this.resume.failed(helper, attempt, locked),
      showing: () => this.kind() === 'viewing' || this.kind() === 'controlled',
      viewGranted: (helper) => this.helper === helper && (this.relay.viewGranted(), this.pause.viewGranted(), this.laser.viewGranted(), this.monitors.viewGranted()),
      paused: () => this.pause.paused,
      leaveSignaling: () => void (this.link?.leave() && this.options.log.info('left the signaling server: the invitation cannot be used again')),
      message: (helper, message) => this.onMessage(helper, message).catch((error: unknown) => this.options.log.error(error instanceof Error ? error : String(error))),
      // A candidate is sent away (the invitation stays open), an admitted helper ends the session.
      misbehaved: (helper) => this.resume.drop(helper) ||
        (this.kind() === 'verifying' || this.kind() === 'asking'
          ? this.rejectHelper(helper, 'protocolError')
          : this.end('protocolError', 'The helper sent too many malformed or excess messages and was disconnected.')),
      // A cut closes nothing here (node-datachannel hears nothing until ICE consent expires): a close is the helper
      // leaving, its bye lost with the page. While reconnecting, the cut link's late close changes nothing.
      closed: (helper) => void (this.resume.drop(helper) || (this.kind() === 'reconnecting' && this.helper === helper) || this.onHelperGone(helper, 'helperEnded')),
    };
  }

  private async onMessage(helper: HelperLink, message: HelperMessage): Promise<void> {
    const { log } = this.options;
    switch (message.type) {
      case 'hello':
        helper.name = message.helperName || 'A helper';
        return helper.handshake.onHello(message);
      case 'resume':
        helper.resumeFrom = message.lastFrame;
        return helper.handshake.onHello(message);
      case 'proof':
        return helper.handshake.onProof(message.mac);
      case 'mediaProof':
        return helper.handshake.onMediaProof(message.mac);
      case 'requestControl':
        return this.control.request(helper);
      case 'releaseControl':
        if (this.kind() === 'controlled') this.control.drop('released');
        return;
      case 'pointerMove':
      case 'pointerButton':
      case 'wheel':
      case 'key':
      case 'text':
        return this.control.input(helper, message);
      case 'releaseAll':
        return this.releaseInput();
      case 'frameAck':
        return helper.pump.ack(message.id);
      case 'refresh':
        log.info('the helper lost its picture: the whole screen goes again');
        return helper.pump.refresh();
      case 'chat':
        return this.relay.received(message.text);
      case 'clipboard':
        return void this.clipboard.received(message.text);
      case 'clipboardRequest':
        return this.clipboard.requested(helper);
      case 'laser':
        return this.laser.received(message);
      case 'monitorRequest':
        return this.monitors.requested(message.name);
      case 'heartbeat':
        return;
      case 'bye':
        if (this.resume.drop(helper)) return;
        log.info(`the helper left (${message.reason})`);
        return this.onHelperGone(helper, 'helperEnded');
      default:
        return assertNever(message);
    }
  }

  /** The helper proved the code and was welcomed: the person at the machine is asked. */
  private async onProved(helper: HelperLink, code: string): Promise<void> {
    const { log } = this.options;
    log.info(`${helper.name} proved the invitation code; asking the host (verification code ${code})`);
    this.machine.to({ kind: 'asking', helperName: helper.name });
    this.watch(helper);
    const allowed = await this.options.ui.askToView({ helperName: helper.name, verificationCode: code, timeoutMs: this.options.consentTimeoutMs });
    if (this.helper !== helper || this.kind() !== 'asking') return;
    if (allowed) return this.admit(helper);
    this.denials++;
    log.info(`the host did not allow ${helper.name} (${this.denials} of ${MAX_DENIALS})`);
    this.record({ event: 'denied' }, helper);
    if (this.denials < MAX_DENIALS) return this.rejectHelper(helper, 'denied');
    // Every request is a prompt in the host's face: a code that keeps being tried is closed, like a wrong one.
    this.options.ui.notify(`Your Remote Assist invitation was closed after ${MAX_DENIALS} requests to view that you did not allow.`);
    this.end('denied', `The invitation was closed after ${MAX_DENIALS} requests to view that were not allowed.`);
  }

  private releaseInput(): void { this.control.release(); }

  /**
   * Heartbeats both ways from the proof on: while the helper controls, held input released after a second of silence;
   * a cut after a few.
   */
  private watch(helper: HelperLink): void {
    helper.lastHeard = Date.now();
    helper.startHeartbeat(() => this.releaseInput(), (silence) => {
      if (this.helper !== helper) return;
      this.options.log.warn(`nothing heard from the helper for ${silence} ms`);
      if (!this.resume.cut(helper, 'silence')) this.onHelperGone(helper, 'peerGone');
    }, () => this.kind() === 'controlled');
  }

  /** The link was cut (resume.ts): control dropped, held input released, the helper will have to ask again. */
  private enterReconnecting(): void {
    if (this.kind() === 'controlled') this.record({ event: 'controlEnded' }, this.helper);
    this.releaseInput();
    this.helper?.stopHeartbeat();
    this.machine.to({ kind: 'reconnecting', helperName: this.helper?.name ?? '' });
  }

  /**
   * The resumed helper's link takes the old one's place; the screen goes again, with what else is shared: only what
   * may differ from the frame the helper says it still shows (paintedLog.ts), else the whole screen.
   */
  private adopt(link: HelperLink): void {
    const old = this.helper;
    this.helper = link;
    old?.close();
    const parts = old?.pump.painted.since(link.resumeFrom);
    if (parts) link.pump.resumeOver(parts);
    this.options.log.info(parts ? `the helper still shows frame ${link.resumeFrom}: ${parts.length} part(s) painted again, not the whole screen` : 'the whole screen goes again');
    this.machine.to({ kind: 'viewing', helperName: link.name });
    this.watch(link);
    link.grantView();
  }

  /** Sends a candidate helper away and waits for the next one. */
  private rejectHelper(helper: HelperLink, reason: EndReason): void {
    if (this.helper !== helper) return;
    this.send({ type: 'bye', reason, message: describeEnd(reason) });
    this.helper = undefined;
    helper.close();
    if (!isFinal(this.machine.state) && this.invitationValue) {
      this.machine.to({ kind: 'awaiting', code: this.codeValue, expiresAt: this.invitationValue.expiresAt });
    }
  }

  private onHelperGone(helper: HelperLink, reason: EndReason): void {
    const state = this.kind();
    if (state === 'verifying' || state === 'asking') return this.rejectHelper(helper, reason);
    this.releaseInput();
    this.end(reason, reason === 'peerGone' ? 'The helper stopped answering; the session was ended.' : 'The helper ended the session.', 'remote');
  }

  /** The host said yes: the invitation is spent; the screen flows once the media connection checks out. */
  private admit(helper: HelperLink): void {
    this.machine.to({ kind: 'viewing', helperName: helper.name });
    this.options.log.info(`${helper.name} admitted; the invitation is spent`);
    this.record({ event: 'allowed' }, helper);
    const mediaLate = () => this.helper === helper && !helper.viewGranted && !helper.handshake.verified && this.end('protocolError', "The helper's screen connection did not open.");
    this.timer(setTimeout(mediaLate, MEDIA_OPEN_TIMEOUT_MS));
    if (helper.handshake.verified) helper.grantView();
  }

  private send(message: HostMessage): void { this.helper?.send(message); }
}
