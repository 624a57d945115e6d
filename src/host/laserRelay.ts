/**
 * The helper's laser pointer on the host's screen (extension host, no `vscode`): the helper points at something
 * without control, and the agent draws a ring there (agent/laser.ts).
 * - the helper's `laser` (its place, or hidden) goes to the agent only while the host's switch is on, the helper sees
 *   the screen (`viewGranted` told) without control, and sharing is not paused; anything else is dropped and counted;
 * - the host's switch (`remoteAssist.host.laserPointer`, then the session view's toggle) and what this screen can show
 *   reach the helper as `laser` (its mode): at once, and again right after `viewGranted`;
 * - the ring is hidden whenever it must not stay: the switch turned off, a pause, control granted, the session over;
 * - where the agent cannot draw it (not X11), the host is told once that only the helper's view shows it, and the
 *   helper that the host does not see it (`unseen`).
 * The guard has already checked the message's shape and its rate (guard.ts RATE_LIMITS).
 */

import type { Logger } from '../shared/log';
import type { HelperMessage, HostMessage, LaserMode, LaserPoint } from '../shared/protocol';
import type { HostState } from '../shared/stateMachine';

/** What the relay needs of the session. */
export interface LaserPort {
  readonly log: Logger;
  send(message: HostMessage): void;
  /** Whether the helper has been told `viewGranted` and the session shows the screen (viewing or controlled). */
  open(): boolean;
  state(): HostState['kind'];
  paused(): boolean;
  /** Draws the ring at a point, or hides it (undefined); absent while the session has no agent. */
  draw(at: LaserPoint | undefined): void;
  /** Something the person at the machine should know (a notification). */
  notify(message: string): void;
}

export class LaserRelay {
  private on: boolean;
  /** The agent said it cannot draw here (its reason); the laser is then `unseen`. */
  private cannotDraw: string | undefined;
  /** The ring may be up: a point went to the agent since it was last hidden. */
  private drawn = false;
  /** Points dropped (switched off, paused, under control, before the view was granted), for the log. */
  private dropped = 0;

  constructor(
    private readonly port: LaserPort,
    /** The host's setting, `remoteAssist.host.laserPointer`: whether it starts on. */
    enabled: boolean,
  ) {
    this.on = enabled;
  }

  /** Whether the host allows the laser pointer now. */
  get enabled(): boolean {
    return this.on;
  }

  /** What the helper is told. */
  get mode(): LaserMode {
    return !this.on ? 'off' : this.cannotDraw !== undefined ? 'unseen' : 'on';
  }

  /** The host's switch; false when nothing changed. The helper is told, and an off hides the ring at once. */
  setEnabled(on: boolean): boolean {
    if (on === this.on) return false;
    this.on = on;
    this.port.log.info(`laser pointer switched ${on ? 'on' : 'off'} by the host`);
    if (!on) this.hide();
    this.tell();
    return true;
  }

  /** `laser` from the helper. */
  received(message: Extract<HelperMessage, { type: 'laser' }>): void {
    const why = this.refusal();
    if (why !== undefined) {
      this.hide();
      // A hide is never worth a word; a point is, at the first and every hundredth.
      if (message.at && (++this.dropped === 1 || this.dropped % 100 === 0)) this.port.log.debug(`laser pointer dropped: ${why} (${this.dropped} so far)`);
      return;
    }
    if (this.cannotDraw !== undefined) return;
    this.drawn = message.at !== undefined;
    this.port.draw(message.at);
  }

  /** The agent cannot draw it: said once to the host and to the helper, then every point is dropped. */
  unavailable(reason: string): void {
    if (this.cannotDraw !== undefined) return;
    this.cannotDraw = reason;
    this.drawn = false;
    this.port.log.warn(`the laser pointer cannot be drawn on this screen (${reason}); only the helper's view shows it`);
    this.port.notify(`Your helper's laser pointer is shown only in their own view: it cannot be drawn on this screen (${reason}).`);
    this.tell();
  }

  /** The helper was just told `viewGranted`: it learns the mode. */
  viewGranted(): void {
    this.port.send({ type: 'laser', mode: this.mode });
  }

  /** Takes the ring down if it may be up (a pause, control granted, the session's state changed). */
  hide(): void {
    if (!this.drawn) return;
    this.drawn = false;
    this.port.draw(undefined);
  }

  /** Why a point is not drawn now, or undefined when it is. */
  private refusal(): string | undefined {
    if (!this.on) return 'the host switched it off';
    if (!this.port.open()) return 'the helper does not see the screen yet';
    if (this.port.state() !== 'viewing') return 'the helper has control';
    if (this.port.paused()) return 'sharing is paused';
    return undefined;
  }

  private tell(): void {
    if (this.port.open()) this.port.send({ type: 'laser', mode: this.mode });
  }
}
