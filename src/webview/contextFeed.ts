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

import type { ContextUpdate, Sharing } from '../shared/context';
import type { HostMessage } from '../shared/protocol';
import type { HelperState } from '../shared/stateMachine';
import type { ClipboardReply } from './clipboard';

/** The host messages of issue 12, and the laser pointer's mode (issue 13), which follows the same rule. */
export type SharedMessage = Extract<HostMessage, { type: 'sharing' | 'context' | 'chat' | 'laser' }>;

/** Whether the session takes the host's shared context and chat in this state (see the header). */
export function acceptsShared(kind: HelperState['kind']): boolean {
  return kind === 'viewing' || kind === 'requestingControl' || kind === 'controlling' || kind === 'reconnecting';
}

/** What the session tells the panel of what the host shares once the helper views (all optional: a panel may ignore any). */
export interface SharedEvents {
  /** The host's switches for what it shares (all off until the host consents to each). */
  onSharing?(sharing: Sharing): void;
  /** What the host's editor, debugger or terminal shows now (only what `onSharing` said is shared). */
  onContext?(update: ContextUpdate): void;
  /** A chat message from the host: text, to be shown as text. */
  onChat?(text: string): void;
  /** The host's answer to a clipboard request (clipboard.ts checks that one was made). */
  onClipboard?(reply: ClipboardReply): void;
  /** The host paused sharing (`true`: no picture, no input) or resumed it; the notice says which (controlGuard.ts). */
  onPaused?(paused: boolean): void;
  /** The host's monitors and the one shared, or its refusal to switch to another (monitorMenu.ts). */
  onMonitors?(message: Extract<HostMessage, { type: 'monitors' | 'monitorRefused' }>): void;
}
