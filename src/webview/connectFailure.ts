/**
 * The helper's panel (webview): why a connection to the host failed, in the person's words, from how far the
 * session got. Pure: the session passes what it knows and applies the answer.
 */

import type { EndReason } from '../shared/protocol';
import type { SessionEnd } from '../shared/stateMachine';

/** How far the session got when the connect timeout fired. */
export interface ConnectProgress {
  readonly signaling: { readonly host: string; readonly port: number };
  readonly peerOpen: boolean;
  readonly controlOpen: boolean;
  readonly verified: boolean;
}

/** A session end: the final state's kind, the person's words, why and by whom, and the bye to send if any. */
export interface Failure {
  readonly kind: 'ended' | 'failed';
  readonly message: string;
  readonly end: SessionEnd;
  readonly bye?: EndReason;
}

/** The helper could not get a session going: nobody ended it, this side gave up. */
export const CONNECT_FAILED: SessionEnd = { reason: 'connectFailed', by: 'local' };

const failed = (message: string, bye?: EndReason): Failure => ({ kind: 'failed', message, end: CONNECT_FAILED, ...(bye ? { bye } : {}) });

/** The connect timeout fired: what was still missing. */
export function connectTimeoutFailure(p: ConnectProgress): Failure {
  if (!p.peerOpen) return failed(`Cannot reach the signaling server ${p.signaling.host}:${p.signaling.port}.`);
  if (!p.controlOpen) {
    return failed('The host did not answer in time. Check that the invitation is still open on their side, and that the network allows WebRTC.');
  }
  if (!p.verified) return failed('The host did not finish the security check in time.', 'helperEnded');
  return failed("The connection for the host's screen could not be opened in time.", 'helperEnded');
}

/**
 * A data connection reported an error. Undefined when the session can go on: an error on `media` once it was
 * open is left to the silence timeout and the close that follows.
 */
export function connectionErrorFailure(label: 'control' | 'media', errorType: string, mediaOpen: boolean): Failure | undefined {
  if (errorType === 'negotiation-failed') {
    return failed('Could not open a direct connection to the host: a firewall may block WebRTC, or a TURN server is needed.');
  }
  if (label === 'control' || !mediaOpen) return failed(`The connection to the host failed (${errorType}). See the log for details.`);
  return undefined;
}

/** A data connection closed: before the host was reached that is a failed connect, after it the host went away. */
export function connectionClosedFailure(connecting: boolean): Failure {
  const message = 'The connection to the host was closed.';
  return connecting ? failed(message) : { kind: 'ended', message, end: { reason: 'peerGone', by: 'remote' } };
}
