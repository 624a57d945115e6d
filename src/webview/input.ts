/**
 * The helper's panel (webview): the helper's mouse, wheel and keyboard captured on the screen's canvas (as
 * noVNC's input modules), sent on as input messages. Pointer positions are mapped through the canvas's own box on
 * the page (its bounding client rect, which moves with scrolling and zoom; the box is the picture in every view
 * mode, see display.ts) to normalised coordinates on the host's screen, and clipped to it.
 *
 * Input is only captured while controlling; otherwise the panel is view-only and lets every key through to
 * VS Code.
 *
 * Keys (issue 11): in text mode, the default, what a key types travels as characters (`text`), so that the
 * helper's layout and the host's need not agree; shortcuts and editing, moving and function keys travel as
 * physical keys (`key`). The keyboard focus sits in a hidden textarea (the "sink") rather than on the canvas, because
 * only an editable element receives an IME's and dead keys' compositions (`compositionend`) and text that comes
 * without a key (`input`: dictation, on-screen keyboards, CDP's insertText). Physical mode sends every key by its
 * position, as before.
 */

import { MODIFIER_CODES, classifyKeyDown, isKnownKeyCode, toUnit, type KeyboardMode } from '../shared/keys';
import { splitText, type MouseButton } from '../shared/protocol';
import type { InputMessage } from './controlGuard';
import { hostPixelAt } from './viewMode';
import { NO_REST, wheelStep, type WheelRest } from './wheel';

export interface InputEvents {
  sendInput(message: InputMessage): void;
  /** The helper pressed the key that leaves the remote screen (Ctrl+Alt+Home). */
  leaveKeyboard(): void;
}

/** `PointerEvent.buttons` bits, and what the host calls them. */
const BUTTON_BITS: readonly (readonly [number, MouseButton])[] = [
  [1, 'left'],
  [2, 'right'],
  [4, 'middle'],
  [8, 'back'],
  [16, 'forward'],
];
/** Every bit of BUTTON_BITS. */
const BUTTON_MASK = 31;

type EventMap = HTMLElementEventMap & DocumentEventMap;

export class InputCapture {
  private readonly cleanup: (() => void)[] = [];
  private controlling = false;
  /** Buttons we reported down, as `PointerEvent.buttons` bits. */
  private buttons = 0;
  private pendingMove: { x: number; y: number } | undefined;
  private lastMove: { x: number; y: number } | undefined;
  private moveFrame: number | undefined;
  private mode: KeyboardMode = 'text';
  /** Fractions of a wheel notch not sent yet (trackpads: see wheel.ts). */
  private wheelRest: WheelRest = NO_REST;
  /** Codes whose key-down went out as a physical key: their key-up goes out too, whatever the modifiers then. */
  private readonly physicalDown = new Set<string>();
  /** Where the keyboard focus sits while the remote screen has it (see the header). */
  readonly sink: HTMLTextAreaElement;

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly events: InputEvents,
    /** The host's screen in pixels (0 x 0 while unknown: the canvas's size stands in). */
    private readonly screenSize: () => { readonly width: number; readonly height: number },
  ) {
    canvas.tabIndex = 0;
    this.sink = document.createElement('textarea');
    this.sink.className = 'keyboard-sink';
    this.sink.setAttribute('aria-label', 'Remote keyboard: what you type goes to the shared screen');
    this.sink.setAttribute('autocomplete', 'off');
    this.sink.setAttribute('autocapitalize', 'off');
    this.sink.spellcheck = false;
    // Beside the box that scrolls, not in it: text composed in the sink would scroll the sink, and the view, into sight.
    (canvas.closest('.viewport') ?? canvas).insertAdjacentElement('afterend', this.sink);
    this.cleanup.push(() => this.sink.remove());
    this.listen(canvas, 'pointerdown', (e) => this.onPointerDown(e));
    this.listen(canvas, 'pointermove', (e) => this.onPointer(e));
    this.listen(canvas, 'pointerup', (e) => this.onPointer(e));
    this.listen(canvas, 'pointercancel', () => this.releaseButtons());
    this.listen(canvas, 'lostpointercapture', () => this.releaseButtons());
    // Without this, a middle press starts Chromium's autoscroll and a drag selects the toolbar's text; the back and
    // forward buttons would move the page's own history on their release.
    for (const type of ['mousedown', 'mouseup', 'auxclick'] as const) {
      this.listen(canvas, type, (e) => {
        if (this.controlling) e.preventDefault();
      });
    }
    // The back and forward buttons move the page's own history on their release, and the canvas's listeners above
    // do not see that release: a cancelled pointerdown suppresses the mouse events that follow it. Seen in Chromium:
    // the panel's page went back, and the session with it. The panel has no history to move: refused page-wide.
    for (const type of ['pointerup', 'mouseup', 'auxclick'] as const) {
      this.listen(window, type, (e) => {
        if (e.button === 3 || e.button === 4) e.preventDefault();
      }, { capture: true });
    }
    this.listen(canvas, 'contextmenu', (e) => e.preventDefault());
    this.listen(canvas, 'wheel', (e) => this.onWheel(e), { passive: false });
    for (const target of [canvas, this.sink]) {
      this.listen(target, 'keydown', (e) => this.onKeyDown(e));
      this.listen(target, 'keyup', (e) => this.onKeyUp(e));
      this.listen(target, 'blur', () => this.releaseAll());
    }
    // Tabbing to the screen puts the keyboard in the sink, where compositions work.
    this.listen(canvas, 'focus', () => this.focus());
    this.listen(this.sink, 'compositionend', (e) => this.onComposed(e));
    this.listen(this.sink, 'input', (e) => this.onInput(e));
    this.listen(window, 'blur', () => this.releaseAll());
    this.listen(document, 'visibilitychange', () => {
      if (document.visibilityState === 'hidden') this.releaseAll();
    });
  }

  /** Turns input capture on or off. Off forgets local presses (the session releases them on the host). */
  setControlling(on: boolean): void {
    if (on === this.controlling) return;
    this.controlling = on;
    this.buttons = 0;
    this.pendingMove = undefined;
    this.lastMove = undefined;
    this.wheelRest = NO_REST;
    this.physicalDown.clear();
    if (this.moveFrame !== undefined) cancelAnimationFrame(this.moveFrame);
    this.moveFrame = undefined;
    this.canvas.dataset['controlling'] = String(on);
  }

  focus(): void {
    this.sink.focus({ preventScroll: true });
  }

  /** How keys travel now. */
  get keyboardMode(): KeyboardMode {
    return this.mode;
  }

  /** Switches how keys travel. Keys already down as physical keys still send their key-up. */
  setKeyboardMode(mode: KeyboardMode): void {
    this.mode = mode;
    this.canvas.dataset['keyboardMode'] = mode;
  }

  dispose(): void {
    this.setControlling(false);
    for (const off of this.cleanup.splice(0)) off();
  }

  // --- Pointer ---

  /** Normalised position on the host's screen; points off the picture clamp to the nearest edge. */
  private toScreen(clientX: number, clientY: number): { x: number; y: number } {
    const known = this.screenSize();
    const screen = { width: known.width || this.canvas.width || 1, height: known.height || this.canvas.height || 1 };
    const pixel = hostPixelAt(clientX, clientY, this.canvas.getBoundingClientRect(), screen);
    return { x: toUnit(pixel.x, screen.width), y: toUnit(pixel.y, screen.height) };
  }

  private onPointerDown(e: PointerEvent): void {
    this.focus();
    if (!this.controlling) return;
    e.preventDefault();
    // A drag that leaves the canvas still ends here, with its up.
    try {
      this.canvas.setPointerCapture(e.pointerId);
    } catch {
      // the pointer may already be gone
    }
    this.onPointer(e);
  }

  /** Reports button changes (any chord) at once, and moves once per animation frame. */
  private onPointer(e: PointerEvent): void {
    if (!this.controlling) return;
    const p = this.toScreen(e.clientX, e.clientY);
    const mask = e.buttons & BUTTON_MASK;
    if (mask !== this.buttons) {
      // The button message carries the position: a move waiting for the next frame is now stale.
      this.pendingMove = undefined;
      for (const [bit, button] of BUTTON_BITS) {
        if ((mask & bit) !== (this.buttons & bit)) {
          this.events.sendInput({ type: 'pointerButton', button, down: (mask & bit) !== 0, x: p.x, y: p.y });
        }
      }
      this.buttons = mask;
      this.lastMove = p;
      return;
    }
    if (e.type !== 'pointermove') return;
    this.pendingMove = p;
    this.moveFrame ??= requestAnimationFrame(() => this.flushMove());
  }

  private flushMove(): void {
    this.moveFrame = undefined;
    const p = this.pendingMove;
    this.pendingMove = undefined;
    if (!p || !this.controlling) return;
    if (this.lastMove && this.lastMove.x === p.x && this.lastMove.y === p.y) return;
    this.lastMove = p;
    this.events.sendInput({ type: 'pointerMove', x: p.x, y: p.y });
  }

  /** The pointer was taken away mid-press: let go of what it held. */
  private releaseButtons(): void {
    if (!this.controlling || this.buttons === 0) return;
    const p = this.lastMove ?? { x: 0.5, y: 0.5 };
    for (const [bit, button] of BUTTON_BITS) {
      if (this.buttons & bit) this.events.sendInput({ type: 'pointerButton', button, down: false, x: p.x, y: p.y });
    }
    this.buttons = 0;
  }

  private onWheel(e: WheelEvent): void {
    if (!this.controlling) return;
    e.preventDefault();
    const { dx, dy, rest } = wheelStep(this.wheelRest, e.deltaX, e.deltaY, e.deltaMode);
    this.wheelRest = rest;
    if (dx !== 0 || dy !== 0) this.events.sendInput({ type: 'wheel', dx, dy });
  }

  // --- Keyboard ---

  private onKeyDown(e: KeyboardEvent): void {
    if (!this.controlling) return;
    if (e.code === 'Home' && e.ctrlKey && e.altKey) {
      // The way out of the remote screen by keyboard alone (as Remote Desktop's Ctrl+Alt+Home).
      e.preventDefault();
      e.stopPropagation();
      this.events.leaveKeyboard();
      return;
    }
    const action = classifyKeyDown(
      {
        key: e.key,
        code: e.code,
        ctrlKey: e.ctrlKey,
        altKey: e.altKey,
        metaKey: e.metaKey,
        altGraph: e.getModifierState('AltGraph'),
        composing: e.isComposing || e.keyCode === 229,
        mac: /Mac/.test(navigator.platform),
      },
      this.mode,
    );
    // Keep VS Code's keybindings (which listen on the window) from acting on keys meant for the host;
    // modifiers alone still reach it so its idea of which modifiers are down stays right.
    if (!MODIFIER_CODES.has(e.code)) e.stopPropagation();
    switch (action.kind) {
      case 'physical':
        e.preventDefault();
        this.physicalDown.add(e.code);
        this.events.sendInput({ type: 'key', code: e.code, down: true });
        return;
      case 'text':
        // No local insertion (and so no `input` event): the characters go out here, once.
        e.preventDefault();
        this.sendText(action.text);
        return;
      case 'local':
        // An IME or a dead key at work: its text comes with compositionend or input.
        return;
    }
  }

  private onKeyUp(e: KeyboardEvent): void {
    if (!this.controlling) return;
    if (!MODIFIER_CODES.has(e.code)) e.stopPropagation();
    if (!this.physicalDown.delete(e.code) || !isKnownKeyCode(e.code)) return;
    e.preventDefault();
    this.events.sendInput({ type: 'key', code: e.code, down: false });
  }

  /** An IME or a dead key finished: its text goes out as typed. */
  private onComposed(e: CompositionEvent): void {
    if (this.controlling && this.mode === 'text') this.sendText(e.data);
    this.sink.value = '';
  }

  /** Text inserted without a key of ours (dictation, an on-screen keyboard, an emoji picker). */
  private onInput(e: Event): void {
    const input = e as InputEvent;
    // Compositions are sent once, whole, at their end; until then the sink keeps what the IME shows.
    if (input.isComposing || input.inputType === 'insertCompositionText' || input.inputType === 'insertFromComposition') return;
    if (this.controlling && this.mode === 'text' && (input.inputType === 'insertText' || input.inputType === 'insertReplacementText') && input.data) {
      this.sendText(input.data);
    }
    this.sink.value = '';
  }

  private sendText(text: string): void {
    for (const part of splitText(text)) this.events.sendInput({ type: 'text', text: part });
  }

  /** Focus left (or the panel was hidden): the host lets go of everything, and so do we. */
  private releaseAll(): void {
    if (!this.controlling) return;
    this.buttons = 0;
    this.physicalDown.clear();
    this.events.sendInput({ type: 'releaseAll' });
  }

  private listen<K extends keyof EventMap>(
    target: HTMLElement | Window | Document,
    type: K,
    handler: (event: EventMap[K]) => void,
    options?: AddEventListenerOptions,
  ): void {
    const listener = handler as EventListener;
    target.addEventListener(type, listener, options);
    this.cleanup.push(() => target.removeEventListener(type, listener, options));
  }
}
