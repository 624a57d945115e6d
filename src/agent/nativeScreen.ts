/**
 * The screen's pixels and size straight from native code, without nut-js itself: nut-js's JavaScript (jimp and its
 * image codecs, the provider registry) costs ~25 MB of the agent's memory when loaded, and a session that is only
 * viewed never needs it (input.ts loads it at the first input).
 *
 * Two grabbers. On X11, ours (`native/xshm.c`, built to dist/xshm.node by `npm run build`): XShmGetImage into
 * shared memory, then one copy into a buffer V8 owns. Elsewhere, or where it cannot work (not built, an X server
 * without MIT-SHM or on another machine, a screen that is not 32 bits a pixel), libnut's, nut-js's own native part
 * (XGetImage on X11), which makes the X server write every pixel into the socket: measured on the 2-core machine
 * (one process, medians of 5 x 40 grabs), the agent's CPU for a whole 1080p grab 6.65 ms against 0.45 into the
 * picture (`grabInto`), a 906x604 part 1.61 against 0.12, a 40x20 part 0.23 against 0.02 (and much less of the X
 * server's). libnut's binary still loads at start in both cases, so that a system
 * that lacks one of its libraries (libXtst, say) is told so at start.
 *
 * Agent process only; load only after the display check (libnut's first call segfaults without a display).
 */

import * as path from 'node:path';
import type { ScreenArea } from './frameSource';
import type { Pixels } from './png';

/** What this file uses of libnut's per-platform package (its `index.d.ts`). */
export interface Libnut {
  readonly screen: {
    capture(x?: number, y?: number, width?: number, height?: number): { width: number; height: number; image: Uint8Array } | undefined;
  };
  getScreenSize(): { width: number; height: number };
}

/** What dist/xshm.node exports (native/xshm.c). */
export interface XshmGrabber {
  open(): void;
  grab(x: number, y: number, width: number, height: number): Uint8Array;
  /** Writes the pixels into `into`, a picture `intoWidth` pixels wide, at (intoX, intoY). */
  grab(x: number, y: number, width: number, height: number, into: Uint8Array, intoX: number, intoY: number, intoWidth: number): Uint8Array;
  size(): { width: number; height: number };
  close(): void;
}

export interface NativeScreen {
  /** The raw pixels of `area` (the whole main screen when undefined): 4 bytes each, blue first. */
  grab(area: ScreenArea | undefined): Pixels;
  /**
   * Writes the pixels of `area` straight into `into` at (x, y), without a buffer of their own (MIT-SHM only);
   * false when this grabber cannot, and nothing was written: then grab() and copy. An undefined area is the whole
   * screen, and only when it is exactly `into`'s size (else false: the screen changed size, grab() tells how).
   */
  grabInto(area: ScreenArea | undefined, into: Pixels, x: number, y: number): boolean;
  /** The main screen's size as the system reports it now. */
  size(): { width: number; height: number };
  /** How it grabs, for the log: `MIT-SHM` or `XGetImage (libnut)`. */
  readonly how: string;
}

/** Loads libnut's binary for this platform (the package nut-js itself loads; the VSIX ships it as a folder). */
function loadLibnut(): Libnut {
  /* eslint-disable @typescript-eslint/no-require-imports -- lazily, after the display check; one per platform */
  return (
    process.platform === 'win32'
      ? require('@nut-tree-fork/libnut-win32')
      : process.platform === 'darwin'
        ? require('@nut-tree-fork/libnut-darwin')
        : require('@nut-tree-fork/libnut-linux')
  ) as Libnut;
  /* eslint-enable @typescript-eslint/no-require-imports */
}

/** The MIT-SHM grabber built at `file` (dist/xshm.node beside the agent's bundle), opened on $DISPLAY; throws why not. */
export function loadXshm(file = path.join(__dirname, 'xshm.node')): XshmGrabber {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a native binary found beside the bundle
  const xshm = require(file) as XshmGrabber;
  xshm.open();
  return xshm;
}

/** The corner compared at start (checkedAgainst), in pixels a side. */
const CHECK_SIDE = 32;

/**
 * `xshm` once a grab of a corner equals libnut's: an X server in another IPC namespace (a container given the host's
 * X socket) may attach another segment by our segment's number and answer without an error, and the pixels read
 * would be someone else's memory. Throws when they differ twice (once may be the screen changing between the two).
 */
export function checkedAgainst(libnut: Libnut, xshm: XshmGrabber): XshmGrabber {
  for (let attempt = 0; attempt < 2; attempt++) {
    const theirs = libnut.screen.capture(0, 0, CHECK_SIDE, CHECK_SIDE);
    const ours = xshm.grab(0, 0, CHECK_SIDE, CHECK_SIDE);
    if (theirs && sameColours(theirs.image, ours)) return xshm;
  }
  xshm.close();
  throw new Error('its pixels differ from the X server\'s (shared memory in another namespace, as in a container?)');
}

/** Whether two grabs of the same size have the same colours (the fourth byte of each pixel is padding). */
function sameColours(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i += 4) if (a[i] !== b[i] || a[i + 1] !== b[i + 1] || a[i + 2] !== b[i + 2]) return false;
  return true;
}

/** Where the native parts come from (tests give their own). */
export interface NativeParts {
  readonly libnut?: () => Libnut;
  /** Undefined: dist/xshm.node on Linux, none elsewhere. */
  readonly xshm?: () => XshmGrabber;
}

/**
 * The native screen: MIT-SHM where it works (Linux), libnut otherwise. `said` hears, once, why MIT-SHM is not used,
 * or why it stopped being used (a grab failed other than outside the screen: libnut takes over for good).
 */
export function loadNativeScreen(said: (message: string) => void = () => {}, parts: NativeParts = {}): NativeScreen {
  const libnut = (parts.libnut ?? loadLibnut)();
  const viaLibnut: NativeScreen = {
    grab: (area) => {
      const shot = area ? libnut.screen.capture(area.x, area.y, area.width, area.height) : libnut.screen.capture();
      if (!shot) throw new Error('Unable to fetch screen content.');
      return { data: shot.image, width: shot.width, height: shot.height };
    },
    grabInto: () => false,
    size: () => libnut.getScreenSize(),
    how: 'XGetImage (libnut)',
  };
  const xshmLoader = parts.xshm ?? (process.platform === 'linux' ? () => checkedAgainst(libnut, loadXshm()) : undefined);
  if (!xshmLoader) return viaLibnut;
  let xshm: XshmGrabber | undefined;
  try {
    xshm = xshmLoader();
  } catch (error) {
    said(`grabbing through XGetImage, not MIT-SHM: ${error instanceof Error ? error.message : String(error)}`);
    return viaLibnut;
  }
  /** A failed grab: outside the screen (it shrank) is the caller's to handle, as with libnut; else libnut for good. */
  const failed = (error: unknown): void => {
    const message = error instanceof Error ? error.message : String(error);
    if (message.includes('outside the screen')) throw error;
    said(`MIT-SHM grabs failed (${message}): grabbing through XGetImage from now on`);
    try {
      xshm?.close();
    } catch {
      // Closing what failed: nothing more to say.
    }
    xshm = undefined;
  };
  return {
    grab: (area) => {
      if (xshm) {
        const rect = area ?? { x: 0, y: 0, ...xshm.size() };
        try {
          return { data: xshm.grab(rect.x, rect.y, rect.width, rect.height), width: rect.width, height: rect.height };
        } catch (error) {
          failed(error);
        }
      }
      return viaLibnut.grab(area);
    },
    grabInto: (area, into, x, y) => {
      if (!xshm) return false;
      try {
        const rect = area ?? { x: 0, y: 0, ...xshm.size() };
        if (!area && (rect.width !== into.width || rect.height !== into.height || x !== 0 || y !== 0)) return false;
        xshm.grab(rect.x, rect.y, rect.width, rect.height, into.data, x, y, into.width);
        return true;
      } catch (error) {
        failed(error);
        return false;
      }
    },
    size: () => viaLibnut.size(),
    get how() {
      return xshm ? 'MIT-SHM' : viaLibnut.how;
    },
  };
}
