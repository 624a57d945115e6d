/**
 * The host's pause of its screen (extension host, no `vscode`), as Quick Assist's Pause: the person at the machine
 * stops sharing for a moment (a password to type, a private message to read) without ending the session.
 * - while paused the frame pump asks the agent for nothing and sends nothing (framePump.ts reads `paused`);
 * - the helper's input is dropped and counted (the session asks `paused` first), and whatever it held is released
 *   at once; control, if the helper has it, stays granted;
 * - context the editor's collectors hand in is held back (the last of each kind) and goes after the resume;
 * - the helper is told (`paused`), at once and again right after `viewGranted`; the audit records each change;
 * - a resume wakes the pump and asks for a whole screen, as after the helper's `refresh`.
 * Chat goes on: the host may want to say why it paused.
 */

import type { AuditEvent } from '../shared/audit';
import type { ContextKind, ContextUpdate } from '../shared/context';
import type { Logger } from '../shared/log';
import type { HostMessage } from '../shared/protocol';

/** What the pause needs of the session. */
export interface PausePort {
  readonly log: Logger;
  send(message: HostMessage): void;
  /** Whether the session shows the screen to an admitted helper (viewing or controlled): only then may it pause. */
  showing(): boolean;
  /** Whether the helper has been told `viewGranted` (so it may be told more), the session not over. */
  open(): boolean;
  record(event: AuditEvent): void;
  /** Releases every key and button held on the helper's behalf. */
  releaseInput(): void;
  /** The current helper's frame pump, if there is one. */
  pump(): { refresh(): void; wake(): void } | undefined;
  /** Hands context on to the context relay (which applies the host's switches and its throttle). */
  share(update: ContextUpdate): void;
}

export class PauseRelay {
  private value = false;
  /** The last context of each kind handed in while paused. */
  private readonly held = new Map<ContextKind, ContextUpdate>();

  constructor(private readonly port: PausePort) {}

  get paused(): boolean {
    return this.value;
  }

  /** Pauses (`true`) or resumes sharing; false when nothing changed (already so, or no helper sees the screen). */
  set(paused: boolean): boolean {
    const { log } = this.port;
    if (paused === this.value) return false;
    if (!this.port.showing()) {
      log.debug(`${paused ? 'pause' : 'resume'} ignored: no helper sees the screen`);
      return false;
    }
    this.value = paused;
    this.port.record({ event: 'screenPaused', paused });
    log.info(paused ? 'sharing paused: nothing is captured or sent, the helper\'s input is dropped' : 'sharing resumed: the whole screen goes again');
    if (paused) this.port.releaseInput();
    if (this.port.open()) this.port.send({ type: 'paused', paused });
    const pump = this.port.pump();
    if (!paused) {
      pump?.refresh();
      const held = [...this.held.values()];
      this.held.clear();
      for (const update of held) this.port.share(update);
    }
    pump?.wake();
    return true;
  }

  /** Context from the collectors: true if it was held back (paused), false if it is the caller's to share. */
  hold(update: ContextUpdate): boolean {
    if (!this.value) return false;
    this.held.set(update.kind, update);
    return true;
  }

  /** The helper was just told `viewGranted`: a pause that began before is said now. */
  viewGranted(): void {
    if (this.value) this.port.send({ type: 'paused', paused: true });
  }

  /** The session is over: nothing held is kept. */
  dispose(): void {
    this.held.clear();
  }
}
