/**
 * The helper's heartbeats and its judgement of the host's silence (webview, pure apart from the clock): a tick every
 * HEARTBEAT_MS sends one when `heartbeatDue` says (every tick while controlling, else once in IDLE_HEARTBEAT_MS), and
 * silence from the host for LINK_LOST_SILENCE_MS, outside a reconnection, is a cut (`silent`).
 */

import { LINK_LOST_SILENCE_MS, heartbeatDue } from '../shared/protocol';

export interface HeartbeatPort {
  send(): void;
  controlling(): boolean;
  reconnecting(): boolean;
  /** Nothing was heard from the host for LINK_LOST_SILENCE_MS. */
  silent(): void;
}

export class HelperHeartbeat {
  private sentAt = -Infinity;
  private heardAt = 0;

  constructor(private readonly port: HeartbeatPort) {}

  /** Something came from the host. */
  heard(): void {
    this.heardAt = performance.now();
  }

  tick(): void {
    const now = performance.now();
    if (heartbeatDue(this.port.controlling(), now - this.sentAt)) {
      this.port.send();
      this.sentAt = now;
    }
    if (!this.port.reconnecting() && now - this.heardAt > LINK_LOST_SILENCE_MS) this.port.silent();
  }
}
