/**
 * Clipboard text between the host and its admitted helper (extension host, no `vscode`), never automatic:
 * - the helper's "Send Clipboard" (`clipboard`): taken only while the helper has control, since it changes the
 *   host's state; the listeners (the editor) write it to the host's clipboard and tell the person;
 * - the helper's request for the host's text (`clipboardRequest`): while the helper sees the screen, the person at
 *   the machine is asked every time, one question at a time, with Deny as the safe answer; on Allow the text goes
 *   if it fits in one host message, else the helper is told why not.
 * Both directions are audited with their size, never their text. The guard has already checked the message's shape
 * and rate (guard.ts RATE_LIMITS).
 */

import type { AuditEvent } from '../shared/audit';
import type { Logger } from '../shared/log';
import { MAX_HOST_MESSAGE, cleanClipboard, clipboardFits, type ClipboardRefusal, type HostMessage } from '../shared/protocol';
import type { HostState } from '../shared/stateMachine';
import type { Disposable } from './contextRelay';

/** What the editor does for the clipboard on the host's side; without it, every request is refused. */
export interface HostClipboard {
  /** Asks the person at the machine whether the helper may have their clipboard text; false on "no" and on timeout. */
  askToShare(request: { helperName: string; timeoutMs: number }): Promise<boolean>;
  /** The host's clipboard text now. */
  read(): Promise<string>;
}

/** What the relay needs of the session. */
export interface ClipboardPort {
  readonly log: Logger;
  readonly consentTimeoutMs: number;
  readonly clipboard: HostClipboard | undefined;
  state(): HostState['kind'];
  /** The name of the helper now admitted (as the prompt shows it). */
  helperName(): string;
  /** Whether `token` (the helper that asked) is still the session's helper. */
  current(token: object): boolean;
  send(message: HostMessage): void;
  record(event: AuditEvent): void;
}

export class ClipboardRelay {
  private readonly listeners = new Set<(text: string) => void>();
  private asking = false;

  constructor(private readonly port: ClipboardPort) {}

  /** Listens for text the helper sent for the host's clipboard (checked, and only while it has control). */
  onText(listener: (text: string) => void): Disposable {
    this.listeners.add(listener);
    return { dispose: () => void this.listeners.delete(listener) };
  }

  /** `clipboard` from the helper: dropped (and logged) unless it has control. Whether it was taken. */
  received(text: string): boolean {
    if (this.port.state() !== 'controlled') {
      this.port.log.warn(`ignored clipboard text from a helper without control (${text.length} characters)`);
      return false;
    }
    this.port.log.info(`the helper sent clipboard text (${text.length} characters)`);
    this.port.record({ event: 'clipboard', direction: 'toHost', characters: text.length });
    for (const listener of [...this.listeners]) {
      try {
        listener(text);
      } catch (error) {
        this.port.log.error(`a clipboard listener failed: ${String(error)}`);
      }
    }
    return true;
  }

  /** `clipboardRequest` from `helper`: the host is asked, then the text or a refusal goes back. */
  async requested(helper: object): Promise<void> {
    const { log } = this.port;
    if (!showing(this.port.state())) return log.warn('ignored a clipboard request while the helper does not see the screen');
    if (this.asking) return this.refuse('busy');
    const clipboard = this.port.clipboard;
    if (!clipboard) return this.refuse('denied');
    this.asking = true;
    let allowed = false;
    try {
      allowed = await clipboard.askToShare({ helperName: this.port.helperName(), timeoutMs: this.port.consentTimeoutMs });
    } finally {
      this.asking = false;
    }
    // Whatever happened while the prompt was up (control taken back, the helper gone), the answer is for this helper.
    if (!this.port.current(helper) || !showing(this.port.state())) return;
    if (!allowed) return this.refuse('denied');
    const text = cleanClipboard(await clipboard.read());
    if (!this.port.current(helper) || !showing(this.port.state())) return;
    if (text.length === 0) return this.refuse('empty');
    if (!clipboardFits(text, MAX_HOST_MESSAGE)) return this.refuse('tooLarge');
    log.info(`sent the host's clipboard text to the helper (${text.length} characters)`);
    this.port.record({ event: 'clipboard', direction: 'toHelper', characters: text.length });
    this.port.send({ type: 'clipboard', text });
  }

  dispose(): void {
    this.listeners.clear();
  }

  private refuse(reason: ClipboardRefusal): void {
    this.port.log.info(`the helper's clipboard request: ${reason}`);
    this.port.record({ event: 'clipboardRefused', reason });
    this.port.send({ type: 'clipboardRefused', reason });
  }
}

function showing(kind: HostState['kind']): boolean {
  return kind === 'viewing' || kind === 'controlled';
}
