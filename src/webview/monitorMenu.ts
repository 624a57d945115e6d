/**
 * The helper's panel (webview): "Ask for Another Monitor", a toolbar button with a menu of the host's monitors (the
 * host's `monitors` message: plain names and sizes, shared/monitors.ts). Choosing one sends `monitorRequest`; the host
 * is asked and answers with a new `monitors` (and a picture of the new monitor) or `monitorRefused`. Shown only while
 * the screen is in view and the host has more than one monitor.
 *
 * Keyboard: the button opens the menu (Enter, Space, or Down), the arrows, Home and End move through it, Enter or
 * Space asks, Escape and Tab close it (Escape gives the focus back to the button). The menu is a WAI-ARIA menu of
 * `menuitemradio`s, the shared monitor checked and not askable.
 *
 * Stable hooks for tests: `#ask-monitor` (`aria-expanded`), `#monitor-menu`, its items `[data-monitor="NAME"]`.
 */

import { describeMonitor, type SharedMonitor } from '../shared/monitors';
import type { MonitorRefusal } from '../shared/protocol';

export interface MonitorMenuActions {
  /** The helper chose monitor `name`: ask the host. */
  ask(name: string): void;
}

const SVG = 'http://www.w3.org/2000/svg';

export class MonitorMenu {
  /** The button and its menu, for the toolbar. */
  readonly element: HTMLElement;
  private readonly button: HTMLButtonElement;
  private readonly menu: HTMLElement;
  private monitors: readonly SharedMonitor[] = [];
  private shared: string | undefined;
  private seeing = false;

  constructor(
    private readonly doc: Document,
    private readonly actions: MonitorMenuActions,
  ) {
    this.element = doc.createElement('span');
    this.element.className = 'monitor-menu';
    this.button = doc.createElement('button');
    this.button.id = 'ask-monitor';
    this.button.type = 'button';
    this.button.className = 'button secondary';
    this.button.setAttribute('aria-haspopup', 'menu');
    this.button.setAttribute('aria-controls', 'monitor-menu');
    this.button.setAttribute('aria-expanded', 'false');
    this.button.title = 'Ask the host to show you another of their monitors: they are asked each time.';
    this.button.append(desktopIcon(doc), doc.createTextNode('Ask for Another Monitor'));
    this.menu = doc.createElement('div');
    this.menu.id = 'monitor-menu';
    this.menu.className = 'menu';
    this.menu.setAttribute('role', 'menu');
    this.menu.setAttribute('aria-label', 'Monitors of the host');
    this.menu.hidden = true;
    this.element.append(this.button, this.menu);
    this.element.hidden = true;

    this.button.addEventListener('click', () => (this.menu.hidden ? this.open() : this.close(true)));
    this.button.addEventListener('keydown', (e) => {
      if (e.key !== 'ArrowDown' || !this.menu.hidden) return;
      e.preventDefault();
      this.open();
    });
    this.menu.addEventListener('keydown', (e) => this.onMenuKey(e));
    // A click or the focus anywhere else closes the menu.
    doc.addEventListener('pointerdown', (e) => {
      if (!this.menu.hidden && !this.element.contains(e.target as Node)) this.close(false);
    });
    this.element.addEventListener('focusout', (e) => {
      if (!this.menu.hidden && !this.element.contains(e.relatedTarget as Node | null)) this.close(false);
    });
  }

  /**
   * The host's monitors and the one shared. Returns what to tell the helper: the monitor now shown when it is another
   * one than before (not the first time), else undefined.
   */
  setMonitors(monitors: readonly SharedMonitor[], shared: string): string | undefined {
    const before = this.shared;
    this.monitors = monitors;
    this.shared = shared;
    this.renderItems();
    this.render();
    const now = monitors.find((m) => m.name === shared);
    return before !== undefined && before !== shared && now ? `Now showing ${describeMonitor(now)}.` : undefined;
  }

  /** Whether the screen is in view (viewing, asking for control, controlling). */
  setSeeing(seeing: boolean): void {
    this.seeing = seeing;
    this.render();
  }

  /** The monitor currently shown, as "DP-2 (1920×1080)"; undefined before the host said. */
  get current(): string | undefined {
    const m = this.monitors.find((x) => x.name === this.shared);
    return m ? describeMonitor(m) : undefined;
  }

  private render(): void {
    const visible = this.seeing && this.monitors.length > 1;
    this.element.hidden = !visible;
    if (!visible) this.close(false);
    const current = this.current;
    this.button.setAttribute('aria-label', current ? `Ask for Another Monitor (showing ${current})` : 'Ask for Another Monitor');
  }

  /** The menu's items, made again when the host's list changes (not on every state change: an open menu keeps its focus). */
  private renderItems(): void {
    this.menu.replaceChildren(
      ...this.monitors.map((m) => {
        const item = this.doc.createElement('button');
        item.type = 'button';
        item.className = 'menu-item';
        item.tabIndex = -1;
        item.dataset['monitor'] = m.name;
        const isShared = m.name === this.shared;
        item.setAttribute('role', 'menuitemradio');
        item.setAttribute('aria-checked', String(isShared));
        if (isShared) item.setAttribute('aria-disabled', 'true');
        const label = this.doc.createElement('span');
        label.textContent = describeMonitor(m);
        const note = this.doc.createElement('span');
        note.className = 'menu-note';
        note.textContent = [m.primary ? 'primary' : '', isShared ? 'shown now' : ''].filter(Boolean).join(', ');
        item.append(label, note);
        item.addEventListener('click', () => this.choose(m.name));
        return item;
      }),
    );
  }

  private items(): HTMLButtonElement[] {
    return [...this.menu.querySelectorAll<HTMLButtonElement>('.menu-item')];
  }

  private open(): void {
    if (this.monitors.length < 2) return;
    this.menu.hidden = false;
    this.button.setAttribute('aria-expanded', 'true');
    const items = this.items();
    (items.find((i) => i.getAttribute('aria-disabled') !== 'true') ?? items[0])?.focus();
  }

  private close(refocus: boolean): void {
    if (this.menu.hidden) return;
    this.menu.hidden = true;
    this.button.setAttribute('aria-expanded', 'false');
    if (refocus) this.button.focus();
  }

  private choose(name: string): void {
    if (name === this.shared) return;
    this.close(true);
    this.actions.ask(name);
  }

  private onMenuKey(e: KeyboardEvent): void {
    const items = this.items();
    const at = items.indexOf(this.doc.activeElement as HTMLButtonElement);
    const focus = (i: number): void => items[(i + items.length) % items.length]?.focus();
    switch (e.key) {
      case 'ArrowDown': focus(at + 1); break;
      case 'ArrowUp': focus(at - 1); break;
      case 'Home': focus(0); break;
      case 'End': focus(items.length - 1); break;
      case 'Escape': this.close(true); break;
      case 'Tab': this.close(false); return;
      default: return;
    }
    e.preventDefault();
    e.stopPropagation();
  }
}

/** What to tell the helper when the host did not switch. */
export function monitorRefusalNotice(reason: MonitorRefusal, host: string): string {
  switch (reason) {
    case 'denied': return `${host} kept the current monitor.`;
    case 'busy': return `${host} is already being asked about a monitor.`;
    case 'unknown': return `${host} no longer has that monitor.`;
  }
}

/** A monitor on its stand, drawn as the codicon `device-desktop` is (the panel loads no icon font), in the text's colour. */
function desktopIcon(doc: Document): SVGSVGElement {
  const svg = doc.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', '0 0 16 16');
  svg.setAttribute('width', '16');
  svg.setAttribute('height', '16');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('class', 'icon');
  const path = doc.createElementNS(SVG, 'path');
  path.setAttribute('fill', 'currentColor');
  path.setAttribute('fill-rule', 'evenodd');
  // A 14x9 screen with a 1-pixel frame, a neck and a foot.
  path.setAttribute('d', 'M1 2h14v10H9v1.5h2.5V15h-7v-1.5H7V12H1V2zm1 1v8h12V3H2z');
  svg.append(path);
  return svg;
}
