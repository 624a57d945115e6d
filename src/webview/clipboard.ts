/**
 * The helper's panel (webview): clipboard text with the host, on request only (no DOM, no PeerJS; main.ts wires it).
 * - "Send Clipboard": the extension reads the helper's clipboard and hands the text here; it goes to the host as
 *   it is (less the control characters the protocol refuses) if it fits in one control message, only while
 *   controlling (the host refuses it otherwise). Never cut: half a command pasted on the host is worse than none.
 * - "Get Host Clipboard": one request at a time; the host's person is asked. Only the answer to a request this
 *   panel made is taken: a host cannot put text on the helper's clipboard unasked.
 */

import {
  MAX_CLIPBOARD_TO_HOST,
  MAX_CONTROL_MESSAGE,
  cleanClipboard,
  clipboardFits,
  type ClipboardRefusal,
  type HelperMessage,
  type HostMessage,
} from '../shared/protocol';
import type { HelperState } from '../shared/stateMachine';

/** What the session sends for the clipboard. */
export type ClipboardOut = Extract<HelperMessage, { type: 'clipboard' | 'clipboardRequest' }>;
/** The host's answers to a request. */
export type ClipboardReply = Extract<HostMessage, { type: 'clipboard' | 'clipboardRefused' }>;

/** Whether the session may send `message` in this state: text needs control, a request needs the screen in view. */
export function clipboardAllowed(kind: HelperState['kind'], message: ClipboardOut): boolean {
  if (message.type === 'clipboard') return kind === 'controlling';
  return kind === 'viewing' || kind === 'requestingControl' || kind === 'controlling';
}

/** The helper's clipboard text as it goes to the host, or why it does not. */
export function outgoingClipboard(text: string): { readonly ok: true; readonly message: Extract<ClipboardOut, { type: 'clipboard' }> } | { readonly ok: false; readonly reason: 'empty' | 'tooLarge' } {
  const clean = cleanClipboard(text);
  if (clean.length === 0) return { ok: false, reason: 'empty' };
  if (clean.length > MAX_CLIPBOARD_TO_HOST || !clipboardFits(clean, MAX_CONTROL_MESSAGE)) return { ok: false, reason: 'tooLarge' };
  return { ok: true, message: { type: 'clipboard', text: clean } };
}

/** What to tell the helper about a refusal. */
export function refusalNotice(reason: ClipboardRefusal, host: string): string {
  switch (reason) {
    case 'denied': return `${host} did not share their clipboard.`;
    case 'empty': return `${host}'s clipboard has no text.`;
    case 'tooLarge': return `${host}'s clipboard text is too large to send (over 64 KB).`;
    case 'busy': return `${host} is already being asked for their clipboard.`;
  }
}

/** The one request this panel may have under way. */
export class ClipboardRequests {
  private pending = false;

  /** A request went out. False: one is already waiting for its answer. */
  ask(): boolean {
    if (this.pending) return false;
    this.pending = true;
    return true;
  }

  /** An answer from the host: whether it answers our request (else it is dropped). */
  answer(): boolean {
    if (!this.pending) return false;
    this.pending = false;
    return true;
  }

  /** The session is over: no answer is waited for any more. */
  reset(): void {
    this.pending = false;
  }
}
