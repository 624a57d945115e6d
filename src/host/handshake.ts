/**
 * The host's side of the handshake with one helper (extension host): hello and challenge, the helper's proof of
 * the code and the host's own, the proof of the media connection, each bound to the DTLS fingerprints of its
 * connection; and the lock that closes an invitation after too many wrong proofs. See SECURITY.md, "The
 * handshake", and src/shared/proof.ts. The session decides what happens around it (the prompt, the expiry).
 *
 * The same class runs a resume after a network cut (`resume`: made with the session's resume key, not the proof
 * key): `resume` instead of `hello`, the host answers the proof with `resumed` instead of `welcome`, and a wrong
 * proof counts against the session's resume lock (resume.ts) instead of the invitation's.
 */

import type { AuditEvent } from '../shared/audit';
import type { Invitation } from '../shared/invitation';
import type { Logger } from '../shared/log';
import { channelBinding, checkMediaProof, checkProof, makeProof, newNonce, verificationCode, type Transcript } from '../shared/proof';
import { PROTOCOL_VERSION, type EndReason, type HostMessage } from '../shared/protocol';

/** Wrong proofs an invitation takes before it is locked. */
export const MAX_FAILED_PROOFS = 5;
/** A helper has this long from opening the connection to a valid proof. */
export const HANDSHAKE_TIMEOUT_MS = 10_000;

/** Where one helper's handshake stands. Each step holds what the next check needs, and nothing else. */
export type Handshake =
  | { readonly step: 'awaitingHello' }
  /** A resume's first step: only `resume` is expected. */
  | { readonly step: 'awaitingResume' }
  | { readonly step: 'challenged'; readonly helperNonce: string; readonly hostNonce: string }
  /** The proof is being checked: a second one meets no challenge (one proof per challenge). */
  | { readonly step: 'checkingProof' }
  /** The helper proved the code; its media connection is not proved yet. */
  | { readonly step: 'awaitingMediaProof'; readonly transcript: Transcript }
  /** The media proof came before its connection was negotiated: checked when that connection opens. */
  | { readonly step: 'mediaProofWaiting'; readonly transcript: Transcript; readonly mac: string }
  | { readonly step: 'checkingMediaProof'; readonly transcript: Transcript }
  /** Both connections are the helper's own: frames may go out. */
  | { readonly step: 'verified'; readonly transcript: Transcript }
  | { readonly step: 'refused' };

export type HandshakeStep = Handshake['step'];

/** A data connection's two DTLS fingerprints, sorted; empty when either SDP has none (not negotiated yet). */
export function connectionBinding(conn: { readonly peerConnection?: unknown }): string {
  const pc = conn.peerConnection as { localDescription?: { sdp?: string } | null; remoteDescription?: { sdp?: string } | null } | undefined;
  try {
    return channelBinding(pc?.localDescription?.sdp, pc?.remoteDescription?.sdp);
  } catch {
    return '';
  }
}

/** Wrong proofs against one invitation (or one session's resume key), whoever made them. */
export class ProofLock {
  private failures = 0;

  constructor(readonly max: number = MAX_FAILED_PROOFS) {}

  /** Counts a wrong proof: which attempt it was, and whether the invitation is now locked. */
  fail(): { readonly attempt: number; readonly locked: boolean } {
    this.failures++;
    return { attempt: this.failures, locked: this.failures >= this.max };
  }
}

/** What the handshake needs from its session, for one helper. */
export interface HandshakeSession {
  readonly log: Logger;
  readonly hostName: string;
  readonly consentTimeoutMs: number;
  readonly invitation: Invitation;
  /** Whether this helper is still the session's, and the session not over. */
  current(): boolean;
  /** Ends the session if the invitation has expired (the wall clock says so); true if it did. */
  expired(): boolean;
  send(message: HostMessage): void;
  record(event: AuditEvent): void;
  notify(message: string): void;
  /** Sends this helper away; the invitation stays open. */
  reject(reason: EndReason): void;
  end(reason: EndReason, message: string): void;
  /** The helper proved the code and was welcomed: the person is to be asked. `transcript`: for the resume key. */
  proved(verificationCode: string, transcript: Transcript): void;
  /** A resume's proof was wrong (counted; the session's resume lock may now be closed). */
  resumeFailed?(attempt: number, locked: boolean): void;
  /** The media connection is the helper's own: frames may go out. */
  mediaVerified(): void;
}

/**
 * One helper's handshake. The guard admits each message only in its step (see `expected` in guard.ts); a helper
 * that has not proved the code within HANDSHAKE_TIMEOUT_MS is sent away.
 */
export class HostHandshake {
  private current: Handshake;
  private media: { readonly open: boolean; readonly peerConnection?: unknown } | undefined;
  private readonly timer: ReturnType<typeof setTimeout>;

  constructor(
    private readonly proofKey: Uint8Array,
    private readonly lock: ProofLock,
    private readonly control: { readonly peerConnection?: unknown },
    private readonly session: HandshakeSession,
    /** This is a resume: `proofKey` is the session's resume key. */
    private readonly resume = false,
  ) {
    this.current = { step: resume ? 'awaitingResume' : 'awaitingHello' };
    this.timer = setTimeout(() => {
      if (!session.current() || this.proved) return;
      session.log.warn(resume ? 'the resuming helper did not prove itself in time' : 'the helper did not prove the code in time');
      session.reject('proofFailed');
    }, HANDSHAKE_TIMEOUT_MS);
  }

  /** Whether this handshake is a resume (resume.ts). */
  get resuming(): boolean {
    return this.resume;
  }

  get state(): Handshake {
    return this.current;
  }

  get step(): HandshakeStep {
    return this.current.step;
  }

  /** The helper proved the code (its media connection may still be unproved). */
  get proved(): boolean {
    return 'transcript' in this.current;
  }

  get verified(): boolean {
    return this.current.step === 'verified';
  }

  /** The helper is gone or sent away: nothing more is checked. */
  refuse(): void {
    clearTimeout(this.timer);
    this.current = { step: 'refused' };
  }

  /** The helper's hello: the host's challenge, or the helper is sent away when it speaks another protocol. */
  onHello(message: { readonly version: number; readonly helperNonce: string }): void {
    if (this.current.step !== (this.resume ? 'awaitingResume' : 'awaitingHello')) return;
    if (message.version !== PROTOCOL_VERSION) {
      this.session.log.warn(`the helper speaks protocol ${message.version}, not ${PROTOCOL_VERSION}`);
      return this.session.reject('protocolError');
    }
    const hostNonce = newNonce();
    this.current = { step: 'challenged', helperNonce: message.helperNonce, hostNonce };
    this.session.send({ type: 'challenge', hostNonce });
  }

  /**
   * The helper's proof, over the control connection's fingerprints as the host sees them. Without them the proof
   * would not be tied to this connection: refused rather than weakened. Right: the welcome goes out (with the
   * host's own proof) and the session asks the person. Wrong: counted against the invitation.
   */
  async onProof(mac: string): Promise<void> {
    const { log } = this.session;
    const state = this.current;
    if (state.step !== 'challenged') return;
    this.current = { step: 'checkingProof' }; // one proof per challenge: a replay meets no challenge
    const binding = connectionBinding(this.control);
    if (!binding) {
      log.error('the control connection has no DTLS fingerprints: cannot bind the proof to it');
      return this.session.reject('protocolError');
    }
    log.debug(`channel binding (control): ${binding}`);
    // The invitation's expiry bounds admission; a resume continues a session that was admitted in time.
    if (!this.resume && this.session.expired()) return;
    const transcript: Transcript = { helperNonce: state.helperNonce, hostNonce: state.hostNonce, binding };
    const ok = await checkProof(this.proofKey, this.resume ? 'resume-helper' : 'helper', transcript, mac);
    if (!this.session.current()) return;
    if (!ok) return this.resume ? this.onFailedResume() : this.onFailedProof();
    if (this.resume) return this.onResumeProved(transcript);
    if (this.session.expired()) return;
    clearTimeout(this.timer);
    const [hostMac, code] = await Promise.all([makeProof(this.proofKey, 'host', transcript), verificationCode(this.proofKey, transcript)]);
    if (!this.session.current()) return;
    this.current = { step: 'awaitingMediaProof', transcript };
    const { invitation } = this.session;
    this.session.send({
      type: 'welcome',
      mac: hostMac,
      hostName: this.session.hostName,
      createdAt: invitation.createdAt.toISOString(),
      expiresAt: invitation.expiresAt.toISOString(),
      consentTimeoutMs: this.session.consentTimeoutMs,
    });
    this.session.record({ event: 'verified', verificationCode: code });
    this.session.proved(code, transcript);
    void this.checkMedia();
  }

  /** A resume's proof checked out (no expiry applies: the invitation was spent at admission). The host proves itself. */
  private async onResumeProved(transcript: Transcript): Promise<void> {
    clearTimeout(this.timer);
    const mac = await makeProof(this.proofKey, 'resume-host', transcript);
    if (!this.session.current()) return;
    this.current = { step: 'awaitingMediaProof', transcript };
    this.session.send({ type: 'resumed', mac });
    void this.checkMedia();
  }

  private onFailedResume(): void {
    this.refuse();
    const { attempt, locked } = this.lock.fail();
    this.session.log.warn(`a resume failed its proof (${attempt} of ${this.lock.max})`);
    this.session.record({ event: 'resumeFailed', attempt, maxAttempts: this.lock.max });
    this.session.resumeFailed?.(attempt, locked);
  }

  private onFailedProof(): void {
    const { log } = this.session;
    this.refuse();
    const { attempt, locked } = this.lock.fail();
    log.warn(`a helper failed to prove the invitation code (${attempt} of ${MAX_FAILED_PROOFS})`);
    this.session.record({ event: 'proofFailed', attempt, maxAttempts: MAX_FAILED_PROOFS });
    if (!locked) return this.session.reject('proofFailed');
    this.session.record({ event: 'locked', failedProofs: attempt });
    this.session.notify(`Your Remote Assist invitation was locked after ${MAX_FAILED_PROOFS} connection attempts with a wrong code.`);
    this.session.end('locked', `The invitation was locked after ${MAX_FAILED_PROOFS} attempts with a wrong code.`);
  }

  /** The helper's media connection (the only one it may open): checked once it opens and its proof is in. */
  attachMedia(media: { readonly open: boolean; readonly peerConnection?: unknown }): void {
    this.media = media;
  }

  onMediaProof(mac: string): Promise<void> {
    if (this.current.step === 'awaitingMediaProof') this.current = { step: 'mediaProofWaiting', transcript: this.current.transcript, mac };
    return this.checkMedia();
  }

  /**
   * Checks the helper's proof of its media connection once both the proof and the connection's SDPs are there
   * (called when either arrives). A wrong one means the screen would go to someone else than the helper that
   * proved the code (a relay in the middle of the media connection alone): the session ends, the host is told.
   */
  async checkMedia(): Promise<void> {
    const { log } = this.session;
    const state = this.current;
    if (state.step !== 'mediaProofWaiting') return;
    const binding = this.media ? connectionBinding(this.media) : '';
    if (!binding) {
      if (!this.media?.open) return; // not negotiated yet: checked again when it opens
      this.refuse();
      log.error('the media connection has no DTLS fingerprints: cannot check it');
      this.session.record({ event: 'mediaProofFailed' });
      return this.session.end('protocolError', "The helper's screen connection could not be checked; the session was ended.");
    }
    this.current = { step: 'checkingMediaProof', transcript: state.transcript };
    log.debug(`channel binding (media): ${binding}`);
    const ok = await checkMediaProof(this.proofKey, state.transcript, binding, state.mac);
    if (!this.session.current()) return;
    if (!ok) {
      this.refuse();
      log.error('the media connection is not the one the helper proved: someone may be relaying it');
      this.session.record({ event: 'mediaProofFailed' });
      this.session.notify('Remote Assist ended the session: the connection for your screen did not pass the security check (someone may be in the middle). Nothing was shown.');
      return this.session.end('proofFailed', "The helper's screen connection did not pass the security check; nothing was shown.");
    }
    this.current = { step: 'verified', transcript: state.transcript };
    log.info("the media connection is the helper's own");
    this.session.mediaVerified();
  }
}
