/**
 * Passes over the pixels that native code makes faster, from dist/xshm.node (native/prints.c, built by `npm run
 * build` on Linux, linked into the agent's one native binary beside its MIT-SHM grabs): today the scroll search's row
 * prints, bit for bit the JavaScript's (`hashRowsInJs`), ~2.4 times faster. They need no X server: loaded whether or
 * not MIT-SHM works. Where the binary is not built (Windows, macOS, a Linux without a compiler), the JavaScript runs.
 *
 * Agent process only.
 */

import * as path from 'node:path';
import type { HashRows } from './scrollSearch';

export interface NativeKernels {
  readonly hashRows: HashRows;
}

/** The kernels in `file` (dist/xshm.node beside the agent's bundle); throws why not (not built, another platform). */
export function loadNativeKernels(file = path.join(__dirname, 'xshm.node')): NativeKernels {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a native binary found beside the bundle
  const binary = require(file) as { rowPrints?: HashRows };
  const hashRows = binary.rowPrints;
  if (typeof hashRows !== 'function') throw new Error(`${path.basename(file)} has no rowPrints (an older build?)`);
  return { hashRows };
}
