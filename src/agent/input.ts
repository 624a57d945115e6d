/**
 * Input injection with nut-js, in the agent process.
 *
 * nut-js is required lazily, at the first input: on Linux its first call segfaults the process when no X server
 * answers (the agent creates this only after `checkDisplay()` passed), and its JavaScript (~25 MB of memory) is
 * never needed while the helper only views. The screen's pixels and size come from libnut, nut-js's native part,
 * loaded in `NutInput.create()` (nativeScreen.ts), so a system that cannot run it still fails at start.
 *
 * Every key and button pressed here and not yet released is remembered, so that `releaseAll()` can undo
 * them when the helper's panel loses the focus, the helper goes away, or the agent stops: a modifier left
 * down on the host would turn the user's own typing into shortcuts.
 *
 * The person at the machine always wins (as in Quick Assist): while remote input is active, the pointer is
 * read every POINTER_POLL_MS; when it is somewhere the helper did not put it, the host's own mouse moved, so
 * everything held is released and remote input is dropped until the host's mouse has been still for
 * HOST_PAUSE_MS. A key or button the host presses on their own keyboard or mouse (hostKeys.ts tells it from
 * injected ones) pauses the same way, and each one starts the quiet time again. `onPause` hears both edges.
 */

import type { InputEvent } from './contract';
import type { ScreenArea } from './frameSource';
import { loadNativeScreen, type NativeScreen } from './nativeScreen';
import type { Pixels } from './png';
import type { Logger } from '../shared/log';
import { nutKeyName, toPixel } from '../shared/keys';
import type { MouseButton } from '../shared/protocol';
import { XTextTyper, type TextTyper } from './xkeyboard';

type Nut = typeof import('@nut-tree-fork/nut-js');
type Button = import('@nut-tree-fork/nut-js').Button;
type Key = import('@nut-tree-fork/nut-js').Key;

export interface NutInputOptions {
  /**
   * Whether the system repeats a held injected key by itself, so that the helper's repeated key-downs are
   * to be skipped. The X server does (measured on Xvfb: a key held 1.2 s through XTest typed 15 characters,
   * at its 660 ms delay and 25 Hz), and it also ignores a press of a key that is already down. Windows and
   * macOS (not measured here) are not known to repeat injected keys: there the helper's repeats go through.
   */
  readonly systemRepeatsKeys?: boolean;
  /** Called with true when the host's own mouse moved (or they pressed a key) and remote input is paused, with false when it resumes. */
  readonly onPause?: (paused: boolean) => void;
  /** Called after each injection of the helper's input: `ok` false when nut-js threw (windowsInput.ts watches). */
  readonly onInjected?: (ok: boolean) => void;
}

/**
 * How long remote input stays paused after the host's own mouse last moved. Long enough for the person at the
 * machine to finish a gesture; short enough that a helper is not locked out by a nudge of the desk.
 */
export const HOST_PAUSE_MS = 1_500;
/** How often the pointer is read while remote input is active (XQueryPointer: microseconds). */
export const POINTER_POLL_MS = 50;
/** How far (in pixels, either axis) the pointer may be from where it was put before it counts as the host's move. */
const POINTER_SLACK_PX = 1;

interface Point {
  readonly x: number;
  readonly y: number;
}

/** While errors keep coming (the X server went away, say), one is logged per this many ms. */
const ERROR_LOG_INTERVAL_MS = 5000;

export class NutInput {
  /** Loads libnut (nut-js's native part) and measures the screen. Call only when the display check has passed. */
  static async create(log: Logger, options: NutInputOptions = {}): Promise<NutInput> {
    const native = loadNativeScreen((message) => log.info(message));
    const systemRepeatsKeys = options.systemRepeatsKeys ?? (process.platform !== 'win32' && process.platform !== 'darwin');
    const input = new NutInput(native, log, systemRepeatsKeys, options.onPause, await textTyper(log), options.onInjected);
    await input.refreshScreenSize();
    return input;
  }

  /** nut-js, loaded at the first input (see the top of this file). */
  get nut(): Nut {
    return nutJs();
  }

  /** Input may follow soon: nut-js is loaded now, so that the first event does not wait for it. */
  prepare(): void {
    try {
      nutJs();
    } catch (error) {
      // The first input will fail the same way, and says so (apply() logs its errors).
      this.log.warn(`nut-js could not be loaded: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  private screen = { width: 0, height: 0 };
  private area: ScreenArea | undefined;
  /** In the order they went down, so that releaseAll() unwinds them (Ctrl+C: C, then Ctrl). */
  private readonly heldKeys = new Set<Key>();
  private readonly heldButtons = new Set<Button>();
  /** The side buttons held, by X button number (see SIDE_BUTTONS): nut-js does not know them. */
  private readonly heldSide = new Set<number>();
  private sideWarned = false;
  /** Events run one after the other, in the order they arrived. */
  private chain: Promise<void> = Promise.resolve();
  private disposed = false;
  private lastErrorLog = 0;
  private suppressedErrors = 0;
  /** Where remote input last left the pointer (read back, so scaling and clamping do not count as moves); undefined: not watching. */
  private expected: Point | undefined;
  /** Set while the host's own mouse has the upper hand: remote input is dropped until `until`. */
  private pause: { until: number; seen: Point } | undefined;
  private poller: ReturnType<typeof setInterval> | undefined;
  private pollQueued = false;
  private droppedWhilePaused = 0;

  private constructor(
    private readonly native: NativeScreen,
    private readonly log: Logger,
    private readonly systemRepeatsKeys: boolean,
    private readonly onPause: ((paused: boolean) => void) | undefined,
    private readonly typer: TextTyper,
    private readonly onInjected: ((ok: boolean) => void) | undefined,
  ) {}

  /**
   * The raw pixels of `area` (the whole screen when undefined), through XGetImage on X11: about 7 ms for 1080p,
   * against ~110 ms for an encoded screenshot. Used to tell whether anything changed, not to encode.
   */
  async grab(area: ScreenArea | undefined): Promise<Pixels> {
    return this.native.grab(area);
  }

  /** Writes the pixels of `area` into `into` at (x, y) where the grabber can (nativeScreen.ts); false: grab() and copy. */
  grabInto(area: ScreenArea | undefined, into: Pixels, x: number, y: number): boolean {
    return this.native.grabInto(area, into, x, y);
  }

  /** How grab() reads the screen (nativeScreen.ts), for the log. */
  get grabber(): string {
    return this.native.how;
  }

  /** Reads the screen size from libnut again (after a resolution change) and returns it. */
  async refreshScreenSize(): Promise<{ width: number; height: number }> {
    const { width, height } = this.native.size();
    this.screen = { width, height };
    return this.screen;
  }

  /**
   * The part of the screen that normalised coordinates cover: the part the frames show. Undefined: the
   * whole screen as nut-js measures it.
   */
  setArea(area: ScreenArea | undefined): void {
    this.area = area;
  }

  /** The size, in pixels, of what is driven (and captured). */
  drivenSize(): { width: number; height: number } {
    return this.area ? { width: this.area.width, height: this.area.height } : { ...this.screen };
  }

  /** Queues one event. Never throws; failures are logged. Dropped while the host's own mouse has the upper hand. */
  apply(event: InputEvent): void {
    if (this.disposed) return;
    void this.enqueue(event.type, async () => {
      if (this.pause) {
        this.droppedWhilePaused++;
        return;
      }
      await this.inject(event).then(() => this.onInjected?.(true), (error: unknown) => {
        this.onInjected?.(false);
        throw error;
      });
      await this.watchPointer(event.type === 'pointerMove' || event.type === 'pointerButton');
    });
  }

  /** Whether remote input is paused now because the host's own mouse moved or they pressed a key. */
  get paused(): boolean {
    return this.pause !== undefined;
  }

  /**
   * The host pressed a key or button of their own (hostKeys.ts). While remote input is active, the same pause as
   * when their mouse moves; during a pause, the quiet time starts again. The pause is set at once, so that remote
   * events already queued are dropped; the release runs in line with them. The end of the pause is poll()'s.
   */
  hostPressed(what: string): void {
    if (this.disposed) return;
    const until = Date.now() + HOST_PAUSE_MS;
    if (this.pause) {
      this.pause = { ...this.pause, until: Math.max(this.pause.until, until) };
      return;
    }
    if (!this.expected) return;
    this.pause = { until, seen: this.expected };
    void this.enqueue('pause for the host', async () => {
      const held = this.heldCount();
      await this.releaseHeld();
      this.log.info(`the host pressed ${what} of their own: remote input paused, ${held} key(s)/button(s) released`);
      this.onPause?.(true);
    });
  }

  /**
   * Releases every held button, then every held key (last pressed first), and stops watching the pointer until
   * the next event (a pause under way still runs to its end). Idempotent; never rejects.
   */
  releaseAll(): Promise<void> {
    return this.enqueue('releaseAll', async () => {
      await this.releaseHeld();
      if (!this.pause) this.stopWatching();
    });
  }

  /**
   * Remote input went out: remember where it left the pointer. `moved`: it put the pointer somewhere, so
   * that is the new expected place; else (keys, wheel) the first expected place is wherever the pointer is.
   */
  private async watchPointer(moved: boolean): Promise<void> {
    if (!moved && this.expected) return;
    const at = await this.position();
    if (!at) return;
    this.expected = at;
    this.poller ??= setInterval(() => this.poll(), POINTER_POLL_MS);
    this.poller.unref?.();
  }

  private stopWatching(): void {
    this.expected = undefined;
    if (this.poller !== undefined) clearInterval(this.poller);
    this.poller = undefined;
  }

  /** One look at the pointer, in line with the events (so it never sees a move of ours half-done). */
  private poll(): void {
    if (this.pollQueued || this.disposed) return;
    this.pollQueued = true;
    void this.enqueue('pointer check', async () => {
      this.pollQueued = false;
      const at = await this.position();
      if (!at) return;
      const now = Date.now();
      if (this.pause) {
        if (differs(at, this.pause.seen)) {
          this.pause = { until: now + HOST_PAUSE_MS, seen: at };
        } else if (now >= this.pause.until) {
          this.pause = undefined;
          this.stopWatching();
          this.log.info(`the host's mouse is still again: remote input resumes (${this.droppedWhilePaused} events dropped in the pause)`);
          this.droppedWhilePaused = 0;
          this.onPause?.(false);
        }
        return;
      }
      if (this.expected && differs(at, this.expected)) {
        this.pause = { until: now + HOST_PAUSE_MS, seen: at };
        const held = this.heldCount();
        await this.releaseHeld();
        this.log.info(
          `the host's own mouse moved (to ${at.x},${at.y}, remote input left it at ${this.expected.x},${this.expected.y}): ` +
            `remote input paused, ${held} key(s)/button(s) released`,
        );
        this.onPause?.(true);
      }
    });
  }

  private async position(): Promise<Point | undefined> {
    try {
      const p = await this.nut.mouse.getPosition();
      return { x: p.x, y: p.y };
    } catch (error) {
      this.failed('read the pointer position', error);
      return undefined;
    }
  }

  private async releaseHeld(): Promise<void> {
    for (const button of [...this.heldButtons].reverse()) {
      this.heldButtons.delete(button);
      await this.attempt(`release button ${this.nut.Button[button]}`, () => this.nut.mouse.releaseButton(button));
    }
    for (const side of [...this.heldSide].reverse()) {
      this.heldSide.delete(side);
      await this.attempt(`release button ${side}`, () => this.typer.button!(side, false));
    }
    for (const key of [...this.heldKeys].reverse()) {
      this.heldKeys.delete(key);
      await this.attempt(`release key ${this.nut.Key[key]}`, () => this.nut.keyboard.releaseKey(key));
    }
  }

  /** How many keys and buttons are down now (for the log and the tests). */
  heldCount(): number {
    return this.heldKeys.size + this.heldButtons.size + this.heldSide.size;
  }

  /** Releases what is held and refuses further events. */
  dispose(): Promise<void> {
    const released = this.releaseAll().then(() => this.typer.dispose());
    this.disposed = true;
    this.pause = undefined;
    this.stopWatching();
    return released;
  }

  private enqueue(label: string, job: () => Promise<void>): Promise<void> {
    const next = this.chain.then(job).catch((error: unknown) => this.failed(label, error));
    this.chain = next;
    return next;
  }

  private async inject(event: InputEvent): Promise<void> {
    switch (event.type) {
      case 'pointerMove':
        await this.moveTo(event.x, event.y);
        return;
      case 'pointerButton': {
        await this.moveTo(event.x, event.y);
        if (event.button === 'back' || event.button === 'forward') return this.sideButton(SIDE_BUTTONS[event.button], event.down);
        const button = this.button(event.button);
        if (event.down) {
          if (this.heldButtons.has(button)) return;
          this.heldButtons.add(button);
          await this.nut.mouse.pressButton(button);
        } else {
          if (!this.heldButtons.delete(button)) return;
          await this.nut.mouse.releaseButton(button);
        }
        return;
      }
      case 'wheel':
        // Notches; positive is down / right, as the browser's deltaY / deltaX.
        if (event.dy > 0) await this.nut.mouse.scrollDown(event.dy);
        else if (event.dy < 0) await this.nut.mouse.scrollUp(-event.dy);
        if (event.dx !== 0) await this.scrollSideways(event.dx);
        return;
      case 'key': {
        const key = this.key(event.code);
        if (key === undefined) {
          this.log.warn(`ignored unknown key code ${JSON.stringify(event.code)}`);
          return;
        }
        if (event.down) {
          // A key-down for a held key is the helper's auto-repeat: left to the system where it repeats
          // held keys itself, else pressed again. Held once either way.
          if (this.heldKeys.has(key) && this.systemRepeatsKeys) return;
          this.heldKeys.add(key);
          await this.nut.keyboard.pressKey(key);
        } else {
          // A key-up for a key not held: it went down before control began, or releaseAll() let it go.
          if (!this.heldKeys.delete(key)) return;
          await this.nut.keyboard.releaseKey(key);
        }
        return;
      }
      case 'text':
        // Pressed and released at once: text is never held.
        await this.typer.type(event.text);
        return;
      default: {
        const unknown: never = event;
        this.log.warn(`ignored unknown input event ${JSON.stringify(unknown)}`);
      }
    }
  }

  /** A normalised point (0..1 of the frames' area) in desktop pixels: where input puts the pointer, and the laser. */
  desktopPoint(x: number, y: number): { x: number; y: number } {
    const area = this.area ?? { x: 0, y: 0, ...this.screen };
    return { x: area.x + toPixel(x, area.width), y: area.y + toPixel(y, area.height) };
  }

  private async moveTo(x: number, y: number): Promise<void> {
    const p = this.desktopPoint(x, y);
    await this.nut.mouse.setPosition(new this.nut.Point(p.x, p.y));
  }

  private button(button: Exclude<MouseButton, 'back' | 'forward'>): Button {
    switch (button) {
      case 'left': return this.nut.Button.LEFT;
      case 'middle': return this.nut.Button.MIDDLE;
      case 'right': return this.nut.Button.RIGHT;
    }
  }

  /**
   * Sideways, in notches, positive to the right. On X11 as buttons 6 (left) and 7 (right) through XTEST: libnut's
   * Linux `scrollMouse` sends them the other way round (seen on Xvfb: nut-js's scrollRight pressed button 6).
   */
  private async scrollSideways(dx: number): Promise<void> {
    if (this.typer.button) {
      const button = dx > 0 ? 7 : 6;
      for (let i = 0; i < Math.abs(dx); i++) {
        await this.typer.button(button, true);
        await this.typer.button(button, false);
      }
    } else if (dx > 0) await this.nut.mouse.scrollRight(dx);
    else await this.nut.mouse.scrollLeft(-dx);
  }

  /** Back or forward: through XTEST on X11; dropped (said once in the log) where there is no way to press them. */
  private async sideButton(button: number, down: boolean): Promise<void> {
    if (!this.typer.button) {
      if (!this.sideWarned) this.log.warn('the back and forward buttons cannot be pressed on this system: dropped');
      this.sideWarned = true;
      return;
    }
    if (down) {
      if (this.heldSide.has(button)) return;
      this.heldSide.add(button);
    } else if (!this.heldSide.delete(button)) return;
    await this.typer.button(button, down);
  }

  private key(code: string): Key | undefined {
    const name = nutKeyName(code);
    if (name === undefined) return undefined;
    const value: unknown = (this.nut.Key as unknown as Record<string, unknown>)[name];
    return typeof value === 'number' ? (value as Key) : undefined;
  }

  /** Runs one release; a failure is logged and the next release still runs. */
  private async attempt(label: string, action: () => Promise<unknown>): Promise<void> {
    try {
      await action();
    } catch (error) {
      this.failed(label, error);
    }
  }

  private failed(label: string, error: unknown): void {
    const now = Date.now();
    if (now - this.lastErrorLog < ERROR_LOG_INTERVAL_MS) {
      this.suppressedErrors++;
      return;
    }
    const suppressed = this.suppressedErrors > 0 ? ` (${this.suppressedErrors} more failed since the last report)` : '';
    this.lastErrorLog = now;
    this.suppressedErrors = 0;
    this.log.error(`input ${label} failed: ${error instanceof Error ? error.message : String(error)}${suppressed}`);
  }
}

/**
 * How text is typed here. X11: with the host's own layout (xkeyboard.ts). Elsewhere, and when X will not do:
 * nut-js's `type()`, which knows the US layout only and on Linux loses Shift (PLATFORM-FACTS.md); Windows'
 * KEYEVENTF_UNICODE and macOS's CGEventKeyboardSetUnicodeString are not reachable through nut-js.
 */
async function textTyper(log: Logger): Promise<TextTyper> {
  if (process.platform === 'linux') {
    try {
      return await XTextTyper.start(log);
    } catch (error) {
      log.warn(`text is typed with nut-js (US layout only, shifted symbols may lose Shift): the X keyboard could not be used: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return {
    type: async (text) => {
      await nutJs().keyboard.type(text);
    },
    dispose: async () => undefined,
  };
}

let loadedNut: Nut | undefined;

/** nut-js, loaded on first use (see the top of this file). */
function nutJs(): Nut {
  if (!loadedNut) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazily: only input needs it, and only after the display check
    const nut = require('@nut-tree-fork/nut-js') as Nut;
    // Defaults are 100 ms (mouse) and 300 ms (keyboard) of sleep after every action.
    nut.mouse.config.autoDelayMs = 0;
    nut.keyboard.config.autoDelayMs = 0;
    loadedNut = nut;
  }
  return loadedNut;
}

/** The side buttons' numbers in X11 (and in xinput, xev and browsers on Linux). */
const SIDE_BUTTONS = { back: 8, forward: 9 } as const;

function differs(a: Point, b: Point): boolean {
  return Math.abs(a.x - b.x) > POINTER_SLACK_PX || Math.abs(a.y - b.y) > POINTER_SLACK_PX;
}
