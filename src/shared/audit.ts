/**
 * The audit log: a record of who connected to whom, what was allowed and how it ended, kept by both sides
 * of every session (as MSRA keeps one). One JSON object per line:
 *
 *   {"time":"2026-11-25T10:12:03.120Z","side":"host","event":"allowed","peerId":"…","helperName":"Grace","hostName":"Ada"}
 *
 * `peerId` is the other side's PeerJS id; `helperName` and `hostName` are the names as each side announced
 * them. The invitation code and the proof key are never written. Pure module: the writers live elsewhere
 * (src/audit.ts writes files, tests keep records in memory).
 */

import type { EndedBy, FinalReason, HelperState } from './stateMachine';

export type AuditSide = 'host' | 'helper';

/** What happened. Each side records the events it can see; the comment says which side. */
export type AuditEvent =
  /** Host: an invitation was made. Its code is not recorded. */
  | { readonly event: 'invitationCreated'; readonly expiresAt: string }
  /** Helper: the helper set out to join a host with a code or an invitation file. */
  | { readonly event: 'joining'; readonly expiresAt: string; readonly source: 'code' | 'file' }
  /** Both: the connection to the other side is open; nothing is proved yet. */
  | { readonly event: 'connected' }
  /** Host: a connection was turned away before any handshake (the invitation is in use, spent or closed). */
  | { readonly event: 'refused'; readonly reason: string }
  /** Host: a helper's proof of the code was wrong (`attempt` of `maxAttempts` before the invitation locks). */
  | { readonly event: 'proofFailed'; readonly attempt: number; readonly maxAttempts: number }
  /** Host: the helper's screen connection is not the one it proved it opened; the session ends. */
  | { readonly event: 'mediaProofFailed' }
  /** Host: too many wrong proofs; the invitation is dead. */
  | { readonly event: 'locked'; readonly failedProofs: number }
  /** Host: the invitation expired before a helper was admitted. */
  | { readonly event: 'expired' }
  /** Both: each side proved it holds the code; `verificationCode` is what both people see. */
  | { readonly event: 'verified'; readonly verificationCode: string }
  /** Both: the host allowed the helper to see the screen. */
  | { readonly event: 'allowed' }
  /** Host: the host did not allow the helper (Deny, or no answer in time). */
  | { readonly event: 'denied' }
  /** Both: the helper asked for control. */
  | { readonly event: 'controlRequested' }
  /** Both: the host gave the helper control of mouse and keyboard. */
  | { readonly event: 'controlGranted' }
  /** Host: the host refused control. */
  | { readonly event: 'controlDenied' }
  /** Both: control ended: `revoked` by the host or `released` by the helper (the helper side does not know which). */
  | { readonly event: 'controlEnded'; readonly reason?: 'revoked' | 'released' }
  /** Host: the person at the machine moved their own mouse; the helper's input is held off. */
  | { readonly event: 'controlPaused' }
  /** Host: the pause is over; the helper's input is applied again. */
  | { readonly event: 'controlResumed' }
  /**
   * Host: the host paused sharing (`paused`: nothing captured or sent, the helper's input dropped) or resumed it
   * (`paused` false).
   */
  | { readonly event: 'screenPaused'; readonly paused: boolean }
  /**
   * Host: another monitor is shared (`monitor`, its size), chosen by the host itself (`host`), at the helper's request
   * with the host's yes (`helper`), or because the one shared is gone (`fallback`).
   */
  | { readonly event: 'monitorShared'; readonly monitor: string; readonly width: number; readonly height: number; readonly by: 'host' | 'helper' | 'fallback' }
  /** Host: the helper asked for another monitor and the host did not switch (`denied`, `busy`, `unknown`). */
  | { readonly event: 'monitorRefused'; readonly monitor: string; readonly reason: 'denied' | 'busy' | 'unknown' }
  /** Host: what the host shares besides the screen changed (its editor, debugger, terminal). */
  | { readonly event: 'sharing'; readonly editor: boolean; readonly debug: boolean; readonly terminal: boolean }
  /**
   * Both: clipboard text went to the host (`toHost`) or to the helper (`toHelper`), `characters` long. Its text is
   * never recorded.
   */
  | { readonly event: 'clipboard'; readonly direction: 'toHost' | 'toHelper'; readonly characters: number }
  /** Host: the helper asked for the host's clipboard text and got none (`denied`, `empty`, `tooLarge`, `busy`). */
  | { readonly event: 'clipboardRefused'; readonly reason: 'denied' | 'empty' | 'tooLarge' | 'busy' }
  /** Both: the link was cut (`why`: silence, a closed connection, a failed ICE state); control was dropped. */
  | { readonly event: 'linkLost'; readonly why?: 'silence' | 'closed' | 'ice' }
  /** Both: the same helper came back over new connections, proved with the session's resume key; `afterMs` since the cut. */
  | { readonly event: 'resumed'; readonly afterMs?: number }
  /** Host: a resume was refused (a wrong proof, counted: `attempt` of `maxAttempts`). */
  | { readonly event: 'resumeFailed'; readonly attempt: number; readonly maxAttempts: number }
  /** Helper: a chat message was sent to the host or received from it. Its text is never recorded. */
  | { readonly event: 'chat'; readonly direction: 'sent' | 'received' }
  /**
   * Both: the session is over, why and by whom (see `SessionEnd`); the counts are what the host dropped from
   * the helper over the whole session, and the chat messages each way (never their text).
   */
  | {
      readonly event: 'ended';
      readonly message: string;
      readonly reason?: FinalReason;
      readonly by?: EndedBy;
      readonly malformed?: number;
      readonly rateLimited?: number;
      readonly inputWithoutControl?: number;
      readonly inputWhilePaused?: number;
      readonly chatSent?: number;
      readonly chatReceived?: number;
    };

/** Who is on the other end, as far as it is known when the event is recorded. */
export interface AuditParty {
  readonly peerId?: string;
  readonly helperName?: string;
  readonly hostName?: string;
}

export interface AuditLog {
  /** Records one event. Never throws and never waits: writing happens behind the caller's back. */
  record(event: AuditEvent, party?: AuditParty): void;
}

/** One line of the audit file. */
export type AuditRecord = { readonly time: string; readonly side: AuditSide } & AuditParty & AuditEvent;

/** The record for an event, fields in a fixed order (time, side, event, peer, names, details). */
export function auditRecord(time: Date, side: AuditSide, event: AuditEvent, party: AuditParty = {}): AuditRecord {
  const { event: name, ...details } = event;
  return {
    time: time.toISOString(),
    side,
    event: name,
    ...(party.peerId !== undefined ? { peerId: party.peerId } : {}),
    ...(party.helperName !== undefined ? { helperName: party.helperName } : {}),
    ...(party.hostName !== undefined ? { hostName: party.hostName } : {}),
    ...details,
  } as AuditRecord;
}

/** The audit file a record goes to: one per UTC day, named after the day its records' `time` fields start with. */
export function auditFileName(time: Date): string {
  return `${time.toISOString().slice(0, 10)}.log`;
}

/** An audit log that records nothing. */
export const noAudit: AuditLog = { record: () => undefined };

/**
 * The helper's audit events for a move of its session, read off the states the panel reports: the helper's
 * session lives in the webview, and the extension audits what the panel tells it. States say less than the
 * protocol: a pause (the host moved their mouse) reads as control ended, then granted again.
 */
export function helperAuditEvents(previous: HelperState | undefined, state: HelperState, verificationCode: string | undefined): AuditEvent[] {
  const from = previous?.kind;
  if (from === state.kind) return [];
  const events: AuditEvent[] = [];
  if (from === 'controlling') events.push({ event: 'controlEnded' });
  switch (state.kind) {
    case 'verifying':
      events.push({ event: 'connected' });
      break;
    case 'waitingForConsent':
      events.push({ event: 'verified', verificationCode: verificationCode ?? '' });
      break;
    case 'viewing':
      if (from === 'waitingForConsent') events.push({ event: 'allowed' });
      if (from === 'reconnecting') events.push({ event: 'resumed' });
      break;
    case 'reconnecting':
      events.push({ event: 'linkLost' });
      break;
    case 'requestingControl':
      events.push({ event: 'controlRequested' });
      break;
    case 'controlling':
      events.push({ event: 'controlGranted' });
      break;
    case 'ended':
    case 'failed':
      events.push({ event: 'ended', message: state.message, reason: state.reason, by: state.by });
      break;
    case 'idle':
    case 'connecting':
      break;
  }
  return events;
}
