/**
 * The helper's panel (webview): the laser pointer (issue 13). Without control, the helper points at something and the
 * host sees it: while the toolbar's toggle is on, the pointer's moves over the picture go to the host as `laser`
 * (at most one every LASER_INTERVAL_MS, the last place always), where the agent draws a ring (agent/laser.ts);
 * leaving the picture or switching the toggle off hides it. Over the picture the helper's own cursor becomes a red
 * ring (`#screen[data-laser]`, panel.css), so that the helper sees the mode it is in.
 *
 * The toggle (`#laser-pointer`, `aria-pressed`; Ctrl+Alt+L while the panel has the keyboard, as the view shortcuts)
 * is shown while viewing without control. The host decides whether it works (its `laser` mode): switched off there,
 * or an older host that never says, the toggle is `aria-disabled` (still focusable, so its tooltip, which says why,
 * can be read) and nothing is sent. Where the host's screen cannot show the ring (`unseen`), nothing is sent either:
 * the cursor in this view is then all there is, and the tooltip says so.
 */

import type { LaserMode, LaserPoint } from '../shared/protocol';
import { toUnit } from '../shared/keys';
import type { HelperState } from '../shared/stateMachine';
import { hostPixelAt } from './viewMode';

/** At most this often a point goes out (25 a second; the host's guard takes 40). */
export const LASER_INTERVAL_MS = 40;

/** The clock the throttle runs on: the page's timers, or a fake one in unit tests. */
export interface ThrottleClock {
  now(): number;
  after(ms: number, fn: () => void): { cancel(): void };
}

const pageClock: ThrottleClock = {
  now: () => performance.now(),
  after: (ms, fn) => {
    const timer = setTimeout(fn, ms);
    return { cancel: () => clearTimeout(timer) };
  },
};

/**
 * Sends the latest value at most once every `intervalMs`: the first at once, those that come sooner are folded into
 * one that goes when the interval is up, so the last value always goes. A value equal to the last one sent is not
 * sent again.
 */
export class Throttle<T> {
  private last: { value: T } | undefined;
  private lastAt = -Infinity;
  private pending: { value: T } | undefined;
  private timer: { cancel(): void } | undefined;

  constructor(
    private readonly send: (value: T) => void,
    private readonly same: (a: T, b: T) => boolean,
    private readonly intervalMs = LASER_INTERVAL_MS,
    private readonly clock: ThrottleClock = pageClock,
  ) {}

  push(value: T): void {
    this.pending = { value };
    if (this.timer) return;
    const wait = this.lastAt + this.intervalMs - this.clock.now();
    if (wait <= 0) return this.flush();
    this.timer = this.clock.after(wait, () => {
      this.timer = undefined;
      this.flush();
    });
  }

  /** Forgets what waits and what was sent (the next value goes at once). */
  reset(): void {
    this.timer?.cancel();
    this.timer = undefined;
    this.pending = undefined;
    this.last = undefined;
    this.lastAt = -Infinity;
  }

  private flush(): void {
    const next = this.pending;
    this.pending = undefined;
    if (!next || (this.last && this.same(this.last.value, next.value))) return;
    this.last = next;
    this.lastAt = this.clock.now();
    this.send(next.value);
  }
}

const samePoint = (a: LaserPoint | undefined, b: LaserPoint | undefined): boolean => a === b || (!!a && !!b && a.x === b.x && a.y === b.y);

/** The toggle's shortcut: Ctrl+Alt+L. */
export function isLaserShortcut(e: { readonly code: string; readonly ctrlKey: boolean; readonly altKey: boolean; readonly metaKey: boolean; readonly shiftKey: boolean }): boolean {
  return e.code === 'KeyL' && e.ctrlKey && e.altKey && !e.metaKey && !e.shiftKey;
}

export class LaserPointer {
  readonly toggle: HTMLButtonElement;
  private readonly throttle: Throttle<LaserPoint | undefined>;
  private readonly cleanup: (() => void)[] = [];
  /** The helper's toggle. */
  private on = false;
  /** Viewing without control (requesting it included): the only states the laser has. */
  private viewing = false;
  /** What the host said; undefined until it does (an older host never does). */
  private mode: LaserMode | undefined;
  private host = 'the host';
  /** A point went out since the last hide. */
  private shown = false;

  constructor(
    private readonly canvas: HTMLCanvasElement,
    /** The host's screen in pixels (0 x 0 while unknown: the canvas's size stands in). */
    private readonly screenSize: () => { readonly width: number; readonly height: number },
    send: (at: LaserPoint | undefined) => void,
    private readonly log: (message: string) => void,
  ) {
    this.throttle = new Throttle(send, samePoint);
    const toggle = document.createElement('button');
    toggle.id = 'laser-pointer';
    toggle.type = 'button';
    toggle.className = 'button secondary toggle';
    // The leading glyph stands in for a codicon (no icon font is loaded), as the keyboard toggle's does.
    toggle.textContent = '◉ Laser';
    toggle.setAttribute('aria-keyshortcuts', 'Control+Alt+L');
    toggle.hidden = true;
    this.toggle = toggle;
    this.listen(toggle, 'click', () => this.flip());
    this.listen(canvas, 'pointermove', (e) => this.onMove(e));
    this.listen(canvas, 'pointerleave', () => this.hide());
    this.listen(canvas.ownerDocument, 'keydown', (e) => {
      if (!isLaserShortcut(e) || this.toggle.hidden) return;
      e.preventDefault();
      e.stopPropagation();
      this.flip();
    });
    this.render();
  }

  /** Follows the session: offered while viewing without control; control, a pause of it or the end turn it off. */
  setState(state: HelperState): void {
    if ('hostName' in state && state.hostName) this.host = state.hostName;
    this.viewing = state.kind === 'viewing' || state.kind === 'requestingControl';
    if (!this.viewing) this.hide();
    this.render();
  }

  /** The host's word: on, switched off, or its screen cannot show it. */
  setMode(mode: LaserMode): void {
    if (mode === this.mode) return;
    this.mode = mode;
    this.log(`[panel] the host's laser pointer: ${mode}`);
    if (mode !== 'on') this.hide();
    this.render();
  }

  dispose(): void {
    this.throttle.reset();
    for (const off of this.cleanup.splice(0)) off();
  }

  private flip(): void {
    if (this.mode === 'off' || this.mode === undefined) return;
    this.on = !this.on;
    this.log(`[panel] laser pointer ${this.on ? 'on' : 'off'}`);
    if (!this.on) this.hide();
    this.render();
  }

  /** Whether moves go to the host now. */
  private sending(): boolean {
    return this.on && this.viewing && this.mode === 'on';
  }

  private onMove(e: PointerEvent): void {
    if (!this.sending()) return;
    const known = this.screenSize();
    const screen = { width: known.width || this.canvas.width || 1, height: known.height || this.canvas.height || 1 };
    const pixel = hostPixelAt(e.clientX, e.clientY, this.canvas.getBoundingClientRect(), screen);
    this.shown = true;
    this.throttle.push({ x: toUnit(pixel.x, screen.width), y: toUnit(pixel.y, screen.height) });
  }

  /** Takes the host's ring down (it would go by itself after a second still; leaving should be at once). */
  private hide(): void {
    if (!this.shown) return;
    this.shown = false;
    this.throttle.push(undefined);
  }

  private render(): void {
    const t = this.toggle;
    t.hidden = !this.viewing;
    const usable = this.mode === 'on' || this.mode === 'unseen';
    const active = this.on && usable;
    t.setAttribute('aria-pressed', String(active));
    t.setAttribute('aria-disabled', String(!usable));
    this.canvas.dataset['laser'] = String(active && this.viewing);
    t.title = !usable
      ? this.mode === 'off'
        ? `${this.host} turned the laser pointer off.`
        : `${this.host}'s Remote Assist does not offer a laser pointer.`
      : this.mode === 'unseen'
        ? `Laser pointer (Ctrl+Alt+L): ${this.host}'s screen cannot show it, so only your view does.`
        : active
          ? `Laser pointer on (Ctrl+Alt+L): ${this.host} sees a red ring where you point. Click to turn it off.`
          : `Laser pointer (Ctrl+Alt+L): point at things on ${this.host}'s screen without control.`;
  }

  private listen<K extends keyof HTMLElementEventMap>(target: HTMLElement | Document, type: K, handler: (event: HTMLElementEventMap[K]) => void): void {
    const listener = handler as EventListener;
    target.addEventListener(type, listener);
    this.cleanup.push(() => target.removeEventListener(type, listener));
  }
}
