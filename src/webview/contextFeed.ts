/**
 * The helper's panel (webview): the session's rules for what the host shares with the helper's consent (its
 * editor, debugger and terminal) and for chat (issue 12). No DOM and no PeerJS: helperSession.ts applies them.
 *
 * The host shares only once its person has allowed the helper to see the screen, so `sharing`, `context` and
 * `chat` are accepted in viewing, requestingControl and controlling, and while reconnecting (only a resumed
 * connection, proved with the resume key, can carry them then: the cut one is silenced, hostLink.ts). Before that they are a protocol error (a host
 * that shares before consent is broken or hostile: the session ends with a bye); in the final states the session
 * reads nothing at all.
 */

import type { HostMessage } from '../shared/protocol';
import type { HelperState } from '../shared/stateMachine';

/** The host messages of issue 12. */
export type SharedMessage = Extract<HostMessage, { type: 'sharing' | 'context' | 'chat' }>;

/** Whether the session takes the host's shared context and chat in this state (see the header). */
export function acceptsShared(kind: HelperState['kind']): boolean {
  return kind === 'viewing' || kind === 'requestingControl' || kind === 'controlling' || kind === 'reconnecting';
}
