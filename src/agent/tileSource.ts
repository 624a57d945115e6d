/**
 * The product's capture: raw grabs compared with what the helper already shows, only the changed pixels sent
 * (screenEncoder.ts), told where the screen changed by X DAMAGE on Linux (damage.ts), polled elsewhere.
 * Agent process only.
 */

import type { EncodedFrame } from '../shared/frames';
import type { Logger } from '../shared/log';
import { MAX_POINTER_SIZE, bounds, clip, encodeUpdate, type Rect, type UpdateOp } from '../shared/screenUpdate';
import { sleep } from './bytes';
import type { ChangeWatcher, DamageReport, PointerReader, PointerReading } from './damage';
import { CAPTURE_TIMEOUT_MS, LAYOUT_TTL_MS, errorText, sameArea, withTimeout, type CaptureRequest, type FrameSource, type ScreenArea } from './frameSource';
import { encodeRgbaPng, type Pixels } from './png';
import { ScreenEncoder } from './screenEncoder';
import type { PixelKernels } from './nativeKernels';
import type { LossyEncoder } from './webp';

/** Pixels of a part of the screen: 4 bytes each, blue first, rows `width * 4` bytes apart. */
export type Grab = (area: ScreenArea | undefined) => Promise<Pixels>;

/**
 * When the X server reports changes, the whole screen is still compared this often, in case it missed one; each
 * check that finds nothing missed doubles the time to the next, up to SAFETY_CHECK_MAX_FACTOR times this (a whole
 * grab is ~8 MB and ~10 ms at 1080p: every 2 s, it was most of what a still screen cost).
 */
const SAFETY_CHECK_MS = 2000;
const SAFETY_CHECK_MAX_FACTOR = 16;
/** Without change reports, the screen is compared this often while it changes, and this often once it is still. */
const POLL_BUSY_MS = 16;
const POLL_IDLE_MS = 200;
const IDLE_AFTER_MS = 1000;
/**
 * While the pointer moves, it is read this often (it moves without damaging the screen). Where the watcher tells
 * when it may move (`pointerHint`), it is read that often only for POINTER_AWAKE_MS after such a hint, and every
 * POINTER_IDLE_MS otherwise (what no hint covers: another program warping the pointer); elsewhere, always.
 */
const POINTER_POLL_MS = 33;
const POINTER_AWAKE_MS = 1000;
const POINTER_IDLE_MS = 1000;
/**
 * Changed rectangles covering more than this share of the screen are captured in one grab of the whole. A grab
 * costs about the same per pixel whatever its size (XGetImage: ~4 ns a pixel here, 8-9 ms for 1080p), and a whole
 * one also makes a new 8 MB buffer each time: a dragged window (~30 % of the screen, with the target and the
 * barcode beside it) is much cheaper in parts.
 */
const WHOLE_GRAB_SHARE = 0.75;
/** More changed rectangles than this are captured as their bounds. */
const MAX_GRABS = 16;
/**
 * A grab's own cost, in pixels' worth (~0.2 ms: a round trip to the X server): two rectangles whose bounds add
 * less than this to their areas are grabbed as one (damage comes as overlapping rectangles: a moved window's
 * old and new places, what is drawn over it).
 */
const GRAB_OVERHEAD_PIXELS = 32 * 1024;
/**
 * Parts up to this many pixels go over the watcher's X connection (cheaper for small ones); larger ones through
 * the native grab, which is faster per pixel (measured: 906x604 in 2.2 ms against 2.6 ms, 300x300 in 0.42 ms
 * against 0.32 ms).
 */
const SMALL_GRAB_PIXELS = 256 * 1024;

/**
 * The product's source: raw grabs (nut-js, ~10 ms for 1080p, well under 1 ms for a typing-sized region) turned
 * into screen updates, only what changed, lossless (screenEncoder.ts). With a `ChangeWatcher` (X DAMAGE on
 * Linux) it grabs only the reported rectangles, only when something changed; without one it compares the
 * whole screen at a polling rate that drops while the screen stands still.
 */
export class TileSource implements FrameSource {
  readonly name: string;
  private readonly encoder: ScreenEncoder;
  /** The last capture of the whole area, kept up to date by partial grabs. */
  private current: Pixels | undefined;
  private currentArea: ScreenArea | undefined;
  private lastWholeCompare = 0;
  private lastChange = 0;
  private layout: { readonly at: number; readonly area: ScreenArea | undefined } | undefined;
  /** The pointer as the helper last got it. */
  private pointerSent: { readonly x: number; readonly y: number; readonly serial: number } | undefined;
  private pointerReadAt = 0;
  /** Until then the pointer is read every POINTER_POLL_MS (it was hinted to move). */
  private pointerAwakeUntil = 0;
  /** The time between two whole-screen checks, doubling while they find nothing missed. */
  private safetyEvery: number;
  private layoutReading = false;
  /** Counts relayout() calls, so that a reading begun before one is not taken after it. */
  private layoutGeneration = 0;
  private disposed = false;

  private readonly log: Logger;
  private readonly grab: Grab;
  private readonly areaOf: () => Promise<ScreenArea | undefined>;
  private readonly watcher: ChangeWatcher | undefined;
  private readonly pointer: PointerReader | undefined;
  private readonly grabSmall: ((rect: Rect) => Promise<Pixels | undefined>) | undefined;
  private readonly grabInto: TileSourceOptions['grabInto'];
  private readonly safetyCheckMs: number;
  /** Whole-screen checks in a row that found changes while the watcher had reported none. */
  private misses = 0;
  /** The watcher reported something since the last whole-screen check. */
  private reported = false;
  /** The watcher misses changes (a compositing window manager, say): polled instead. */
  private distrusted = false;
  /** Content that changes every frame is being sent lossily (for the log). */
  private playing = false;

  constructor(options: TileSourceOptions) {
    this.log = options.log;
    this.grab = options.grab;
    this.areaOf = options.areaOf;
    this.watcher = options.watcher;
    this.pointer = options.pointer;
    this.grabSmall = options.grabSmall;
    this.grabInto = options.grabInto;
    this.safetyCheckMs = options.safetyCheckMs ?? SAFETY_CHECK_MS;
    this.safetyEvery = this.safetyCheckMs;
    this.encoder = new ScreenEncoder({ ...(options.lossy ? { lossy: options.lossy } : {}), ...(options.kernels ? { kernels: options.kernels } : {}) });
    const what = options.lossy ? 'lossless, video as WebP' : 'lossless';
    this.name = `changed tiles, ${what} (${this.watcher ? 'X DAMAGE' : 'polling'}${this.pointer ? ', pointer from XFixes' : ''}${options.grabber ? `, grabs through ${options.grabber}` : ''}${options.kernels ? ', pixel kernels native' : ''})`;
  }

  async capture(request: CaptureRequest = {}): Promise<EncodedFrame | undefined> {
    if (this.disposed) throw new Error('The screen capture was stopped.');
    if (request.full) this.encoder.reset();
    if (request.lossyBps !== undefined) this.encoder.lossyBudget(request.lossyBps);
    if (request.repaint) this.encoder.repaint(request.repaint);
    if (request.losslessBytes !== undefined) this.encoder.losslessBudget(request.losslessBytes);
    const deadline = Date.now() + (request.waitMs ?? 0);
    let full = request.full === true;
    for (;;) {
      const area = await this.currentLayout();
      if (this.current && !sameLayout(area, this.currentArea)) {
        // Another monitor (or the same one moved): what the helper shows is no base for a delta, nor are the
        // watcher's rectangles, which were of the old place.
        this.encoder.reset();
        full = true;
      }
      // A watcher whose connection broke tells nothing any more: poll, as without one.
      const watcher = this.watcher?.alive && !this.distrusted ? this.watcher : undefined;
      let dirty: Rect[] | undefined;
      let reports: DamageReport[] | undefined;
      let check = false;
      if (watcher && !full) {
        const safetyDue = this.lastWholeCompare + this.safetyEvery - Date.now();
        // Pixels painted lossily are painted again exactly once they settle, and changes left over the budget go
        // next, whether or not anything else changes.
        const settleDue = this.encoder.hasPending ? 0 : (this.encoder.settleDueIn() ?? Infinity);
        await watcher.changed(Math.max(0, Math.min(deadline - Date.now(), safetyDue, settleDue, this.pointerDueIn(watcher))));
        dirty = watcher.take();
        reports = watcher.takeReports?.();
        if (dirty === undefined || dirty.length > 0) this.reported = true;
        check = Date.now() - this.lastWholeCompare >= this.safetyEvery;
        if (!watcher.alive || check) dirty = undefined;
      } else {
        watcher?.take();
        watcher?.takeReports?.();
      }
      if (this.disposed) throw new Error('The screen capture was stopped.');
      const inArea = dirty && area ? dirty.map((r) => ({ ...r, x: r.x - area.x, y: r.y - area.y })) : dirty;
      const heard = reports && area ? reports.map(({ rect, at }) => ({ rect: { ...rect, x: rect.x - area.x, y: rect.y - area.y }, at })) : reports;
      const pixels = await withTimeout(this.pixels(area, inArea), CAPTURE_TIMEOUT_MS, `The screen capture took more than ${CAPTURE_TIMEOUT_MS / 1000} s and was given up.`);
      if (inArea === undefined) this.lastWholeCompare = Date.now();
      const update = this.encoder.update(pixels, inArea, Date.now(), heard);
      this.sayVideo();
      if (check) this.judgeWatcher(update !== undefined);
      full = false;
      // After a cut the pointer goes again too, as with a key update: the helper may have missed its last move.
      const pointer = await this.pointerOp(area, pixels, update?.full === true || request.repaint !== undefined);
      if (update || pointer) {
        if (update) this.lastChange = Date.now();
        const ops = [...(update?.ops ?? []), ...(pointer ? [pointer] : [])];
        return { format: 'update', width: pixels.width, height: pixels.height, data: encodeUpdate({ full: update?.full === true, ops }) };
      }
      const left = deadline - Date.now();
      if (left <= 0) return undefined;
      if (!watcher?.alive || this.distrusted) await sleep(Math.min(left, this.encoder.settleDueIn() ?? Infinity, Date.now() - this.lastChange > IDLE_AFTER_MS ? POLL_IDLE_MS : POLL_BUSY_MS));
    }
  }

  /** Says in the log when content starts going lossily, and when it settled and was painted exactly again. */
  private sayVideo(): void {
    const { lossyBytes, settledBytes } = this.encoder.last;
    if (lossyBytes > 0 && !this.playing) {
      this.playing = true;
      this.log.debug('content that changes every frame (a video?) goes as lossy WebP until it settles');
    } else if (settledBytes > 0 && this.playing) {
      this.playing = false;
      this.log.debug(`the lossy content settled: painted again exactly (${settledBytes} bytes of PNG)`);
    }
  }

  area(): Promise<ScreenArea | undefined> {
    return this.currentLayout();
  }

  /** Input injected here is about to move the pointer (X reports no raw motion for a warp): it is read closely again. */
  pointerMayMove(): void {
    this.pointerAwakeUntil = Date.now() + POINTER_AWAKE_MS;
    this.watcher?.stirPointer?.();
  }

  relayout(): void {
    this.layout = undefined;
    // A reading under way began before the choice: its answer is dropped (see currentLayout).
    this.layoutGeneration++;
  }

  /**
   * After a whole-screen check: changes the watcher never reported, twice in a row, mean it misses them (DAMAGE on
   * the root window under some compositing window managers); from then on the screen is polled.
   */
  private judgeWatcher(changed: boolean): void {
    this.misses = changed && !this.reported ? this.misses + 1 : 0;
    this.reported = false;
    this.safetyEvery = this.misses > 0 ? this.safetyCheckMs : Math.min(this.safetyCheckMs * SAFETY_CHECK_MAX_FACTOR, this.safetyEvery * 2);
    if (this.misses >= 2 && !this.distrusted) {
      this.distrusted = true;
      this.log.warn('the X server does not report the changes the screen shows (a compositing window manager?): the screen is polled instead');
    }
  }

  /**
   * The captured area. Reading it may cost a process run (xrandr, ~30 ms), so once known it is answered at
   * once and read again in the background when older than LAYOUT_TTL_MS: a change of monitors shows a frame
   * later, and no update waits for xrandr.
   */
  private async currentLayout(): Promise<ScreenArea | undefined> {
    const known = this.layout;
    if (!known) {
      const area = await this.areaOf();
      this.layout = { at: Date.now(), area };
      return area;
    }
    if (Date.now() - known.at >= LAYOUT_TTL_MS && !this.layoutReading) {
      this.layoutReading = true;
      const generation = this.layoutGeneration;
      this.areaOf().then(
        (area) => {
          if (generation === this.layoutGeneration) this.layout = { at: Date.now(), area };
        },
        (error: unknown) => {
          this.log.warn(`the monitor layout could not be read again, the last one is kept: ${errorText(error)}`);
          if (generation === this.layoutGeneration) this.layout = { at: Date.now(), area: known.area };
        },
      ).finally(() => {
        this.layoutReading = false;
      });
    }
    return known.area;
  }

  dispose(): void {
    this.disposed = true;
    this.current = undefined;
    this.watcher?.dispose();
  }

  /** The pointer, when it moved or changed shape since the helper last got it (always with a key update). */
  private async pointerOp(area: ScreenArea | undefined, screen: Pixels, key: boolean): Promise<UpdateOp | undefined> {
    if (!this.pointer) return undefined;
    // Read when due (a round trip to the X server), and for a key update.
    const watcher = this.watcher?.alive && !this.distrusted ? this.watcher : undefined;
    if (!key && this.pointerDueIn(watcher) > 0) return undefined;
    this.pointerReadAt = Date.now();
    let reading: PointerReading | undefined;
    try {
      reading = await this.pointer();
    } catch {
      reading = undefined;
    }
    if (!reading) return undefined;
    const x = reading.x - (area?.x ?? 0);
    const y = reading.y - (area?.y ?? 0);
    const on = x >= 0 && y >= 0 && x < screen.width && y < screen.height;
    const sent = this.pointerSent;
    const shapeChanged = key || !sent || sent.serial !== reading.serial;
    const moved = key || !sent || sent.x !== (on ? x : -1) || sent.y !== (on ? y : -1);
    if (!shapeChanged && !moved) return undefined;
    this.pointerSent = { x: on ? x : -1, y: on ? y : -1, serial: reading.serial };
    const shape = shapeChanged ? pointerShape(reading) : undefined;
    return { kind: 'pointer', at: on ? { x, y } : undefined, ...(shape ? { shape } : {}) };
  }

  /**
   * Milliseconds until the pointer is to be read (0 or less: now); Infinity without a pointer. A hint from the
   * watcher (taken here) keeps it read every POINTER_POLL_MS for POINTER_AWAKE_MS; without hints it always is.
   */
  private pointerDueIn(watcher: ChangeWatcher | undefined): number {
    if (!this.pointer) return Infinity;
    const now = Date.now();
    const hint = watcher?.pointerHint?.();
    if (hint) this.pointerAwakeUntil = now + POINTER_AWAKE_MS;
    const every = hint === undefined || now < this.pointerAwakeUntil ? POINTER_POLL_MS : POINTER_IDLE_MS;
    return this.pointerReadAt + every - now;
  }

  /** The whole area's pixels, grabbing only `dirty` (area coordinates) when it is small enough. */
  private async pixels(area: ScreenArea | undefined, dirty: Rect[] | undefined): Promise<Pixels> {
    const current = this.current;
    const sameOutput = current && sameLayout(area, this.currentArea);
    let rects = dirty?.map((r) => clip(r, current?.width ?? 0, current?.height ?? 0)).filter((r): r is Rect => r !== undefined);
    if (rects && rects.length > MAX_GRABS) rects = [bounds(rects)];
    if (rects) rects = mergeOverlapping(rects);
    const share = rects && current ? rects.reduce((n, r) => n + r.width * r.height, 0) / (current.width * current.height) : 1;
    if (!current || !sameOutput || !rects || share > WHOLE_GRAB_SHARE) {
      // Into the picture where the grabber can and the screen kept its size: no new 8 MB buffer for each (a large
      // region scrolling made one a frame, and V8 collected its old generation for them several times a second).
      if (current && sameOutput && this.grabInto?.(area, current, 0, 0)) return current;
      const whole = await this.grab(area);
      if (whole.data.length < whole.width * whole.height * 4) throw new Error(`The capture returned ${whole.data.length} bytes for ${whole.width}x${whole.height}.`);
      if (current && (current.width !== whole.width || current.height !== whole.height)) this.log.info(`the screen is now ${whole.width}x${whole.height}`);
      this.current = whole;
      this.currentArea = area;
      return whole;
    }
    const ox = area?.x ?? 0;
    const oy = area?.y ?? 0;
    const stride = current.width * 4;
    for (const r of rects) {
      const at = { x: ox + r.x, y: oy + r.y, width: r.width, height: r.height };
      const small = r.width * r.height <= SMALL_GRAB_PIXELS ? await this.grabSmall?.(at) : undefined;
      // Straight into the picture where the grabber can (MIT-SHM): no buffer per part, no copy.
      if (!small && this.grabInto?.(at, current, r.x, r.y)) continue;
      const part = small ?? (await this.grab(at));
      const w = Math.min(part.width, r.width);
      for (let row = 0; row < Math.min(part.height, r.height); row++) {
        const from = row * part.width * 4;
        current.data.set(part.data.subarray(from, from + w * 4), (r.y + row) * stride + r.x * 4);
      }
    }
    return current;
  }
}

/**
 * The rectangles to grab for `rects`: any two whose bounds cost little more than grabbing both (they overlap, or
 * nearly touch) become their bounds, until no two do; so no pixel is grabbed twice where that costs more.
 */
export function mergeOverlapping(rects: readonly Rect[]): Rect[] {
  const out = [...rects];
  for (let merged = true; merged; ) {
    merged = false;
    for (let i = 0; i < out.length && !merged; i++) {
      for (let j = i + 1; j < out.length && !merged; j++) {
        const a = out[i]!;
        const b = out[j]!;
        const both = bounds([a, b]);
        if (both.width * both.height > a.width * a.height + b.width * b.height + GRAB_OVERHEAD_PIXELS) continue;
        out[i] = both;
        out.splice(j, 1);
        merged = true;
      }
    }
  }
  return out;
}

/** Whether two captured areas are the same (undefined: the whole main screen). */
function sameLayout(a: ScreenArea | undefined, b: ScreenArea | undefined): boolean {
  return a === undefined || b === undefined ? a === b : sameArea(a, b);
}

/** The pointer's shape as PNG with alpha; undefined when it is empty or too large to send. */
function pointerShape(r: PointerReading): { width: number; height: number; hotX: number; hotY: number; png: Uint8Array } | undefined {
  const { width, height } = r;
  if (width === 0 || height === 0 || width > MAX_POINTER_SIZE || height > MAX_POINTER_SIZE || r.argb.length < width * height * 4) return undefined;
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height * 4; i += 4) {
    // Premultiplied B, G, R, A to straight R, G, B, A.
    const a = r.argb[i + 3]!;
    const un = (c: number) => (a === 0 ? 0 : Math.min(255, Math.round((c * 255) / a)));
    rgba[i] = un(r.argb[i + 2]!);
    rgba[i + 1] = un(r.argb[i + 1]!);
    rgba[i + 2] = un(r.argb[i]!);
    rgba[i + 3] = a;
  }
  return { width, height, hotX: Math.min(r.hotX, width - 1), hotY: Math.min(r.hotY, height - 1), png: encodeRgbaPng(rgba, width, height) };
}

export interface TileSourceOptions {
  readonly log: Logger;
  /** Grabs the area (undefined: the whole main screen) or a part of it. */
  readonly grab: Grab;
  /** The part of the desktop to capture; undefined for the whole main screen. */
  readonly areaOf: () => Promise<ScreenArea | undefined>;
  /** Where the screen changed (X DAMAGE); without one the screen is polled. */
  readonly watcher?: ChangeWatcher;
  /** The pointer's place and shape, sent with the updates. */
  readonly pointer?: PointerReader;
  /** A cheaper way to grab small regions (over the X connection); undefined when it cannot here. */
  readonly grabSmall?: (rect: Rect) => Promise<Pixels | undefined>;
  /** Writes a part straight into `into` at (x, y) (MIT-SHM, nativeScreen.ts); false when it cannot: grab and copy. */
  readonly grabInto?: (area: ScreenArea | undefined, into: Pixels, x: number, y: number) => boolean;
  /** How `grab` reads the screen, for the log (nativeScreen.ts). */
  readonly grabber?: string;
  /** How often the whole screen is compared even though the watcher reported nothing (tests shorten it). */
  readonly safetyCheckMs?: number;
  /** Encodes content that changes every frame lossily (webp.ts); without it everything is lossless. */
  readonly lossy?: LossyEncoder;
  /** Passes over the pixels in native code (nativeKernels.ts); the JavaScript's without them. */
  readonly kernels?: PixelKernels;
}
