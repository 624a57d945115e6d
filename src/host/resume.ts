/**
 * The host's side of a network cut (extension host, no `vscode`): noticing it, waiting for the same helper to come
 * back over new connections, and giving up after RESUME_WINDOW_MS. See SECURITY.md, "Resuming after a network cut".
 *
 * - The cut: heartbeats silent for LINK_LOST_SILENCE_MS (a cut path closes nothing on this side: node-datachannel
 *   hears nothing until ICE consent expires, ~30 s; a prompt close is the helper leaving, hostSession.ts). Control is
 *   dropped (the helper asks again) and held input released at once; the session shows `reconnecting`; the peer
 *   goes back on the signaling server (it left it at admission) so that the helper can dial it again.
 * - The resume: only while reconnecting, one candidate at a time (a newer one replaces one that has not started
 *   proving, so that a dial lost in the cut does not hold the slot). It runs the handshake with the session's resume
 *   key (derived after the first proof, never sent), then proves its new media connection; then it becomes the
 *   session's helper, the peer leaves the signaling server again, and the screen goes whole. No new prompt: it is the
 *   helper the host allowed, proved by a key only that helper holds. The audit records the cut and the resume.
 * - Limits: MAX_FAILED_RESUMES wrong proofs over the session end it; so does the window running out (`linkLost`).
 */

import type { AuditEvent } from '../shared/audit';
import type { Logger } from '../shared/log';
import { deriveResumeKey, type Transcript } from '../shared/proof';
import { MEDIA_LABEL, RESUME_WINDOW_MS, type EndReason } from '../shared/protocol';
import type { HostState } from '../shared/stateMachine';
import { ProofLock } from './handshake';
import type { HelperLink } from './helperLink';
import type { HostConnection } from './hostPeer';

/** Wrong resume proofs a session takes before it ends: the real helper proves right the first time. */
export const MAX_FAILED_RESUMES = 3;

/** Runs `fn` after `ms`; `cancel` stops it. */
export type Schedule = (fn: () => void, ms: number) => { cancel(): void };

const realSchedule: Schedule = (fn, ms) => {
  const t = setTimeout(fn, ms);
  return { cancel: () => clearTimeout(t) };
};

/** Why the link was taken as cut, for the log and the audit. */
export type CutCause = 'silence';

/** What the resume needs of the session. */
export interface ResumePort {
  readonly log: Logger;
  /** How long a cut may last (RESUME_WINDOW_MS; tests shorten it). */
  readonly windowMs?: number;
  /** Runs `fn` after `ms` (setTimeout by default; tests pass a fake clock). */
  readonly schedule?: Schedule;
  state(): HostState['kind'];
  /** The admitted helper, whose link may be cut. */
  helper(): HelperLink | undefined;
  /** Control dropped, held input released, `reconnecting`. */
  enterReconnecting(): void;
  /** A helper link for a resume over `conn`, proving with `resumeKey`. */
  makeLink(conn: HostConnection, shownId: string, resumeKey: Uint8Array): HelperLink;
  /** The candidate proved both connections: it becomes the session's helper, and sees the screen again. */
  adopt(link: HelperLink): void;
  /** Back on the signaling server, so that the helper can dial again. */
  rejoinSignaling(): void;
  record(event: AuditEvent, helper?: HelperLink): void;
  end(reason: EndReason, message: string): void;
}

export class HostResume {
  private key: Uint8Array | undefined;
  private candidate: HelperLink | undefined;
  private cutAt = 0;
  private window: { cancel(): void } | undefined;
  /** Wrong resume proofs over the whole session, whoever made them. */
  readonly lock = new ProofLock(MAX_FAILED_RESUMES);

  constructor(private readonly port: ResumePort) {}

  /** The helper's proof checked out: the session's resume key, from the proof key and that handshake's transcript. */
  remember(proofKey: Uint8Array, transcript: Transcript): void {
    deriveResumeKey(proofKey, transcript).then(
      (key) => void (this.key = key),
      (error: unknown) => this.port.log.error(`the resume key could not be derived: ${String(error)}`),
    );
  }

  get reconnecting(): boolean {
    return this.port.state() === 'reconnecting';
  }

  isCandidate(link: HelperLink): boolean {
    return this.candidate === link;
  }

  /**
   * The admitted helper's link looks cut. True when that is handled here: the session was showing the screen (now
   * reconnecting) or already reconnecting. False otherwise (not the admitted helper, or not admitted yet).
   */
  cut(link: HelperLink, cause: CutCause): boolean {
    if (this.port.helper() !== link) return false;
    const state = this.port.state();
    if (state === 'reconnecting') return true;
    if (state !== 'viewing' && state !== 'controlled') return false;
    const { log } = this.port;
    const windowMs = this.port.windowMs ?? RESUME_WINDOW_MS;
    log.warn(`the link to ${link.name} is cut (${cause}); control dropped, waiting ${windowMs / 1000} s for it to come back`);
    this.cutAt = Date.now();
    this.port.enterReconnecting();
    this.port.record({ event: 'linkLost', why: cause }, link);
    link.close();
    this.port.rejoinSignaling();
    this.window?.cancel();
    this.window = (this.port.schedule ?? realSchedule)(() => this.expire(), windowMs);
    return true;
  }

  /**
   * A connection while reconnecting: a control connection becomes the resume candidate, a media connection goes to
   * the candidate that dialled it. True when handled here (taken or refused); false when it is not a resume's.
   */
  connection(conn: HostConnection, shownId: string): boolean {
    if (!this.reconnecting) return false;
    const { log } = this.port;
    if (conn.label === MEDIA_LABEL) {
      if (this.candidate?.attachMedia(conn)) return true;
      log.warn(`refused a media connection from ${shownId} while reconnecting`);
      conn.close();
      return true;
    }
    const pending = this.candidate;
    if (pending && pending.handshake.step !== 'awaitingResume') {
      log.warn(`refused a connection from ${shownId}: a resume is being proved`);
      conn.close();
      return true;
    }
    if (!this.key) {
      log.warn(`refused a connection from ${shownId}: this session has no resume key`);
      conn.close();
      return true;
    }
    if (pending) this.drop(pending);
    log.info(`a helper dials in to resume (${shownId})`);
    this.candidate = this.port.makeLink(conn, shownId, this.key);
    return true;
  }

  /** The candidate's connections are both proved: it is the session's helper again. */
  resumed(link: HelperLink): void {
    if (this.candidate !== link || !this.reconnecting) return;
    this.candidate = undefined;
    this.window?.cancel();
    this.window = undefined;
    const afterMs = Date.now() - this.cutAt;
    this.port.log.info(`${link.name} resumed ${afterMs} ms after the cut`);
    this.port.adopt(link);
    this.port.record({ event: 'resumed', afterMs }, link);
  }

  /** A candidate's proof was wrong: it is sent away; the session ends once the lock closes. */
  failed(link: HelperLink, attempt: number, locked: boolean): void {
    this.drop(link);
    if (!locked) return;
    this.port.end('linkLost', `The session was ended after ${attempt} failed attempts to resume it (someone other than your helper may have tried).`);
  }

  /** Sends the candidate away (wrong proof, timeout, malformed, closed): the next dial may try. True if it was the candidate. */
  drop(link: HelperLink): boolean {
    if (this.candidate !== link) return false;
    this.candidate = undefined;
    link.close();
    return true;
  }

  dispose(): void {
    this.window?.cancel();
    this.window = undefined;
    const candidate = this.candidate;
    this.candidate = undefined;
    candidate?.close();
  }

  private expire(): void {
    this.window = undefined;
    if (!this.reconnecting) return;
    this.port.log.warn(`the link did not come back within ${Math.round((Date.now() - this.cutAt) / 1000)} s`);
    this.port.end('linkLost', 'The connection to your helper was lost and did not come back in time; the session was ended.');
  }
}
