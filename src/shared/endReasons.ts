/**
 * Why a session ends (protocol.ts `bye`, the states' `ended`): the reasons on the wire, and the words each side shows
 * for them. Pure; protocol.ts re-exports all of it.
 */

/**
 * How long a cut link may take to come back (Wi-Fi roaming, a VPN reconnecting, a laptop lid): counted from the cut,
 * after which the session ends on both sides with `linkLost`. Each side counts on its own clock.
 */
export const RESUME_WINDOW_MS = 30_000;

/** Why a session ended, said to the other side. */
export type EndReason =
  | 'hostEnded'
  | 'helperEnded'
  | 'denied'
  | 'consentTimeout'
  | 'expired'
  | 'alreadyUsed'
  | 'proofFailed'
  | 'locked'
  | 'protocolError'
  | 'peerGone'
  | 'captureFailed'
  /** The link was cut and did not come back within RESUME_WINDOW_MS. */
  | 'linkLost';

const END_REASONS: ReadonlySet<string> = new Set<EndReason>([
  'hostEnded', 'helperEnded', 'denied', 'consentTimeout', 'expired', 'alreadyUsed', 'proofFailed', 'locked',
  'protocolError', 'peerGone', 'captureFailed', 'linkLost',
]);
/** Whether a string is one of the protocol's end reasons. */
export function isEndReason(value: unknown): value is EndReason {
  return typeof value === 'string' && END_REASONS.has(value);
}

/** Plain words for why a session ended, for the side that did not end it. */
export function describeEnd(reason: EndReason): string {
  switch (reason) {
    case 'hostEnded': return 'The person you were helping ended the session.';
    case 'helperEnded': return 'The helper ended the session.';
    case 'denied': return 'The person you wanted to help declined the connection.';
    case 'consentTimeout': return 'Nobody answered the request to connect in time.';
    case 'expired': return 'The invitation has expired. Ask for a new one.';
    case 'alreadyUsed': return 'The invitation has already been used by another helper. Ask for a new one.';
    case 'proofFailed': return 'The invitation code did not match. Check the code, or ask for a new invitation.';
    case 'locked': return 'The invitation was locked after too many wrong attempts. Ask for a new one.';
    case 'protocolError': return 'The other side sent messages that make no sense; the session was closed.';
    case 'peerGone': return 'The other side stopped answering (closed, crashed or lost its network).';
    case 'captureFailed': return "The host's screen could not be captured.";
    case 'linkLost': return `The connection was lost and did not come back within ${RESUME_WINDOW_MS / 1000} seconds. Start a new session if you still need one.`;
    default: return assertNever(reason);
  }
}

export function assertNever(value: never): never {
  throw new Error(`Unexpected value: ${JSON.stringify(value)}`);
}
