/**
 * Physical keys: `KeyboardEvent.code` (what the helper's browser reports, independent of layout and
 * modifiers) to the name of a nut-js `Key` (what the host presses). Shifted symbols travel as Shift plus
 * the key, which works around nut-js's `type()` dropping Shift on Linux and makes shortcuts arrive as such.
 *
 * This table is also the allow-list: a key code that is not here is dropped as malformed.
 */

const letters = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const table: Record<string, string> = {
  Escape: 'Escape',
  Backquote: 'Grave',
  Minus: 'Minus',
  Equal: 'Equal',
  Backspace: 'Backspace',
  Tab: 'Tab',
  BracketLeft: 'LeftBracket',
  BracketRight: 'RightBracket',
  Backslash: 'Backslash',
  IntlBackslash: 'Backslash',
  CapsLock: 'CapsLock',
  Semicolon: 'Semicolon',
  Quote: 'Quote',
  Enter: 'Enter',
  ShiftLeft: 'LeftShift',
  ShiftRight: 'RightShift',
  Comma: 'Comma',
  Period: 'Period',
  Slash: 'Slash',
  ControlLeft: 'LeftControl',
  ControlRight: 'RightControl',
  MetaLeft: 'LeftSuper',
  MetaRight: 'RightSuper',
  AltLeft: 'LeftAlt',
  AltRight: 'RightAlt',
  Space: 'Space',
  ContextMenu: 'Menu',
  PrintScreen: 'Print',
  ScrollLock: 'ScrollLock',
  Pause: 'Pause',
  Insert: 'Insert',
  Home: 'Home',
  PageUp: 'PageUp',
  Delete: 'Delete',
  End: 'End',
  PageDown: 'PageDown',
  ArrowUp: 'Up',
  ArrowDown: 'Down',
  ArrowLeft: 'Left',
  ArrowRight: 'Right',
  NumLock: 'NumLock',
  NumpadDivide: 'Divide',
  NumpadMultiply: 'Multiply',
  NumpadSubtract: 'Subtract',
  NumpadAdd: 'Add',
  NumpadEnter: 'Enter',
  NumpadDecimal: 'Decimal',
  NumpadEqual: 'NumPadEqual',
  AudioVolumeMute: 'AudioMute',
  AudioVolumeDown: 'AudioVolDown',
  AudioVolumeUp: 'AudioVolUp',
  MediaPlayPause: 'AudioPlay',
  MediaStop: 'AudioStop',
  MediaTrackPrevious: 'AudioPrev',
  MediaTrackNext: 'AudioNext',
};
for (const l of letters) table[`Key${l}`] = l;
for (let d = 0; d <= 9; d++) {
  table[`Digit${d}`] = `Num${d}`;
  table[`Numpad${d}`] = `NumPad${d}`;
}
for (let f = 1; f <= 24; f++) table[`F${f}`] = `F${f}`;

/** The frozen table, `KeyboardEvent.code` -> nut-js `Key` member name. */
export const KEY_CODES: Readonly<Record<string, string>> = Object.freeze(table);

export function isKnownKeyCode(code: string): boolean {
  return Object.prototype.hasOwnProperty.call(KEY_CODES, code);
}

/** The nut-js `Key` name for a code, or undefined when the code is not on the table. */
export function nutKeyName(code: string): string | undefined {
  return isKnownKeyCode(code) ? KEY_CODES[code] : undefined;
}

/** Keys the helper's panel must not keep for itself even when focused (they would leave the editor). */
export const MODIFIER_CODES: ReadonlySet<string> = new Set([
  'ShiftLeft', 'ShiftRight', 'ControlLeft', 'ControlRight', 'AltLeft', 'AltRight', 'MetaLeft', 'MetaRight',
]);

/** Maps a normalised coordinate (0..1) to a pixel on a screen of `size` pixels, clamped to the screen. */
export function toPixel(unit: number, size: number): number {
  if (!Number.isFinite(unit)) return 0;
  const clamped = Math.min(Math.max(unit, 0), 1);
  return Math.min(size - 1, Math.floor(clamped * size));
}

/** Maps a pixel to the normalised coordinate of its centre, the inverse of `toPixel`. */
export function toUnit(pixel: number, size: number): number {
  return Math.min(Math.max((pixel + 0.5) / size, 0), 1);
}

/** How the helper's keys travel: as the characters they type (text), or as positions on the keyboard (physical). */
export type KeyboardMode = 'text' | 'physical';
export const KEYBOARD_MODES: readonly KeyboardMode[] = ['text', 'physical'];

/** The parts of a `KeyboardEvent` that decide how a key-down travels. */
export interface KeyDownFacts {
  readonly key: string;
  readonly code: string;
  readonly ctrlKey: boolean;
  readonly altKey: boolean;
  readonly metaKey: boolean;
  /** `getModifierState('AltGraph')`: AltGr is down (Chromium on Linux; Windows shows it as Ctrl+Alt too). */
  readonly altGraph: boolean;
  /** An IME is composing (`isComposing`, or the `Process` key / keyCode 229 it sends meanwhile). */
  readonly composing: boolean;
  /** macOS: Option is how characters are typed there, and Ctrl+Alt is no AltGr. */
  readonly mac: boolean;
}

/** What to do with one key-down. */
export type KeyDownAction =
  /** Send the key as a physical key (`key` message), and its key-up after it. */
  | { readonly kind: 'physical' }
  /** Type these characters on the host (`text` message); the key-up is not sent. */
  | { readonly kind: 'text'; readonly text: string }
  /**
   * Send nothing and let the browser act on the key (an IME or a dead key composing: the characters come with
   * `compositionend` or `input`; AltGr and Caps Lock, whose effect is already in the characters).
   */
  | { readonly kind: 'local' };

/** Keys that only change what other keys type: in text mode their effect is already in `key`. */
const TEXT_LEVEL_KEYS: ReadonlySet<string> = new Set(['AltGraph', 'CapsLock', 'Dead', 'Compose', 'Process', 'Unidentified']);

/** Whether `key` is one printable character (one code point, or one grapheme of a few, as some layouts send). */
export function printableKey(key: string): boolean {
  if (key.length === 0 || key.length > 8) return false;
  let n = 0;
  // Combining marks and emoji joiners after the first code point still make one character.
  for (const ch of key) if (++n > 1 && !/\p{M}|\p{Emoji_Modifier}|\u200d/u.test(ch)) return false;
  // Named keys ("Enter", "F1", "ArrowUp") are several letters; a character never has a control in it.
  return !/[\p{Cc}\p{Cs}\p{Zl}\p{Zp}]/u.test(key);
}

/**
 * Sorts a key-down. Physical mode: every known key by position, as before. Text mode: a printable character
 * without Ctrl, Alt or Meta (AltGr allowed) is typed as that character, so that the host's layout no longer
 * matters; shortcuts and the keys that edit, move or command (Enter, arrows, F-keys, Escape, modifiers) stay
 * physical, so that Ctrl+C and Ctrl+Shift+P arrive as shortcuts.
 */
export function classifyKeyDown(e: KeyDownFacts, mode: KeyboardMode): KeyDownAction {
  if (mode === 'physical') return isKnownKeyCode(e.code) ? { kind: 'physical' } : { kind: 'local' };
  if (e.composing || TEXT_LEVEL_KEYS.has(e.key)) return { kind: 'local' };
  if (printableKey(e.key)) {
    // Windows reports AltGr as Ctrl+Alt (Chromium on Linux reports AltGraph alone); macOS has no AltGr.
    const altGr = e.altGraph || (!e.mac && e.ctrlKey && e.altKey);
    // On macOS, Option types characters (Option+e is a dead key, Option+2 is ™): Option alone is text there.
    const shortcut = !altGr && (e.ctrlKey || e.metaKey || (e.altKey && !e.mac));
    if (!shortcut) return { kind: 'text', text: e.key };
  }
  return isKnownKeyCode(e.code) ? { kind: 'physical' } : { kind: 'local' };
}
