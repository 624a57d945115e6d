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
