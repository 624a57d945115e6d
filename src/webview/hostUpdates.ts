/**
 * The helper's panel (webview): what the host announces once the helper sees its screen (control granted, refused,
 * paused or taken back; the host's pause of sharing; its shared context, chat, laser pointer mode, monitors and
 * clipboard answers; input its system refuses), checked against
 * the session's state and applied through the session's port. The rules are in controlGuard.ts and contextFeed.ts;
 * this file applies them, as helperSession.ts did before the resume added to it. No DOM, no PeerJS.
 */

import type { InputBlockedReason } from '../shared/inputBlocked';
import { type ControlChange, type HelperMessage, type HostMessage, assertNever } from '../shared/protocol';
import type { HelperState } from '../shared/stateMachine';
import type { LogLevel } from './bridge';
import type { ClipboardReply } from './clipboard';
import { type SharedMessage, acceptsShared } from './contextFeed';
import { ControlGuard } from './controlGuard';
import type { SessionEvents } from './helperSession';

/** What the announcements need of the session. */
export interface UpdatesPort {
  readonly guard: ControlGuard;
  readonly events: SessionEvents;
  state(): HelperState['kind'];
  hostName(): string;
  to(kind: 'viewing' | 'controlling'): void;
  send(message: HelperMessage): void;
  /** Tells the host to let go of what it holds for us. */
  releaseHeld(): void;
  protocolError(detail: string): void;
  log(level: LogLevel, message: string): void;
}

export class HostUpdates {
  constructor(private readonly port: UpdatesPort) {}

  /** A change of control (only while the screen is in view). */
  control(change: ControlChange): void {
    const { port } = this;
    const kind = port.state();
    if (kind !== 'viewing' && kind !== 'requestingControl' && kind !== 'controlling') return port.protocolError(`control in ${kind}`);
    const decision = port.guard.decide(change, kind, port.hostName());
    if (!decision.take) {
      port.log('warn', decision.why);
      if (decision.tellHost) port.send({ type: 'releaseControl' });
      return;
    }
    if (decision.to !== kind) port.to(decision.to);
    port.events.onNotice(decision.notice);
  }

  /** The host paused or resumed sharing (only once the helper views): held input is released here too. */
  paused(paused: boolean): void {
    const { port } = this;
    if (!acceptsShared(port.state())) return port.protocolError(`paused in ${port.state()}`);
    const notice = port.guard.hostPause(paused, port.state() === 'controlling', port.hostName());
    if (paused) port.releaseHeld();
    if (notice !== undefined) port.events.onPaused?.(paused);
    if (notice !== undefined) port.events.onNotice(notice);
  }

  /** The host's shared context and chat: only after its consent (see contextFeed.ts). */
  shared(message: SharedMessage): void {
    const { port } = this;
    if (!acceptsShared(port.state())) return port.protocolError(`${message.type} in ${port.state()}`);
    switch (message.type) {
      case 'sharing':
        return port.events.onSharing?.(message.sharing);
      case 'context':
        return port.events.onContext?.(message.update);
      case 'chat':
        return port.events.onChat?.(message.text);
      case 'laser':
        return port.events.onLaser?.(message.mode);
      default:
        return assertNever(message);
    }
  }

  /** The host's answer to a clipboard request (clipboard.ts checks that one was made), and its monitors or its answer to a request for one. */
  answer(reply: ClipboardReply | Extract<HostMessage, { type: 'monitors' | 'monitorRefused' }>): void {
    if (!acceptsShared(this.port.state())) return this.port.protocolError(`${reply.type} in ${this.port.state()}`);
    if (reply.type === 'monitors' || reply.type === 'monitorRefused') this.port.events.onMonitors?.(reply);
    else this.port.events.onClipboard?.(reply);
  }

  /** The host's system refuses this side's input, or takes it again (said only while controlling: see controlGuard.ts). */
  inputBlocked(reason: InputBlockedReason | null): void {
    const { port } = this;
    if (!acceptsShared(port.state())) return port.protocolError(`inputBlocked in ${port.state()}`);
    if (port.state() === 'controlling') port.events.onNotice(ControlGuard.refused(reason));
  }
}
