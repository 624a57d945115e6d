/**
 * The host agent's pure keyboard logic for text mode (issue 11): which X keysym stands for a character, and which
 * key and shift level of the host's own keyboard mapping type it. No I/O; xkeyboard.ts speaks to the X server.
 *
 * A core keyboard mapping (GetKeyboardMapping) gives each keycode a row of keysyms. With XKB, the server lays
 * group 1 out as columns 0 and 1 (levels 1 and 2: plain and Shift) and 4 and 5 (levels 3 and 4: AltGr, and
 * Shift+AltGr); columns 2 and 3 repeat group 2 or group 1. Only group 1 is used: it is the group a layout such as
 * `de` or `fr` types with.
 */

export const NO_SYMBOL = 0;
export const XK_SHIFT_L = 0xffe1;
export const XK_SHIFT_R = 0xffe2;
export const XK_CAPS_LOCK = 0xffe5;
export const XK_NUM_LOCK = 0xff7f;
export const XK_ISO_LEVEL3_SHIFT = 0xfe03;
/** Unicode keysyms are this plus the code point (X11's keysymdef.h, "Unicode"). */
const UNICODE_KEYSYM = 0x0100_0000;

/** The keyboard mapping as the X server gives it: `rows[i]` holds the keysyms of keycode `minKeycode + i`. */
export interface KeyboardMapping {
  readonly minKeycode: number;
  readonly rows: readonly (readonly number[])[];
}

/** Shift levels of group 1, in the order they are tried: plain, Shift, AltGr, Shift+AltGr. */
export type Level = 0 | 1 | 2 | 3;
const LEVEL_COLUMNS: readonly [Level, number][] = [[0, 0], [1, 1], [2, 4], [3, 5]];

/** A key that types a character, and at which level. */
export interface KeyChoice {
  readonly keycode: number;
  readonly level: Level;
}

/**
 * The keysym to bind to a spare key for a character no key types: its Latin-1 keysym (which equals the code
 * point) or its Unicode keysym. Named legacy keysyms (EuroSign, Greek_alpha...) are found in the mapping through
 * `codePointOfKeysym` instead; a Unicode keysym types the same character in every client that reads keysyms.
 */
export function keysymForCodePoint(cp: number): number {
  if ((cp >= 0x20 && cp <= 0x7e) || (cp >= 0xa0 && cp <= 0xff)) return cp;
  return UNICODE_KEYSYM + cp;
}

/**
 * The character a keysym types, or undefined for keysyms that type none (function keys, modifiers, dead keys).
 * `legacy`: the named keysyms outside Latin-1 (EuroSign 0x20ac, Greek, Cyrillic...), keysym to code point.
 */
export function codePointOfKeysym(keysym: number, legacy?: ReadonlyMap<number, number>): number | undefined {
  if ((keysym >= 0x20 && keysym <= 0x7e) || (keysym >= 0xa0 && keysym <= 0xff)) return keysym;
  if (keysym >= UNICODE_KEYSYM + 0xa0 && keysym <= UNICODE_KEYSYM + 0x10_ffff) return keysym - UNICODE_KEYSYM;
  return legacy?.get(keysym);
}

/**
 * Which key types each character, from a mapping: the lowest level wins (fewer modifiers to press), then the
 * lowest keycode. Levels 3 and 4 only when the keyboard has a key for ISO_Level3_Shift to reach them with.
 */
export function indexMapping(mapping: KeyboardMapping, options: { readonly hasLevel3: boolean; readonly legacy?: ReadonlyMap<number, number> }): Map<number, KeyChoice> {
  const index = new Map<number, KeyChoice>();
  for (const [level, column] of LEVEL_COLUMNS) {
    if (level >= 2 && !options.hasLevel3) break;
    mapping.rows.forEach((row, i) => {
      const keysym = row[column] ?? NO_SYMBOL;
      if (keysym === NO_SYMBOL) return;
      const cp = codePointOfKeysym(keysym, options.legacy);
      if (cp !== undefined && !index.has(cp)) index.set(cp, { keycode: mapping.minKeycode + i, level });
    });
  }
  return index;
}

/** The first keycode whose row holds `keysym` in any column, or undefined. */
export function keycodeOf(mapping: KeyboardMapping, keysym: number): number | undefined {
  const i = mapping.rows.findIndex((row) => row.includes(keysym));
  return i < 0 ? undefined : mapping.minKeycode + i;
}

/**
 * Keycodes that type nothing (every keysym NoSymbol) and are no modifier: free to bind a keysym to for a moment,
 * as xdotool and x11vnc do for characters that no key types. Highest first: the low ones are the real keys.
 */
export function spareKeycodes(mapping: KeyboardMapping, modifierKeycodes: ReadonlySet<number>): number[] {
  const spares: number[] = [];
  mapping.rows.forEach((row, i) => {
    const keycode = mapping.minKeycode + i;
    if (row.every((k) => k === NO_SYMBOL) && !modifierKeycodes.has(keycode)) spares.push(keycode);
  });
  return spares.reverse();
}

/** The row to bind a spare keycode to: the keysym at every level, so that Shift or Caps Lock change nothing. */
export function spareRow(keysym: number, width: number): number[] {
  return Array.from({ length: width }, (_, i) => (i < 2 || i === 4 || i === 5 ? keysym : NO_SYMBOL));
}

/** The code points of `text` once composed (NFC: é as one character, which a layout is likelier to have). */
export function codePoints(text: string): number[] {
  return Array.from(text.normalize('NFC'), (ch) => ch.codePointAt(0)!);
}

/**
 * Named keysyms outside Latin-1 and Unicode, keysym to code point, read from the descriptions of the x11 package's
 * keysym table (`(€) EURO SIGN`): what layouts such as `de` (EuroSign) or `ru` (Cyrillic_a) put on their keys.
 */
export function legacyKeysyms(table: Readonly<Record<string, { readonly code: number; readonly description: string | null }>>): Map<number, number> {
  const legacy = new Map<number, number>();
  for (const { code, description } of Object.values(table)) {
    // 0xfe00-0xffff: dead keys, keypad and function keys; their character (if any) depends on the state.
    if (code <= 0xff || (code >= 0xfe00 && code <= 0xffff) || code >= UNICODE_KEYSYM || !description) continue;
    const m = /^\((.)\)/u.exec(description);
    const cp = m?.[1]?.codePointAt(0);
    if (cp !== undefined && cp >= 0x20 && !legacy.has(code)) legacy.set(code, cp);
  }
  return legacy;
}
