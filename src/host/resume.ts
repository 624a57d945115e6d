/**
 * The host's side of a network cut (extension host, no `vscode`): noticing it, waiting for the same helper to come
 * back over new connections, and giving up after RESUME_WINDOW_MS. See SECURITY.md, "Resuming after a network cut".
 *
 * - The cut: heartbeats silent for LINK_LOST_SILENCE_MS (a cut path closes nothing on this side: node-datachannel
 *   hears nothing until ICE consent expires, ~30 s; a prompt close is the helper leaving, hostSession.ts). Control is
 *   dropped (the helper asks again) and held input released at once; the session shows `reconnecting`; the peer
 *   goes back on the signaling server (it left it at admission) so that the helper can dial it again.
 * - The resume: only while reconnecting. The helper dials a fresh attempt every second while older ones still try
 *   (one made during the cut waits on backed-off retransmissions when the path returns), so up to MAX_CANDIDATES
 *   attempts wait for their control connection to open. One that opens is the candidate, replacing one that has not
 *   started proving (so that a connection that never proves does not hold the place); none is taken while the
 *   candidate proves. Each attempt's media connection is dialled with its control one and tagged with it; one that
 *   comes before its control connection opened here waits for it. The candidate runs the handshake with the
 *   session's resume key (derived after the first proof, never sent), then proves its new media connection; then it
 *   becomes the session's helper, the peer leaves the signaling server again, and the screen goes again (only what
 *   may differ from the helper's last frame: hostSession.ts, paintedLog.ts). No new prompt: it is the helper the
 *   host allowed, proved by a key only that helper holds. The audit records the cut and the resume.
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
/** Resume attempts whose control connection has not opened that are kept at once (the oldest goes first). */
export const MAX_CANDIDATES = 4;

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
  /** Attempts whose control connection has not opened yet, oldest first. */
  private readonly waiting: HelperLink[] = [];
  /** The attempt whose control connection opened first: the one being proved. */
  private candidate: HelperLink | undefined;
  /** Media connections that came before their attempt's control connection opened here, oldest first. */
  private readonly early: HostConnection[] = [];
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
    return this.candidate === link || this.waiting.includes(link);
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
   * A connection while reconnecting: a control connection is a resume attempt (it waits to open), a media connection
   * goes to the attempt being proved, which dialled it. True when handled here (taken or refused); false when it is
   * not a resume's.
   */
  connection(conn: HostConnection, shownId: string): boolean {
    if (!this.reconnecting) return false;
    const { log } = this.port;
    if (conn.label === MEDIA_LABEL) {
      const candidate = this.candidate;
      if (candidate && pairs(candidate, conn) && candidate.attachMedia(conn)) return true;
      if (candidate?.handshake.step === 'awaitingResume' || (!candidate && this.waiting.some((w) => pairs(w, conn)))) {
        // The panel dials an attempt's media with its control (a connection's set-up takes seconds on a slow link),
        // so it may come before that control connection opens here: it waits for it.
        this.early.push(conn);
        if (this.early.length > MAX_CANDIDATES) this.early.shift()!.close();
        return true;
      }
      log.warn(`refused a media connection from ${shownId} while reconnecting`);
      conn.close();
      return true;
    }
    if (this.candidate && this.candidate.handshake.step !== 'awaitingResume') {
      log.warn(`refused a connection from ${shownId}: a resume is being proved`);
      conn.close();
      return true;
    }
    if (!this.key) {
      log.warn(`refused a connection from ${shownId}: this session has no resume key`);
      conn.close();
      return true;
    }
    if (this.waiting.length >= MAX_CANDIDATES) this.drop(this.waiting[0]!);
    log.info(`a helper dials in to resume (${shownId})`);
    const link = this.port.makeLink(conn, shownId, this.key);
    this.waiting.push(link);
    if (conn.open) this.opened(link);
    else conn.on('open', () => this.opened(link));
    return true;
  }

  /**
   * An attempt's control connection opened: it is the one to prove, replacing one that has not started proving (a
   * stranger's connection must not hold the place, and the helper sends `resume` as soon as its side opens).
   */
  private opened(link: HelperLink): void {
    const at = this.waiting.indexOf(link);
    if (at < 0 || !this.reconnecting) return;
    this.waiting.splice(at, 1);
    const pending = this.candidate;
    if (pending && pending.handshake.step !== 'awaitingResume') {
      this.port.log.warn(`closed an attempt to resume from ${link.shownId}: a resume is being proved`);
      return link.close();
    }
    if (pending) this.drop(pending);
    this.port.log.info(`a resume's control connection is open, ${Date.now() - this.cutAt} ms after the cut`);
    this.candidate = link;
    const media = this.early.find((m) => pairs(link, m));
    if (media) this.early.splice(this.early.indexOf(media), 1);
    if (media && !link.attachMedia(media)) media.close();
  }

  /** The candidate's connections are both proved: it is the session's helper again. */
  resumed(link: HelperLink): void {
    if (this.candidate !== link || !this.reconnecting) return;
    this.candidate = undefined;
    for (const other of this.waiting.splice(0)) other.close();
    for (const m of this.early.splice(0)) m.close();
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

  /** Sends a candidate away (wrong proof, timeout, malformed, closed): the next dial may try. True if it was one. */
  drop(link: HelperLink): boolean {
    const at = this.waiting.indexOf(link);
    if (at >= 0) this.waiting.splice(at, 1);
    else if (this.candidate === link) this.candidate = undefined;
    else return false;
    link.close();
    return true;
  }

  dispose(): void {
    this.window?.cancel();
    this.window = undefined;
    const candidates = [...this.waiting.splice(0), ...(this.candidate ? [this.candidate] : [])];
    this.candidate = undefined;
    for (const c of candidates) c.close();
    for (const m of this.early.splice(0)) m.close();
  }

  private expire(): void {
    this.window = undefined;
    if (!this.reconnecting) return;
    this.port.log.warn(`the link did not come back within ${Math.round((Date.now() - this.cutAt) / 1000)} s`);
    this.port.end('linkLost', 'The connection to your helper was lost and did not come back in time; the session was ended.');
  }
}

/**
 * Whether `media` is the media connection of `link`'s attempt: the panel tags it with its control connection's id;
 * an untagged one (an older panel, which dials media once control is open) goes with whichever attempt is proved.
 */
function pairs(link: HelperLink, media: HostConnection): boolean {
  const tag = (media.metadata as { control?: unknown } | undefined)?.control;
  return tag === undefined || tag === link.control.connectionId;
}
