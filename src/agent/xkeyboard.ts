/**
 * Text typed on an X11 host whatever its keyboard layout (issue 11), in the agent process: a character is typed
 * with the key and shift level that the host's own mapping gives it, found in the core keyboard mapping; a
 * character that no key types is bound for a moment to a spare keycode (ChangeKeyboardMapping), as xdotool and
 * x11vnc do. Key events go out through XTEST's FakeInput, the same way nut-js injects its own.
 *
 * Spoken with the `x11` package over a connection of its own (pure JavaScript: no native code, safe in Electron),
 * as damage.ts does. The mapping is read again after every MappingNotify (the host's layout changed, e.g.
 * `setxkbmap de` during a session, or our own binding of a spare key).
 */

import type { Logger } from '../shared/log';
import {
  XK_CAPS_LOCK,
  XK_ISO_LEVEL3_SHIFT,
  XK_NUM_LOCK,
  XK_SHIFT_L,
  XK_SHIFT_R,
  codePoints,
  indexMapping,
  keycodeOf,
  keysymForCodePoint,
  legacyKeysyms,
  spareKeycodes,
  spareRow,
  type KeyChoice,
  type KeyboardMapping,
} from './keymap';

/** Types characters on the host. */
export interface TextTyper {
  /** Types `text` (press and release, nothing left held). Rejects on failure; the caller logs. */
  type(text: string): Promise<void>;
  /** Undoes what typing changed on the host (borrowed keys), then lets go. Never rejects. */
  dispose(): Promise<void>;
  /**
   * Presses or releases a pointer button by its X number (8: back, 9: forward), which nut-js cannot; absent where
   * there is no such way. Rejects on failure.
   */
  button?(button: number, down: boolean): Promise<void>;
}

/** The slice of the x11 package's untyped API that we use. */
interface XClient {
  GetKeyboardMapping(first: number, count: number, cb: (err: Error | null, rows: number[][]) => void): void;
  ChangeKeyboardMapping(first: number, keysymsPerKeycode: number, keysyms: readonly number[]): void;
  GetModifierMapping(cb: (err: Error | null, rows: number[][]) => void): void;
  QueryKeymap(cb: (err: Error | null, keys: Uint8Array) => void): void;
  QueryPointer(window: number, cb: (err: Error | null, reply: { keyMask: number }) => void): void;
  GetInputFocus(cb: (err: Error | null, reply: unknown) => void): void;
  require(name: 'xtest', cb: (err: Error | null, ext: XTestExt) => void): void;
  on(event: 'event', listener: (ev: { name?: string; request?: number; firstKeyCode?: number; count?: number }) => void): void;
  on(event: 'error' | 'end' | 'close', listener: (err?: Error) => void): void;
  terminate?(): void;
  close?(): void;
}
interface XTestExt {
  readonly KeyPress: number;
  readonly KeyRelease: number;
  readonly ButtonPress: number;
  readonly ButtonRelease: number;
  FakeInput(type: number, keycode: number, time: number, window: number, x: number, y: number): void;
}
interface XDisplay {
  readonly client: XClient;
  readonly min_keycode: number;
  readonly max_keycode: number;
  readonly screen: readonly { readonly root: number }[];
}

/** How long an X request may take before the typing counts as failed. */
const REPLY_TIMEOUT_MS = 2000;
/**
 * How long a spare key keeps its borrowed keysym after the last use. Not restored at once: a client looks the
 * keycode up when it reads the key event, which may be after our restore reached the server (then it would type
 * nothing). Two seconds of quiet is far more than any client takes to read its events.
 */
export const SPARE_RESTORE_MS = 2000;
/** The modifier mapping's Lock row (Shift, Lock, Control, Mod1..Mod5). */
const LOCK_ROW = 1;
const LOCK_MASK = 1 << LOCK_ROW;
/** MappingNotify's `request` for modifier and keyboard mappings (2, the pointer's, does not concern us). */
const MAPPING_MODIFIER = 0;
const MAPPING_KEYBOARD = 1;

interface Layout {
  readonly mapping: KeyboardMapping;
  readonly width: number;
  readonly index: Map<number, KeyChoice>;
  readonly shift: number | undefined;
  readonly level3: number | undefined;
  readonly capsLock: number | undefined;
  /** Keycodes of the modifiers that change what a key types (all but Num Lock's and Lock's rows). */
  readonly modifiers: ReadonlySet<number>;
  readonly spares: readonly number[];
}

export class XTextTyper implements TextTyper {
  private layout: Layout | undefined;
  /** Spare keycodes bound by us, keysym by keycode, least recently used first. */
  private readonly bound = new Map<number, number>();
  private restoreTimer: ReturnType<typeof setTimeout> | undefined;
  private broken = false;
  private readonly legacy: ReadonlyMap<number, number>;

  private constructor(
    private readonly display: XDisplay,
    private readonly xtest: XTestExt,
    private readonly log: Logger,
  ) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the x11 package's keysym table, loaded with it
    this.legacy = legacyKeysyms(require('x11/lib/keysyms') as Record<string, { code: number; description: string | null }>);
  }

  /** Connects to the display in `DISPLAY`; rejects when it cannot be reached or has no XTEST. */
  static start(log: Logger, display = process.env['DISPLAY']): Promise<XTextTyper> {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazily, on Linux only
    const x11 = require('x11') as { createClient(options: { display?: string }, cb: (err: Error | null, d: XDisplay) => void): XClient };
    return new Promise<XTextTyper>((resolve, reject) => {
      let typer: XTextTyper | undefined;
      let settled = false;
      const fail = (error: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(error);
      };
      const timer = setTimeout(() => fail(new Error('the X server did not answer')), 5000);
      const client = x11.createClient({ display }, (err, d) => {
        if (err) return fail(err);
        d.client.require('xtest', (xtestErr, xtest) => {
          if (xtestErr) return fail(new Error(`no XTEST extension: ${xtestErr.message}`));
          typer = new XTextTyper(d, xtest, log);
          d.client.on('event', (ev) => {
            if (ev.name === 'MappingNotify') typer?.onMappingNotify(ev);
          });
          typer.load().then(
            () => {
              settled = true;
              clearTimeout(timer);
              resolve(typer!);
            },
            (loadErr: unknown) => fail(loadErr instanceof Error ? loadErr : new Error(String(loadErr))),
          );
        });
      });
      client.on('error', (error) => {
        if (!settled) return fail(error ?? new Error('X connection error'));
        log.warn(`X keyboard: ${error?.message ?? 'connection error'}`);
      });
      client.on('end', () => {
        if (typer) typer.broken = true;
      });
    });
  }

  async type(text: string): Promise<void> {
    if (this.broken) throw new Error('the X keyboard connection is closed');
    const layout = this.layout ?? (await this.load());
    const x = this.display.client;
    // Keys held on the helper's behalf (Shift, Ctrl, AltGr seen as Ctrl+Alt) would change what is typed, and so
    // would the host's Caps Lock: they are let go of for the moment, then put back.
    const held = await this.heldModifiers(layout);
    const capsOn = layout.capsLock !== undefined && ((await this.call<{ keyMask: number }>((cb) => x.QueryPointer(this.display.screen[0]!.root, cb))).keyMask & LOCK_MASK) !== 0;
    for (const keycode of held) this.fake(false, keycode);
    if (capsOn) this.tap(layout.capsLock!);
    try {
      for (const cp of codePoints(text)) {
        const choice = layout.index.get(cp) ?? this.bindSpare(layout, keysymForCodePoint(cp));
        if (!choice) {
          this.log.warn(`X keyboard: no key and no spare keycode to type U+${cp.toString(16).toUpperCase().padStart(4, '0')}`);
          continue;
        }
        this.typeChoice(layout, choice);
      }
    } finally {
      if (capsOn) this.tap(layout.capsLock!);
      for (const keycode of held) this.fake(true, keycode);
    }
    // One round trip: the server has applied every event before the next input (nut-js's) goes out.
    await this.call((cb) => x.GetInputFocus(cb));
    if (this.bound.size > 0) this.scheduleRestore();
  }

  /** The side buttons go out through XTEST on this connection, as the keys do: nut-js knows three buttons only. */
  async button(button: number, down: boolean): Promise<void> {
    if (this.broken) throw new Error('the X keyboard connection is closed');
    this.xtest.FakeInput(down ? this.xtest.ButtonPress : this.xtest.ButtonRelease, button, 0, 0, 0, 0);
    await this.call((cb) => this.display.client.GetInputFocus(cb));
  }

  /** Gives the spare keys back, then closes the connection. Never rejects. */
  async dispose(): Promise<void> {
    if (this.restoreTimer !== undefined) clearTimeout(this.restoreTimer);
    this.restoreTimer = undefined;
    await this.restoreSpares().catch((error: unknown) => this.log.warn(`X keyboard: giving spare keys back failed: ${String(error)}`));
    this.broken = true;
    try {
      (this.display.client.terminate ?? this.display.client.close)?.call(this.display.client);
    } catch (error) {
      this.log.debug(`X keyboard: closing: ${String(error)}`);
    }
  }

  private typeChoice(layout: Layout, choice: KeyChoice): void {
    const mods: number[] = [];
    if ((choice.level === 1 || choice.level === 3) && layout.shift !== undefined) mods.push(layout.shift);
    if (choice.level >= 2 && layout.level3 !== undefined) mods.push(layout.level3);
    for (const m of mods) this.fake(true, m);
    this.tap(choice.keycode);
    for (const m of mods.reverse()) this.fake(false, m);
  }

  /** Binds `keysym` to a spare keycode (the least recently used one when all are taken). */
  private bindSpare(layout: Layout, keysym: number): KeyChoice | undefined {
    for (const [keycode, bound] of this.bound) {
      if (bound !== keysym) continue;
      this.bound.delete(keycode);
      this.bound.set(keycode, keysym);
      return { keycode, level: 0 };
    }
    const free = layout.spares.find((k) => !this.bound.has(k)) ?? this.bound.keys().next().value;
    if (free === undefined) return undefined;
    this.bound.delete(free);
    this.bound.set(free, keysym);
    this.change(free, spareRow(keysym, layout.width));
    return { keycode: free, level: 0 };
  }

  private scheduleRestore(): void {
    if (this.restoreTimer !== undefined) clearTimeout(this.restoreTimer);
    this.restoreTimer = setTimeout(() => {
      this.restoreTimer = undefined;
      this.restoreSpares().catch((error: unknown) => this.log.warn(`X keyboard: giving spare keys back failed: ${String(error)}`));
    }, SPARE_RESTORE_MS);
    this.restoreTimer.unref?.();
  }

  /**
   * Gives the borrowed keycodes back their empty rows; those a new layout has taken since (see `load`) are left
   * alone. Resolves once the server has them.
   */
  private async restoreSpares(): Promise<void> {
    if (this.broken || this.bound.size === 0) return;
    const layout = this.layout ?? (await this.load());
    for (const keycode of this.bound.keys()) this.change(keycode, new Array<number>(layout.width).fill(0));
    this.bound.clear();
    await this.call((cb) => this.display.client.GetInputFocus(cb));
  }

  private change(keycode: number, row: readonly number[]): void {
    this.display.client.ChangeKeyboardMapping(keycode, row.length, row);
  }

  /**
   * The mapping changed (a new layout, or one of our own bindings: XKB reports both over the whole range, so they
   * cannot be told apart here): read it again before the next use. `load` then sees which bindings are still ours.
   */
  private onMappingNotify(ev: { request?: number }): void {
    if (ev.request === MAPPING_KEYBOARD || ev.request === MAPPING_MODIFIER) this.layout = undefined;
  }

  /** Reads the keyboard and modifier mappings. */
  private async load(): Promise<Layout> {
    const x = this.display.client;
    const min = this.display.min_keycode;
    const count = this.display.max_keycode - min + 1;
    const [rows, modRows] = await Promise.all([
      this.call<number[][]>((cb) => x.GetKeyboardMapping(min, count, cb)),
      this.call<number[][]>((cb) => x.GetModifierMapping(cb)),
    ]);
    const mapping: KeyboardMapping = { minKeycode: min, rows };
    const width = rows[0]?.length ?? 0;
    const numLock = keycodeOf(mapping, XK_NUM_LOCK);
    const modifiers = new Set<number>();
    const allModifiers = new Set<number>();
    modRows.forEach((row, i) => {
      for (const keycode of row) {
        if (keycode === 0) continue;
        allModifiers.add(keycode);
        if (i !== LOCK_ROW && !(numLock !== undefined && row.includes(numLock))) modifiers.add(keycode);
      }
    });
    const level3 = keycodeOf(mapping, XK_ISO_LEVEL3_SHIFT);
    // Our bindings that the mapping still holds stay ours; one that holds something else now was taken by a new
    // layout, and is neither ours to restore nor a spare.
    for (const [keycode, keysym] of this.bound) if (rows[keycode - min]?.[0] !== keysym) this.bound.delete(keycode);
    const spares = spareKeycodes(mapping, allModifiers);
    for (const keycode of this.bound.keys()) if (!spares.includes(keycode)) spares.push(keycode);
    const layout: Layout = {
      mapping,
      width,
      index: indexMapping(mapping, { hasLevel3: level3 !== undefined, legacy: this.legacy }),
      shift: keycodeOf(mapping, XK_SHIFT_L) ?? keycodeOf(mapping, XK_SHIFT_R),
      level3,
      capsLock: keycodeOf(mapping, XK_CAPS_LOCK),
      modifiers,
      spares,
    };
    this.layout = layout;
    return layout;
  }

  /** Modifier keys that are down now (ours, nut-js's, or the host's own). */
  private async heldModifiers(layout: Layout): Promise<number[]> {
    if (layout.modifiers.size === 0) return [];
    const keys = await this.call<Uint8Array>((cb) => this.display.client.QueryKeymap(cb));
    return [...layout.modifiers].filter((k) => ((keys[k >> 3] ?? 0) & (1 << (k & 7))) !== 0);
  }

  private tap(keycode: number): void {
    this.fake(true, keycode);
    this.fake(false, keycode);
  }

  private fake(press: boolean, keycode: number): void {
    this.xtest.FakeInput(press ? this.xtest.KeyPress : this.xtest.KeyRelease, keycode, 0, 0, 0, 0);
  }

  /** One request with a reply, as a promise that rejects on an X error or after REPLY_TIMEOUT_MS. */
  private call<T>(send: (cb: (err: Error | null, value: T) => void) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the X server did not answer')), REPLY_TIMEOUT_MS);
      send((err, value) => {
        clearTimeout(timer);
        if (err) reject(err);
        else resolve(value);
      });
    });
  }
}
