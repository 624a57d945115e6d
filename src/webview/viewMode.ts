/**
 * The helper's panel (webview), pure logic: how big the host's picture is drawn in each view mode, where a point on
 * the page falls on the host's screen, how far to scroll to keep the host's pointer in view, and which keys switch
 * modes. No DOM here (unit-tested with node:test); display.ts applies it to the page, input.ts maps with it.
 *
 * Sizes are in CSS pixels unless they say otherwise. "Device pixels" are CSS pixels times `devicePixelRatio`; a
 * zoom percentage counts device pixels per host pixel, so 100 % is 1:1, whatever the helper's screen density.
 */

import { assertNever } from '../shared/protocol';

export type ViewMode =
  /** The whole screen in the panel, its aspect kept (scaled down or up). */
  | { readonly kind: 'fit' }
  /** One host pixel per device pixel; the panel scrolls to pan. */
  | { readonly kind: 'actual' }
  /** A zoom step other than 100 % (which is `actual`), as device pixels per host pixel times 100. */
  | { readonly kind: 'zoom'; readonly percent: number };

export const FIT: ViewMode = { kind: 'fit' };
export const ACTUAL: ViewMode = { kind: 'actual' };

/** The zoom steps the toolbar's − and + and the keyboard go through. */
export const ZOOM_STEPS: readonly number[] = [50, 67, 75, 90, 100, 110, 125, 150, 175, 200, 250, 300, 400];
export const MIN_ZOOM = ZOOM_STEPS[0]!;
export const MAX_ZOOM = ZOOM_STEPS[ZOOM_STEPS.length - 1]!;

export interface Size {
  readonly width: number;
  readonly height: number;
}

export interface Rect extends Size {
  readonly left: number;
  readonly top: number;
}

/** A zoom of `percent`, with 100 % as 1:1 and anything outside the steps' range held to it. */
export function zoomMode(percent: number): ViewMode {
  const p = Math.min(Math.max(Math.round(percent), MIN_ZOOM), MAX_ZOOM);
  return p === 100 ? ACTUAL : { kind: 'zoom', percent: p };
}

/** The next step up from what is shown now (`shown`: the effective percentage, which in fit is anything). */
export function zoomIn(shown: number): ViewMode {
  return zoomMode(ZOOM_STEPS.find((s) => s > shown + 0.5) ?? MAX_ZOOM);
}

/** The next step down from what is shown now. */
export function zoomOut(shown: number): ViewMode {
  return zoomMode([...ZOOM_STEPS].reverse().find((s) => s < shown - 0.5) ?? MIN_ZOOM);
}

export interface Layout {
  /** The picture's CSS size. */
  readonly width: number;
  readonly height: number;
  /** Device pixels per host pixel, times 100 (what the toolbar shows). */
  readonly percent: number;
  /**
   * Each host pixel covers a whole number of device pixels: the browser should not smooth the picture (it would
   * blur text that is already sharp), and nearest-neighbour scaling is exact.
   */
  readonly crisp: boolean;
  /** The picture may be larger than the box: the box scrolls. */
  readonly scrolls: boolean;
}

/**
 * The picture's size on the page: in fit, the largest that fits `box` with the aspect kept; otherwise the host's
 * pixels at the mode's device-pixel ratio (1:1 is `host / devicePixelRatio` CSS pixels).
 */
export function layout(mode: ViewMode, host: Size, box: Size, dpr: number): Layout {
  const ratio = dpr > 0 && Number.isFinite(dpr) ? dpr : 1;
  if (!(host.width > 0 && host.height > 0)) return { width: 0, height: 0, percent: 100, crisp: false, scrolls: false };
  let scale: number; // CSS pixels per host pixel
  if (mode.kind === 'fit') {
    scale = Math.max(0, Math.min(box.width / host.width, box.height / host.height));
  } else {
    scale = (mode.kind === 'actual' ? 1 : mode.percent / 100) / ratio;
  }
  const devicePerHost = scale * ratio;
  return {
    width: host.width * scale,
    height: host.height * scale,
    percent: devicePerHost * 100,
    crisp: devicePerHost >= 1 && Math.abs(devicePerHost - Math.round(devicePerHost)) < 1e-6,
    scrolls: mode.kind !== 'fit',
  };
}

/**
 * Where the picture starts inside a box that starts at `origin` (page CSS pixels): centred when it is smaller, at
 * 0 when it is larger (the box scrolls). The start is put on a device pixel, so that a 1:1 picture is not
 * resampled across two device pixels.
 */
export function pictureOffset(origin: number, box: number, picture: number, dpr: number): number {
  if (picture >= box) return 0;
  const ratio = dpr > 0 && Number.isFinite(dpr) ? dpr : 1;
  const centred = origin + (box - picture) / 2;
  return Math.max(0, Math.round(centred * ratio) / ratio - origin);
}

/**
 * The fraction of the picture under a point (client coordinates), through the picture element's own box on the
 * page (`getBoundingClientRect`, which already moves with scrolling and zoom). Outside the picture it is below 0
 * or above 1; callers clip.
 */
export function pictureFraction(clientX: number, clientY: number, rect: Rect): { x: number; y: number } {
  if (!(rect.width > 0 && rect.height > 0)) return { x: 0.5, y: 0.5 };
  return { x: (clientX - rect.left) / rect.width, y: (clientY - rect.top) / rect.height };
}

/** The host pixel under a point, clipped to the screen. */
export function hostPixelAt(clientX: number, clientY: number, rect: Rect, screen: Size): { x: number; y: number } {
  const f = pictureFraction(clientX, clientY, rect);
  const clip = (v: number, size: number) => Math.min(Math.max(Math.floor(v * size), 0), Math.max(size - 1, 0));
  return { x: clip(f.x, screen.width), y: clip(f.y, screen.height) };
}

export interface Scroll {
  readonly left: number;
  readonly top: number;
}

/**
 * Where to scroll a box so that a point of the picture (`at`, CSS pixels from the picture's start) is at least
 * `margin` inside the visible part; undefined when it already is. Only as far as needed: the view should not jump
 * about while the pointer moves inside it.
 */
export function followScroll(at: { x: number; y: number }, scroll: Scroll, view: Size, content: Size, margin: number): Scroll | undefined {
  const axis = (p: number, start: number, visible: number, total: number) => {
    const m = Math.min(margin, visible / 2);
    let next = start;
    if (p < start + m) next = p - m;
    else if (p > start + visible - m) next = p - visible + m;
    return Math.min(Math.max(next, 0), Math.max(total - visible, 0));
  };
  const left = axis(at.x, scroll.left, view.width, content.width);
  const top = axis(at.y, scroll.top, view.height, content.height);
  return Math.abs(left - scroll.left) < 0.5 && Math.abs(top - scroll.top) < 0.5 ? undefined : { left, top };
}

/** What the toolbar shows of the view. */
export interface ViewState {
  readonly mode: ViewMode;
  /** Device pixels per host pixel, times 100, as shown now (in fit, whatever fits). */
  readonly percent: number;
  /** The view scrolls to keep the host's pointer in sight (1:1 and zoom). */
  readonly follow: boolean;
}

export type ViewCommand = 'fit' | 'actual' | 'zoomIn' | 'zoomOut';

/** What a keyboard event's fields say, as the shortcut needs them. */
export interface ShortcutKey {
  readonly code: string;
  readonly ctrlKey: boolean;
  readonly altKey: boolean;
  readonly shiftKey: boolean;
  readonly metaKey: boolean;
}

/**
 * Ctrl+Alt+0 fit, Ctrl+Alt+1 1:1, Ctrl+Alt+= (or +) zoom in, Ctrl+Alt+- zoom out; by key position (`code`), so that
 * they are the same keys on every layout. Shift is allowed (a `+` is Shift+= on many layouts); Meta is not.
 * AltGr is not refused: Windows reports Ctrl+Alt as AltGr, and where AltGr+0 types a character (German `}`), the
 * panel leaves the fields that take text alone (ui.ts) and the remote screen sends the key on (input.ts).
 */
export function viewShortcut(key: ShortcutKey): ViewCommand | undefined {
  if (!key.ctrlKey || !key.altKey || key.metaKey) return undefined;
  switch (key.code) {
    case 'Digit0':
    case 'Numpad0':
      return 'fit';
    case 'Digit1':
    case 'Numpad1':
      return 'actual';
    case 'Equal':
    case 'NumpadAdd':
      return 'zoomIn';
    case 'Minus':
    case 'NumpadSubtract':
      return 'zoomOut';
    default:
      return undefined;
  }
}

/** The toolbar's words for a mode. */
export function describeMode(mode: ViewMode): string {
  switch (mode.kind) {
    case 'fit':
      return 'Fit';
    case 'actual':
      return '1:1';
    case 'zoom':
      return `${mode.percent} %`;
    default:
      return assertNever(mode);
  }
}
