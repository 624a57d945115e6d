/**
 * The helper's panel (webview): its side of the handshake (SECURITY.md, "The handshake"), step by step:
 *
 *   hello       the helper's nonce
 *   challenge   -> proof over both nonces and the control connection's DTLS fingerprints
 *   welcome     the host's proof is checked; the verification code follows from the transcript
 *   mediaProof  the media connection's fingerprints, proved over the authenticated control connection
 *
 * and, after a network cut, the resume over new connections with the session's resume key (derived once the host's
 * welcome checked out, never sent): `resume`, the challenge's proof, the host's `resumed`, the new mediaProof.
 *
 * Each step says what to send, or why the handshake cannot go on; the session decides what that means for it.
 * No DOM and no PeerJS: the connections' SDPs come in as text.
 */

import { type EndReason, type HelperMessage, type HostMessage, PROTOCOL_VERSION, assertNever, describeEnd } from '../shared/protocol';
import { type Transcript, channelBinding, checkProof, deriveResumeKey, makeMediaProof, makeProof, newNonce, verificationCode } from '../shared/proof';
import type { SessionEnd } from '../shared/stateMachine';
import type { LogLevel } from './bridge';

/** A connection's two session descriptions, as PeerJS's RTCPeerConnection holds them. */
export interface Sdps {
  readonly local: string | undefined;
  readonly remote: string | undefined;
}

/** Why the handshake stopped. */
export type HandshakeFailure =
  /** A host message out of its place (a protocol error). */
  | { readonly kind: 'outOfOrder'; readonly detail: string }
  /** A connection's SDPs lack a fingerprint: a proof would not be tied to it. */
  | { readonly kind: 'unbound'; readonly connection: 'control' | 'media' }
  /** The host's proof did not match: not the host that made the invitation. */
  | { readonly kind: 'hostProofFailed' };

export type StepResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly failure: HandshakeFailure };

type Step =
  | { readonly step: 'notStarted' }
  | { readonly step: 'helloSent'; readonly helperNonce: string }
  | { readonly step: 'proofSent'; readonly transcript: Transcript }
  | { readonly step: 'resumeSent'; readonly helperNonce: string }
  | { readonly step: 'resumeProofSent'; readonly transcript: Transcript }
  | { readonly step: 'done'; readonly transcript: Transcript };

/** A connection's SDPs (PeerJS's DataConnection has its RTCPeerConnection). */
export function sdpsOf(connection: { readonly peerConnection?: RTCPeerConnection | null } | undefined): Sdps {
  const pc = connection?.peerConnection;
  return { local: pc?.localDescription?.sdp, remote: pc?.remoteDescription?.sdp };
}

const fail = (failure: HandshakeFailure): StepResult<never> => ({ ok: false, failure });

export class HelperHandshake {
  private current: Step = { step: 'notStarted' };
  private code: string | undefined;
  private mediaProofMade = false;
  /** The last resume said which frame the panel still shows (the host then sends only what may differ from it). */
  askedForChanges = false;
  /** The session's resume key, once the host proved itself; media proofs use it after a resume. */
  private resumeKey: Uint8Array | undefined;
  private resumed = false;

  constructor(
    private readonly key: Uint8Array,
    private readonly log: (level: LogLevel, message: string) => void,
  ) {}

  /** The host proved itself (and the verification code is known). */
  get verified(): boolean {
    return this.current.step === 'done' && this.code !== undefined;
  }

  get verificationCode(): string | undefined {
    return this.code;
  }

  /** The first message, with a fresh nonce. */
  hello(helperName: string): Extract<HelperMessage, { type: 'hello' }> {
    const helperNonce = newNonce();
    this.current = { step: 'helloSent', helperNonce };
    return { type: 'hello', version: PROTOCOL_VERSION, helperName, helperNonce };
  }

  /** Whether the session can be resumed after a cut (the host proved itself, the resume key is derived). */
  get canResume(): boolean {
    return this.resumeKey !== undefined;
  }

  /**
   * The first message on a resume attempt's new control connection, with a fresh nonce, and the last frame drawn when
   * the picture is still shown (the host then sends only what may differ from it).
   */
  resume(lastFrame: number | undefined): Extract<HelperMessage, { type: 'resume' }> {
    const helperNonce = newNonce();
    this.current = { step: 'resumeSent', helperNonce };
    this.mediaProofMade = false;
    this.askedForChanges = lastFrame !== undefined;
    return { type: 'resume', version: PROTOCOL_VERSION, helperNonce, ...(lastFrame !== undefined ? { lastFrame } : {}) };
  }

  /** The helper's proof, bound to the control connection (made with the resume key on a resume). */
  async answerChallenge(hostNonce: string, control: Sdps): Promise<StepResult<Extract<HelperMessage, { type: 'proof' }>>> {
    const hs = this.current;
    if (hs.step !== 'helloSent' && hs.step !== 'resumeSent') return fail({ kind: 'outOfOrder', detail: `challenge during ${hs.step}` });
    const binding = channelBinding(control.local, control.remote);
    // Without both fingerprints the proof would not be tied to this connection: refuse rather than weaken it.
    if (!binding) return fail({ kind: 'unbound', connection: 'control' });
    this.log('debug', `channel binding (control): ${binding}`);
    const transcript: Transcript = { helperNonce: hs.helperNonce, hostNonce, binding };
    if (hs.step === 'resumeSent' && this.resumeKey) {
      this.current = { step: 'resumeProofSent', transcript };
      return { ok: true, value: { type: 'proof', mac: await makeProof(this.resumeKey, 'resume-helper', transcript) } };
    }
    this.current = { step: 'proofSent', transcript };
    return { ok: true, value: { type: 'proof', mac: await makeProof(this.key, 'helper', transcript) } };
  }

  /** Checks the host's `resumed` proof: the host that made the invitation, over this new connection. */
  async checkResumed(mac: string): Promise<StepResult<true>> {
    const hs = this.current;
    if (hs.step !== 'resumeProofSent' || !this.resumeKey) return fail({ kind: 'outOfOrder', detail: `resumed during ${hs.step}` });
    this.current = { step: 'done', transcript: hs.transcript };
    if (!(await checkProof(this.resumeKey, 'resume-host', hs.transcript, mac))) return fail({ kind: 'hostProofFailed' });
    this.resumed = true;
    return { ok: true, value: true };
  }

  /**
   * Checks the host's proof; on success the verification code is known, and the name to call the host by: its
   * own, else the invitation's.
   */
  async checkWelcome(message: Extract<HostMessage, { type: 'welcome' }>, expectedHostName: string): Promise<StepResult<{ hostName: string }>> {
    const hs = this.current;
    if (hs.step !== 'proofSent') return fail({ kind: 'outOfOrder', detail: `welcome during ${hs.step}` });
    this.current = { step: 'done', transcript: hs.transcript };
    if (!(await checkProof(this.key, 'host', hs.transcript, message.mac))) return fail({ kind: 'hostProofFailed' });
    this.code = await verificationCode(this.key, hs.transcript);
    this.resumeKey = await deriveResumeKey(this.key, hs.transcript);
    const own = message.hostName.trim();
    const expected = expectedHostName.trim();
    if (expected && own && expected !== own) {
      // The proof is what counts; a different display name is only worth a line in the log.
      this.log('info', `the invitation named the host "${expected}"; the host calls itself "${own}"`);
    }
    return { ok: true, value: { hostName: own || expectedHostName || 'the host' } };
  }

  /**
   * Once the host has proved itself: proves that the media connection is the one this side opened (its own DTLS
   * fingerprints), so that a relay on the media connection alone gets no frame. Undefined when it is not yet
   * time, or when it was made already (it is made once).
   */
  async mediaProof(media: Sdps): Promise<StepResult<Extract<HelperMessage, { type: 'mediaProof' }>> | undefined> {
    const hs = this.current;
    if (this.mediaProofMade || hs.step !== 'done' || this.code === undefined) return undefined;
    this.mediaProofMade = true;
    const binding = channelBinding(media.local, media.remote);
    if (!binding) return fail({ kind: 'unbound', connection: 'media' });
    this.log('debug', `channel binding (media): ${binding}`);
    const key = this.resumed && this.resumeKey ? this.resumeKey : this.key;
    return { ok: true, value: { type: 'mediaProof', mac: await makeMediaProof(key, hs.transcript, binding) } };
  }

  /** Where the handshake is, for the connect timeout's message. */
  get done(): boolean {
    return this.current.step === 'done';
  }
}

/** How the session ends when the handshake stops: the log line, the person's words, the final state and the bye. */
export function failureEnd(failure: HandshakeFailure): { log: string; message: string; end: SessionEnd; bye: EndReason } {
  switch (failure.kind) {
    case 'outOfOrder':
      return { log: `protocol error: ${failure.detail}`, message: describeEnd('protocolError'), end: { reason: 'protocolError', by: 'local' }, bye: 'protocolError' };
    case 'unbound':
      return {
        log: `no DTLS fingerprints in the ${failure.connection} connection's SDPs: the proof cannot be bound to it`,
        message: `${failure.connection === 'control' ? 'The connection to the host' : "The connection for the host's screen"} could not be secured. See the log for details.`,
        end: { reason: 'protocolError', by: 'local' },
        bye: 'protocolError',
      };
    case 'hostProofFailed':
      return { log: "the host's proof did not match", message: 'This is not the host that made the invitation.', end: { reason: 'proofFailed', by: 'local' }, bye: 'proofFailed' };
    default:
      return assertNever(failure);
  }
}
