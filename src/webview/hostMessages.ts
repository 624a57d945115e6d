/**
 * The helper's panel (webview): reading what the host sends on the control connection, before the session acts on
 * it. Every message is decoded and checked (parseHostMessage); what fails is counted, and a host that keeps sending
 * such messages is taken as broken. No DOM, no PeerJS.
 */

import { MAX_HOST_MESSAGE, decodeJson, parseHostMessage, type HostMessage } from '../shared/protocol';
import { preview } from './logText';

/** Malformed control messages tolerated before the host is taken as broken. */
export const MAX_MALFORMED = 20;

/** One control message read: the message, or why not and whether the session can go on (`fatal`: it cannot). */
export type HostRead =
  | { readonly ok: true; readonly message: HostMessage }
  | { readonly ok: false; readonly fatal: boolean; readonly detail: string };

export class HostMessageReader {
  private malformed = 0;

  read(data: unknown): HostRead {
    const json = decodeJson(data, MAX_HOST_MESSAGE);
    const message = parseHostMessage(json);
    if (message) return { ok: true, message };
    // A screen size the panel will not show (over 8K a side) leaves nothing to wait for: the session cannot go on.
    if (typeof json === 'object' && json !== null && (json as { type?: unknown }).type === 'viewGranted') {
      return { ok: false, fatal: true, detail: `unusable viewGranted: ${preview(data)}` };
    }
    this.malformed++;
    if (this.malformed > MAX_MALFORMED) return { ok: false, fatal: true, detail: 'too many malformed messages' };
    return { ok: false, fatal: false, detail: `malformed message from the host (${this.malformed}): ${preview(data)}` };
  }
}
