/**
 * The screen's pixels and size straight from libnut, nut-js's native part (XGetImage on X11), without nut-js
 * itself: nut-js's JavaScript (jimp and its image codecs, the provider registry) costs ~25 MB of the agent's memory
 * when loaded, and a session that is only viewed never needs it (input.ts loads it at the first input). The native
 * binary is what fails where the system lacks a library (libXtst, say): it still loads at start, so that failure is
 * told at start as before.
 *
 * Agent process only; load only after the display check (libnut's first call segfaults without a display).
 */

import type { ScreenArea } from './frameSource';
import type { Pixels } from './png';

/** What this file uses of libnut's per-platform package (its `index.d.ts`). */
interface Libnut {
  readonly screen: {
    capture(x?: number, y?: number, width?: number, height?: number): { width: number; height: number; image: Uint8Array } | undefined;
  };
  getScreenSize(): { width: number; height: number };
}

export interface NativeScreen {
  /** The raw pixels of `area` (the whole main screen when undefined): 4 bytes each, blue first. */
  grab(area: ScreenArea | undefined): Pixels;
  /** The main screen's size as the system reports it now. */
  size(): { width: number; height: number };
}

/** Loads libnut's binary for this platform (the package nut-js itself loads; the VSIX ships it as a folder). */
export function loadNativeScreen(): NativeScreen {
  /* eslint-disable @typescript-eslint/no-require-imports -- lazily, after the display check; one per platform */
  const libnut = (
    process.platform === 'win32'
      ? require('@nut-tree-fork/libnut-win32')
      : process.platform === 'darwin'
        ? require('@nut-tree-fork/libnut-darwin')
        : require('@nut-tree-fork/libnut-linux')
  ) as Libnut;
  /* eslint-enable @typescript-eslint/no-require-imports */
  return {
    grab: (area) => {
      const shot = area ? libnut.screen.capture(area.x, area.y, area.width, area.height) : libnut.screen.capture();
      if (!shot) throw new Error('Unable to fetch screen content.');
      return { data: shot.image, width: shot.width, height: shot.height };
    },
    size: () => libnut.getScreenSize(),
  };
}
